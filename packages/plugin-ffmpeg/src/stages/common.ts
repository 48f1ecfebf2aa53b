// Pieces the three stages share: param schemas, input resolution, FileRefs, progress.
import { resolve } from 'node:path';
import { type Json, type JSONSchema, type StageContext } from '@spx/core';
import { findBinaries } from '../binaries.js';
import { AUDIO_FORMATS, type AudioFormat } from '../convert.js';
import { abortError } from '../exec.js';

export const inputParam: JSONSchema = { type: 'string', minLength: 1, description: 'Audio or video file ffmpeg can read (absolute, or relative to the working directory).' };

export const encodeParams: Record<string, JSONSchema> = {
  format: { enum: [...AUDIO_FORMATS], default: 'wav', description: 'Output format: wav (16-bit PCM), flac, mp3 or opus.' },
  sampleRate: { type: 'integer', minimum: 1000, maximum: 384000, default: 16000, description: 'Output sample rate in Hz (opus: 8000, 12000, 16000, 24000 or 48000).' },
  channels: { type: 'integer', minimum: 1, maximum: 8, default: 1, description: 'Output channels (1 = mono downmix).' },
  bitrate: {
    anyOf: [
      { type: 'string', pattern: '^\\d+(\\.\\d+)?[kKmM]?$' },
      { type: 'integer', minimum: 1000 },
    ],
    description: 'mp3/opus bitrate, e.g. "64k" (default 64k mp3, 32k opus); ignored for wav/flac.',
  },
};

export interface EncodeParams {
  format: AudioFormat;
  sampleRate: number;
  channels: number;
  bitrate?: string | number;
}

export function resolveInput(input: string): string {
  return resolve(input);
}

export function checkAborted(ctx: Pick<StageContext, 'signal'>, action: string): void {
  if (ctx.signal.aborted) throw abortError(action, ctx.signal);
}

/** Preflight shared by all stages: ffmpeg must be installed. */
export function preflightBinaries(env: Readonly<Record<string, string | undefined>>): void {
  findBinaries(env);
}

/** ctx.step for values typed as interfaces (which TypeScript will not treat as Json by itself). */
export async function jsonStep<T>(ctx: StageContext<unknown>, key: string, fn: () => Promise<T>, reuseIf?: (value: T) => boolean | Promise<boolean>): Promise<T> {
  const value = await ctx.step(key, async () => (await fn()) as unknown as Json, reuseIf ? { reuseIf: (stored) => reuseIf(stored as unknown as T) } : undefined);
  return value as unknown as T;
}

/** Progress in seconds of audio, throttled to whole percent steps. */
export function secondsProgress(ctx: StageContext<unknown>, total: number, label: string): (fraction: number) => void {
  let last = -1;
  return (fraction) => {
    const percent = Math.floor(fraction * 100);
    if (percent === last) return;
    last = percent;
    ctx.progress({ done: Math.round(fraction * total * 10) / 10, total: Math.round(total * 10) / 10, message: `${label} ${percent}%` });
  };
}
