// Pieces the three stages share: param schemas, input resolution, progress.
import { resolve } from 'node:path';
import { Enum, Type, type StageContext } from '@spx/core';
import { AUDIO_FORMATS } from '@spx/core/formats';
import { findBinaries, type Env } from '../binaries.js';
import { abortError } from '../exec.js';

export const inputParam = Type.String({ minLength: 1, description: 'Audio or video file ffmpeg can read (absolute, or relative to the working directory).' });

export const encodeParams = {
  format: Enum(AUDIO_FORMATS, { default: 'wav', description: 'Output format: wav (16-bit PCM), flac, mp3 or opus.' }),
  sampleRate: Type.Integer({ minimum: 1000, maximum: 384000, default: 16000, description: 'Output sample rate in Hz (opus: 8000, 12000, 16000, 24000 or 48000).' }),
  channels: Type.Integer({ minimum: 1, maximum: 8, default: 1, description: 'Output channels (1 = mono downmix).' }),
  bitrate: Type.Optional(
    Type.Union([Type.String({ pattern: '^\\d+(\\.\\d+)?[kKmM]?$' }), Type.Integer({ minimum: 1000 })], {
      description: 'mp3/opus bitrate, e.g. "64k" (default 64k mp3, 32k opus); ignored for wav/flac.',
    }),
  ),
};

export function resolveInput(input: string): string {
  return resolve(input);
}

export function checkAborted(ctx: Pick<StageContext, 'signal'>, action: string): void {
  if (ctx.signal.aborted) throw abortError(action, ctx.signal);
}

/** Preflight shared by all stages: ffmpeg must be installed. */
export function preflightBinaries(env: Env): void {
  findBinaries(env);
}

/** Progress in seconds of audio, throttled to whole percent steps. */
export function secondsProgress(ctx: Pick<StageContext, 'progress'>, total: number, label: string): (fraction: number) => void {
  let last = -1;
  return (fraction) => {
    const percent = Math.floor(fraction * 100);
    if (percent === last) return;
    last = percent;
    ctx.progress({ done: Math.round(fraction * total * 10) / 10, total: Math.round(total * 10) / 10, message: `${label} ${percent}%` });
  };
}
