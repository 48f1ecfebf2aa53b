// local/transcribe: pocketsphinx on VAD-planned chunks beside pocketsphinx on the whole file, a checkpoint per batch.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { defineStage, Type, type FileRef, type Static } from '@spx/core';
import { transcribeSpeech } from '../asr/transcribe.js';
import { findPocketsphinx, findPocketsphinxBatch } from '../asr/pocketsphinx.js';
import { audioParam, hooksOf, preflightFfmpeg, segmentsParam, speechFor } from './common.js';

export interface LocalTranscribeOutputs extends Record<string, unknown> {
  transcript: FileRef;
  stats: { words: number; segments: number; chunks: number; duration: number };
}

// Measured with bench/quality.ts on the synthetic samples and the real-speech dev set (see README).
export const TRANSCRIBE_DEFAULTS = { maxChunkSeconds: 60, padSeconds: 0.5, minConfidence: 0, batchSeconds: 120 } as const;

const LocalTranscribeParamsSchema = Type.Object(
  {
    audio: audioParam,
    segments: Type.Optional(segmentsParam),
    maxChunkSeconds: Type.Number({ minimum: 2, maximum: 600, default: TRANSCRIBE_DEFAULTS.maxChunkSeconds, description: 'Longest run of whole speech regions decoded as one utterance, seconds.' }),
    padSeconds: Type.Number({ minimum: 0, maximum: 5, default: TRANSCRIBE_DEFAULTS.padSeconds, description: 'Pause kept around each chunk (never past the neighbouring speech), seconds.' }),
    minConfidence: Type.Number({ minimum: 0, maximum: 1, default: TRANSCRIBE_DEFAULTS.minConfidence, description: 'Drop words whose posterior confidence is below this.' }),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Recogniser processes at once (default: CPU count, at most 4).' })),
    batchSeconds: Type.Number({ minimum: 10, default: TRANSCRIBE_DEFAULTS.batchSeconds, description: 'Audio per checkpointed batch, seconds.' }),
    decoderArgs: Type.Array(Type.String(), { default: [], description: 'Extra pocketsphinx flags for every decoder run (pocketsphinx_continuous and pocketsphinx_batch), e.g. ["-lw", "7"].' }),
  },
  { additionalProperties: false },
);

export type LocalTranscribeParams = Static<typeof LocalTranscribeParamsSchema>;

export const transcribeStage = defineStage<typeof LocalTranscribeParamsSchema, LocalTranscribeOutputs>({
  description: 'Transcribes offline with CMU pocketsphinx (en-us): chunks cut at speech pauses and the whole file recognised side by side, the acoustic model choosing where they differ; word times and confidences.',
  version: '2',
  params: LocalTranscribeParamsSchema,
  executionParams: ['concurrency'],
  outputs: {
    transcript: { kind: 'file', description: 'Transcript JSON (spx-transcript), word timestamps and confidences.' },
    stats: { kind: 'json', description: '{words, segments, chunks, duration}.' },
  },
  preflight(ctx) {
    preflightFfmpeg(ctx.env);
    findPocketsphinx(ctx.env);
    findPocketsphinxBatch(ctx.env);
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const p = ctx.params;
    findPocketsphinx(ctx.env);
    findPocketsphinxBatch(ctx.env);
    const audio = resolve(p.audio);
    const speech = await speechFor(ctx, audio, p.segments);
    const transcript = await transcribeSpeech(
      audio,
      speech,
      {
        maxChunkSeconds: p.maxChunkSeconds,
        padSeconds: p.padSeconds,
        minConfidence: p.minConfidence,
        concurrency: p.concurrency ?? Math.min(4, availableParallelism()),
        batchSeconds: p.batchSeconds,
        decoderArgs: p.decoderArgs,
        tmpDir: ctx.artifacts.tmpPath('chunks'),
      },
      hooksOf(ctx),
    );
    const words = transcript.segments.reduce((a, s) => a + (s.words?.length ?? 0), 0);
    const file = await ctx.artifacts.write('transcript.json', `${JSON.stringify(transcript, null, 1)}\n`, 'application/json');
    const stats = { words, segments: transcript.segments.length, chunks: transcript.chunks?.length ?? 0, duration: speech.duration };
    return { outputs: { transcript: file, stats }, metadata: stats };
  },
});
