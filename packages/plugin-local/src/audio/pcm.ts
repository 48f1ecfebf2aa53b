// Streams decoded PCM out of ffmpeg (`-f s16le -ac 1 -ar 16000 pipe:1`) in bounded blocks,
// so hours of audio never sit in memory at once. Any input ffmpeg reads works (the binary is
// found by @spx/plugin-ffmpeg's findBinaries). Windows of a file are read with -ss/-t.
import { execa } from 'execa';
import { SpxError, isSpxError } from '@spx/core';
import { findBinaries, summarizeStderr, type Env } from '@spx/plugin-ffmpeg';

export const SAMPLE_RATE = 16000;

export interface PcmStreamOptions {
  input: string;
  /** Seconds into the input where reading starts. */
  start?: number;
  /** Seconds to read (default: to the end). */
  duration?: number;
  signal?: AbortSignal;
  /** Samples per yielded block (default 1 s worth). The last block may be shorter. */
  blockSamples?: number;
  /** Where ffmpeg is looked up (a stage's ctx.env). */
  env: Env;
}

function aborted(signal: AbortSignal | undefined, input: string): SpxError {
  const reason: unknown = signal?.reason;
  if (isSpxError(reason) && reason.code === 'ABORTED') return reason;
  return new SpxError('ABORTED', `Stopped decoding "${input}": the run was aborted.`, { cause: reason });
}

/** Yields mono 16 kHz float samples (−1..1) of the input, `blockSamples` at a time. */
export async function* streamPcm(options: PcmStreamOptions): AsyncGenerator<Float32Array> {
  const { input, signal } = options;
  if (signal?.aborted) throw aborted(signal, input);
  const block = options.blockSamples ?? SAMPLE_RATE;
  const { ffmpeg } = findBinaries(options.env);
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error'];
  if (options.start && options.start > 0) args.push('-ss', options.start.toFixed(6));
  if (options.duration !== undefined) args.push('-t', Math.max(0, options.duration).toFixed(6));
  args.push('-i', `file:${input}`, '-map', '0:a:0', '-vn', '-f', 's16le', '-acodec', 'pcm_s16le', '-ac', '1', '-ar', String(SAMPLE_RATE), 'pipe:1');
  const child = execa(ffmpeg, args, { stdin: 'ignore', buffer: false, reject: false, cancelSignal: signal, forceKillAfterDelay: 2000, cleanup: true, encoding: 'buffer' });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr.push(...chunk.toString().split(/\r?\n/).filter(Boolean));
    if (stderr.length > 40) stderr.splice(0, stderr.length - 40);
  });
  let pending = new Float32Array(block);
  let fill = 0;
  let odd: number | undefined;
  let finished = false;
  try {
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      let offset = 0;
      if (odd !== undefined && chunk.length > 0) {
        const value = ((chunk[0]! << 8) | odd) << 16 >> 16;
        pending[fill++] = value / 32768;
        odd = undefined;
        offset = 1;
        if (fill === block) {
          yield pending;
          pending = new Float32Array(block);
          fill = 0;
        }
      }
      for (; offset + 1 < chunk.length; offset += 2) {
        pending[fill++] = chunk.readInt16LE(offset) / 32768;
        if (fill === block) {
          yield pending;
          pending = new Float32Array(block);
          fill = 0;
        }
      }
      if (offset < chunk.length) odd = chunk[offset];
    }
    finished = true;
  } finally {
    if (!finished) child.kill();
    const result = await child;
    // biome-ignore lint/correctness/noUnsafeFinally: an abort or a decode failure is the error to report, whatever ended the loop
    if (signal?.aborted || result.isCanceled) throw aborted(signal, input);
    if (finished && result.failed) {
      // biome-ignore lint/correctness/noUnsafeFinally: as above
      throw new SpxError('AUDIO_INVALID', `Cannot decode audio from "${input}": ${summarizeStderr(stderr, input)}.`, {
        hint: 'Check that the file is a complete audio or video file ffmpeg can play (`ffprobe <file>`).',
        cause: result as unknown as Error,
      });
    }
  }
  if (fill > 0) yield pending.subarray(0, fill);
}

/** Reads [start, start+duration) seconds into one array (callers keep ranges short). */
export async function readPcm(options: Omit<PcmStreamOptions, 'blockSamples'>): Promise<Float32Array> {
  const blocks: Float32Array[] = [];
  let total = 0;
  for await (const b of streamPcm({ ...options, blockSamples: SAMPLE_RATE * 10 })) {
    blocks.push(b);
    total += b.length;
  }
  const out = new Float32Array(total);
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}
