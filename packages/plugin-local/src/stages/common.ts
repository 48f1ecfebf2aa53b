// Pieces the local stages share: param schemas, hooks wiring ctx.step/progress, segment loading.
import { resolve } from 'node:path';
import type { Json, JSONSchema, StageContext } from '@spx/core';
import { findBinaries } from '@spx/plugin-ffmpeg';
import { detectSpeech, readSpeechSegments, VAD_DEFAULTS, type SpeechSegments, type VadOptions, type WorkHooks } from '../vad/detect.js';

export const audioParam: JSONSchema = { type: 'string', minLength: 1, description: 'Audio file (any format ffmpeg reads; ffmpeg/convert output, 16 kHz mono WAV, is fastest).' };
export const segmentsParam: JSONSchema = { type: 'string', minLength: 1, description: 'Speech segments file from local/vad; without it the stage runs the VAD itself.' };

export const vadParams: Record<string, JSONSchema> = {
  threshold: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, default: VAD_DEFAULTS.threshold, description: 'Speech probability that starts a region.' },
  minSpeechSeconds: { type: 'number', minimum: 0, default: VAD_DEFAULTS.minSpeechSeconds, description: 'Shorter regions are dropped, seconds.' },
  minSilenceSeconds: { type: 'number', minimum: 0, default: VAD_DEFAULTS.minSilenceSeconds, description: 'Pause that ends a region, seconds.' },
  padSeconds: { type: 'number', minimum: 0, default: VAD_DEFAULTS.padSeconds, description: 'Padding added to both ends of a region, seconds.' },
  maxSpeechSeconds: { type: 'number', minimum: 2, default: VAD_DEFAULTS.maxSpeechSeconds, description: 'Longer regions are split at their least speech-like frame, seconds.' },
  windowSeconds: { type: 'number', minimum: 10, default: VAD_DEFAULTS.windowSeconds, description: 'Audio analysed (and checkpointed) per window, seconds.' },
};

export type VadParams = VadOptions;

export function hooksOf(ctx: StageContext<unknown>): WorkHooks {
  return {
    signal: ctx.signal,
    step: <T extends Json>(key: string, fn: () => Promise<T>) => ctx.step<T>(key, fn),
    progress: (done, total, message) => ctx.progress({ done, total, message }),
  };
}

export function preflightFfmpeg(env: Readonly<Record<string, string | undefined>>): void {
  findBinaries(env);
}

/** The speech segments: read from `segments` when given, else detected with default VAD settings. */
export async function speechFor(ctx: StageContext<unknown>, audio: string, segments: string | undefined): Promise<SpeechSegments> {
  if (segments) return readSpeechSegments(resolve(segments));
  return detectSpeech(audio, {}, hooksOf(ctx));
}
