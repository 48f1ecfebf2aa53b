// Pieces the local stages share: param schemas, hooks wiring ctx.step/progress, segment loading.
import { resolve } from 'node:path';
import { Type, type StageContext } from '@spx/core';
import { findBinaries, type Env } from '@spx/plugin-ffmpeg';
import { detectSpeech, readSpeechSegments, VAD_DEFAULTS, type SpeechSegments, type WorkHooks } from '../vad/detect.js';

export const audioParam = Type.String({ minLength: 1, description: 'Audio file (any format ffmpeg reads; ffmpeg/convert output, 16 kHz mono WAV, is fastest).' });
export const segmentsParam = Type.String({ minLength: 1, description: 'Speech segments file from local/vad; without it the stage runs the VAD itself.' });

export const vadParams = {
  threshold: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1, default: VAD_DEFAULTS.threshold, description: 'Speech probability that starts a region.' }),
  minSpeechSeconds: Type.Number({ minimum: 0, default: VAD_DEFAULTS.minSpeechSeconds, description: 'Shorter regions are dropped, seconds.' }),
  minSilenceSeconds: Type.Number({ minimum: 0, default: VAD_DEFAULTS.minSilenceSeconds, description: 'Pause that ends a region, seconds.' }),
  padSeconds: Type.Number({ minimum: 0, default: VAD_DEFAULTS.padSeconds, description: 'Padding added to both ends of a region, seconds.' }),
  maxSpeechSeconds: Type.Number({ minimum: 2, default: VAD_DEFAULTS.maxSpeechSeconds, description: 'Longer regions are split at their least speech-like frame, seconds.' }),
  windowSeconds: Type.Number({ minimum: 10, default: VAD_DEFAULTS.windowSeconds, description: 'Audio analysed (and checkpointed) per window, seconds.' }),
};

export function hooksOf(ctx: StageContext<unknown>): WorkHooks {
  return {
    env: ctx.env,
    signal: ctx.signal,
    step: ctx.step,
    progress: (done, total, message) => ctx.progress({ done, total, message }),
  };
}

export function preflightFfmpeg(env: Env): void {
  findBinaries(env);
}

/** The speech segments: read from `segments` when given, else detected with default VAD settings. */
export async function speechFor(ctx: StageContext<unknown>, audio: string, segments: string | undefined): Promise<SpeechSegments> {
  if (segments) return readSpeechSegments(resolve(segments));
  return detectSpeech(audio, {}, hooksOf(ctx));
}
