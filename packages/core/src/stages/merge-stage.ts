// core/merge: a Transcript plus speaker turns → the merged transcript (who said each word).
import { Type, type Static } from '@sinclair/typebox';
import { defineStage } from '../plugins/define.js';
import type { FileRef, Json } from '../plugins/types.js';
import { readDiarization, readTranscript } from '../transcript/read.js';
import { toJson } from './export/formats.js';
import { MERGE_DEFAULTS, mergeTranscript, type MergeStats } from './merge.js';
import type { MergedSpeaker } from './merged.js';

const MergeParamsSchema = Type.Object(
  {
    transcript: Type.String({ minLength: 1, description: 'Path of a Transcript JSON file (spx-transcript).' }),
    speakers: Type.Optional(Type.String({ minLength: 1, description: 'Path of a Diarization JSON file (spx-diarization); optional when the transcript carries speakers.' })),
    names: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Speaker label → display name, e.g. {SPEAKER_00: Anna}.' })),
    tolerance: Type.Number({ minimum: 0, default: MERGE_DEFAULTS.tolerance, description: 'Seconds: a word in no turn takes the nearest turn this close, else "unknown".' }),
    pauseThreshold: Type.Number({ minimum: 0, default: MERGE_DEFAULTS.pauseThreshold, description: 'Seconds of silence that start a new utterance.' }),
    smoothing: Type.Boolean({ default: MERGE_DEFAULTS.smoothing, description: 'A sentence takes its majority speaker unless a change inside it lasts ≥ minTurn s on both sides.' }),
    minTurn: Type.Number({ minimum: 0, default: MERGE_DEFAULTS.minTurn, description: 'Seconds each side of a speaker change needs to survive smoothing.' }),
    sentencePause: Type.Number({ minimum: 0, default: MERGE_DEFAULTS.sentencePause, description: 'Seconds of silence that end a sentence for smoothing (as do . ? !).' }),
    splitSegments: Type.Boolean({ default: MERGE_DEFAULTS.splitSegments, description: 'Without word timestamps, split segments at turn boundaries by time share.' }),
  },
  { additionalProperties: false },
);

export type MergeParams = Static<typeof MergeParamsSchema>;

export interface MergeOutputs extends Record<string, unknown> {
  transcript: FileRef;
  speakers: MergedSpeaker[];
  stats: MergeStats;
}

export const mergeStage = defineStage<typeof MergeParamsSchema, MergeOutputs>({
  description: 'Assigns every word of a transcript to the speaker whose turn overlaps it most and groups words into utterances.',
  version: '1',
  params: MergeParamsSchema,
  outputs: {
    transcript: { kind: 'file', description: 'Merged transcript JSON (spx-merged, docs/transcript-format.md).' },
    speakers: { kind: 'json', description: 'Speakers in order of first appearance: [{id, name}].' },
    stats: { kind: 'json', description: 'Counts: words, segments, utterances, unknown, overlapped, smoothed.' },
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const { params } = ctx;
    const transcript = await readTranscript(params.transcript);
    const diarization = params.speakers ? await readDiarization(params.speakers) : undefined;
    ctx.signal.throwIfAborted();
    const { merged, stats } = mergeTranscript(transcript, diarization, {
      ...(params.names ? { names: params.names } : {}),
      tolerance: params.tolerance,
      pauseThreshold: params.pauseThreshold,
      smoothing: params.smoothing,
      minTurn: params.minTurn,
      sentencePause: params.sentencePause,
      splitSegments: params.splitSegments,
    });
    if (stats.unknown > 0) ctx.logger.warn(`${stats.unknown} of ${stats.words || stats.segments} pieces of text are in no speaker turn (within ${params.tolerance} s) and are labelled "unknown".`);
    const file = await ctx.artifacts.write('merged.json', toJson(merged), 'application/json');
    return { outputs: { transcript: file, speakers: merged.speakers, stats }, metadata: { ...stats, assignment: merged.source.assignment } as Record<string, Json> };
  },
});
