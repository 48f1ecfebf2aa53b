// Speech detection over a whole recording, window by window, with a checkpoint per window.
import { readFile } from 'node:fs/promises';
import { SpxError, type Memo } from '@spx/core';
import { probeAudio, type Env } from '@spx/plugin-ffmpeg';
import { joinAcross, round3, speechRegions, type Region, type RegionOptions } from './regions.js';
import { VAD_FRAME_SECONDS, vadProbabilities } from './silero.js';

export const SPEECH_FORMAT = 'spx-speech';

/** The file `local/vad` writes: speech regions of the input, seconds. */
export interface SpeechSegments {
  format: typeof SPEECH_FORMAT;
  version: 1;
  engine: string;
  duration: number;
  speech: Region[];
}

export interface VadOptions {
  threshold: number;
  minSpeechSeconds: number;
  minSilenceSeconds: number;
  padSeconds: number;
  maxSpeechSeconds: number;
  /** Seconds of audio decoded and analysed per window (and per checkpoint). */
  windowSeconds: number;
}

export const VAD_DEFAULTS: VadOptions = { threshold: 0.5, minSpeechSeconds: 0.25, minSilenceSeconds: 0.1, padSeconds: 0.03, maxSpeechSeconds: 30, windowSeconds: 300 };

export interface WorkHooks {
  /** Where ffmpeg is looked up (a stage's ctx.env). */
  env: Env;
  signal?: AbortSignal;
  /** Memoises one unit of work (ctx.step), or runs it directly. */
  step?: Memo;
  progress?: (done: number, total: number, message: string) => void;
}

const direct = <T,>(_key: string, fn: () => Promise<T>): Promise<T> => fn();

export async function detectSpeech(input: string, options: Partial<VadOptions>, hooks: WorkHooks): Promise<SpeechSegments> {
  const o = { ...VAD_DEFAULTS, ...options };
  const step: Memo = hooks.step ?? direct;
  const { duration } = await probeAudio(input, { signal: hooks.signal, env: hooks.env });
  if (!(duration > 0)) throw new SpxError('AUDIO_INVALID', `"${input}" holds no audio (duration ${duration}).`, { hint: 'Pass a recording with an audio stream.' });
  const windows = Math.max(1, Math.ceil(duration / o.windowSeconds));
  const regionOptions: Partial<RegionOptions> = {
    frameSeconds: VAD_FRAME_SECONDS,
    threshold: o.threshold,
    minSpeechSeconds: o.minSpeechSeconds,
    minSilenceSeconds: o.minSilenceSeconds,
    padSeconds: o.padSeconds,
    maxSpeechSeconds: o.maxSpeechSeconds,
  };
  const all: Region[] = [];
  for (let w = 0; w < windows; w++) {
    const start = w * o.windowSeconds;
    const length = Math.min(o.windowSeconds, duration - start);
    const found = await step(`vad-window-${w}`, async () => {
      const probs = await vadProbabilities(input, start, length, hooks.signal, hooks.env);
      return speechRegions(probs, length, regionOptions).map((r) => ({ start: round3(start + r.start), end: round3(start + r.end) }));
    });
    all.push(...found);
    hooks.progress?.(w + 1, windows, `VAD window ${w + 1}/${windows}`);
  }
  return { format: SPEECH_FORMAT, version: 1, engine: 'local/silero-vad', duration: round3(duration), speech: joinAcross(all, o.minSilenceSeconds, o.maxSpeechSeconds) };
}

export async function readSpeechSegments(path: string): Promise<SpeechSegments> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new SpxError('INPUT_INVALID', `Cannot read speech segments from "${path}".`, { hint: 'Pass the `segments` output of local/vad.', cause });
  }
  const v = value as Partial<SpeechSegments>;
  if (v?.format !== SPEECH_FORMAT || !Array.isArray(v.speech)) {
    throw new SpxError('INPUT_INVALID', `"${path}" is not a speech segments file (format "${String(v?.format)}").`, { hint: 'Pass the `segments` output of local/vad.' });
  }
  return v as SpeechSegments;
}
