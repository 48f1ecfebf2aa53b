// detectSilences: ffmpeg's silencedetect filter, parsed line by line from stderr as it runs.
import { SpxError } from '@spx/core';
import { findBinaries, type Env } from './binaries.js';
import { assertReadableFile } from './errors.js';
import { ffPath, progressParser, runTool } from './exec.js';

export interface Silence {
  start: number;
  end: number;
}

export interface SilenceOptions {
  /** Level below which audio counts as silence, in dB (default -35). */
  noiseDb?: number;
  /** Shortest silence reported, in seconds (default 0.3). */
  minSilence?: number;
  signal?: AbortSignal;
  /** Input duration if known: enables onProgress fractions. */
  duration?: number;
  onProgress?: (fraction: number) => void;
  /** Where ffmpeg is looked up (a stage's ctx.env). */
  env: Env;
}

const ms = (n: number): number => Math.round(n * 1000) / 1000;

/** Silent spans of `path`'s first audio stream, in order, times in seconds (ms precision). */
export async function detectSilences(path: string, options: SilenceOptions): Promise<Silence[]> {
  const noiseDb = options.noiseDb ?? -35;
  const minSilence = options.minSilence ?? 0.3;
  if (!Number.isFinite(noiseDb) || noiseDb >= 0) throw new SpxError('PARAMS_INVALID', `Silence threshold ${noiseDb} dB is not valid.`, { hint: 'Use a negative number of dB, e.g. -35.' });
  if (!Number.isFinite(minSilence) || minSilence <= 0) throw new SpxError('PARAMS_INVALID', `Minimum silence ${minSilence} s is not valid.`, { hint: 'Use a positive number of seconds, e.g. 0.3.' });
  await assertReadableFile(path);
  const { ffmpeg } = findBinaries(options.env);
  const silences: Silence[] = [];
  let open: number | undefined;
  let seconds = 0;
  await runTool(
    ffmpeg,
    ['-nostdin', '-hide_banner', '-nostats', '-loglevel', 'info', '-progress', 'pipe:1', '-i', ffPath(path), '-map', '0:a:0', '-af', `silencedetect=noise=${noiseDb}dB:duration=${minSilence}`, '-f', 'null', '-'],
    {
      env: options.env,
      signal: options.signal,
      input: path,
      action: `detecting silences in "${path}"`,
      onStdoutLine: progressParser((s) => {
        seconds = s;
        if (options.onProgress && options.duration) options.onProgress(Math.min(1, s / options.duration));
      }),
      onStderrLine: (line) => {
        const start = /silence_start:\s*(-?[\d.]+)/.exec(line);
        if (start) {
          open = Math.max(0, Number(start[1]));
          return;
        }
        const end = /silence_end:\s*(-?[\d.]+)/.exec(line);
        if (end && open !== undefined) {
          silences.push({ start: ms(open), end: ms(Number(end[1])) });
          open = undefined;
        }
      },
    },
  );
  // A recording that ends in silence reports a start without an end.
  const total = options.duration ?? seconds;
  if (open !== undefined && total > open) silences.push({ start: ms(open), end: ms(total) });
  return silences;
}
