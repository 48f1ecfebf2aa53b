// local/vad: Silero VAD speech regions of a recording, a checkpoint per window.
import { resolve } from 'node:path';
import { defineStage, Type, type FileRef, type Static } from '@spx/core';
import { detectSpeech } from '../vad/detect.js';
import { audioParam, hooksOf, preflightFfmpeg, vadParams } from './common.js';

const LocalVadParamsSchema = Type.Object({ audio: audioParam, ...vadParams }, { additionalProperties: false });

export type LocalVadParams = Static<typeof LocalVadParamsSchema>;

export interface LocalVadOutputs extends Record<string, unknown> {
  segments: FileRef;
  stats: { regions: number; speechSeconds: number; duration: number };
}

export const vadStage = defineStage<typeof LocalVadParamsSchema, LocalVadOutputs>({
  description: 'Finds speech regions with Silero VAD (onnxruntime, CPU), split only at pauses; the regions both recognition and diarization work on.',
  version: '1',
  params: LocalVadParamsSchema,
  outputs: {
    segments: { kind: 'file', description: 'Speech segments JSON (format spx-speech): duration and speech [{start, end}] in seconds.' },
    stats: { kind: 'json', description: '{regions, speechSeconds, duration}.' },
  },
  preflight: (ctx) => preflightFfmpeg(ctx.env),
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const { audio, ...options } = ctx.params;
    const speech = await detectSpeech(resolve(audio), options, hooksOf(ctx));
    const speechSeconds = Math.round(speech.speech.reduce((a, r) => a + r.end - r.start, 0) * 1000) / 1000;
    const segments = await ctx.artifacts.write('segments.json', `${JSON.stringify(speech, null, 1)}\n`, 'application/json');
    const stats = { regions: speech.speech.length, speechSeconds, duration: speech.duration };
    return { outputs: { segments, stats }, metadata: stats };
  },
});
