// local/transcribe: pocketsphinx on VAD-planned chunks, several at a time, a checkpoint per batch.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { defineStage, Type, type FileRef, type Static } from '@spx/core';
import { transcribeSpeech } from '../asr/transcribe.js';
import { findPocketsphinx } from '../asr/pocketsphinx.js';
import { audioParam, hooksOf, preflightFfmpeg, segmentsParam, speechFor } from './common.js';

export interface LocalTranscribeOutputs extends Record<string, unknown> {
  transcript: FileRef;
  stats: { words: number; segments: number; chunks: number; duration: number };
}

// Chosen on the shipped samples with bench/quality.ts (see README: each lowers pooled WER).
export const TRANSCRIBE_DEFAULTS = { maxChunkSeconds: 30, padSeconds: 0.5, contextSeconds: 5, levelDb: -30, minConfidence: 0, batchSeconds: 120 } as const;

const LocalTranscribeParamsSchema = Type.Object(
  {
    audio: audioParam,
    segments: Type.Optional(segmentsParam),
    maxChunkSeconds: Type.Number({ minimum: 2, maximum: 600, default: TRANSCRIBE_DEFAULTS.maxChunkSeconds, description: 'Longest run of whole speech regions decoded as one chunk, seconds.' }),
    padSeconds: Type.Number({ minimum: 0, maximum: 5, default: TRANSCRIBE_DEFAULTS.padSeconds, description: 'Pause kept around each chunk (never past the neighbouring speech), seconds.' }),
    contextSeconds: Type.Number({ minimum: 0, maximum: 30, default: TRANSCRIBE_DEFAULTS.contextSeconds, description: 'Audio before a chunk decoded with it so the recogniser has adapted when the chunk starts; words in it are dropped, seconds.' }),
    // `type: [number, null]` rather than a TypeBox union: one type error naming both, as before.
    levelDb: Type.Unsafe<number | null>({ type: ['number', 'null'], maximum: 0, minimum: -60, default: TRANSCRIBE_DEFAULTS.levelDb, description: 'Speech level each chunk is scaled to before decoding, dBFS (peaks kept under −1 dBFS); null leaves levels alone.' }),
    minConfidence: Type.Number({ minimum: 0, maximum: 1, default: TRANSCRIBE_DEFAULTS.minConfidence, description: 'Drop words whose posterior confidence is below this.' }),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 64, description: 'Recogniser processes at once (default: CPU count, at most 4).' })),
    batchSeconds: Type.Number({ minimum: 10, default: TRANSCRIBE_DEFAULTS.batchSeconds, description: 'Audio per checkpointed batch, seconds.' }),
    decoderArgs: Type.Array(Type.String(), { default: [], description: 'Extra pocketsphinx_continuous flags, e.g. ["-lw", "7"].' }),
  },
  { additionalProperties: false },
);

export type LocalTranscribeParams = Static<typeof LocalTranscribeParamsSchema>;

export const transcribeStage = defineStage<typeof LocalTranscribeParamsSchema, LocalTranscribeOutputs>({
  description: 'Transcribes offline with CMU pocketsphinx (en-us), chunked at speech pauses and level-normalised, with word times and confidences.',
  version: '1',
  params: LocalTranscribeParamsSchema,
  executionParams: ['concurrency'],
  outputs: {
    transcript: { kind: 'file', description: 'Transcript JSON (spx-transcript), word timestamps and confidences.' },
    stats: { kind: 'json', description: '{words, segments, chunks, duration}.' },
  },
  preflight(ctx) {
    preflightFfmpeg(ctx.env);
    findPocketsphinx(ctx.env);
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const p = ctx.params;
    findPocketsphinx(ctx.env);
    const audio = resolve(p.audio);
    const speech = await speechFor(ctx, audio, p.segments);
    const transcript = await transcribeSpeech(
      audio,
      speech,
      {
        maxChunkSeconds: p.maxChunkSeconds,
        padSeconds: p.padSeconds,
        contextSeconds: p.contextSeconds,
        levelDb: p.levelDb,
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
