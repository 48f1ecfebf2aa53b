// core/merge: a Transcript plus speaker turns → the merged transcript (who said each word).
import { defineStage } from '../plugins/define.js';
import type { FileRef, Json } from '../plugins/types.js';
import { DIARIZATION_FORMAT, TRANSCRIPT_FORMAT, type Diarization, type Transcript } from '../transcript/types.js';
import { toJson } from './export/formats.js';
import { MERGE_DEFAULTS, mergeTranscript, type MergeStats } from './merge.js';
import type { MergedSpeaker } from './merged.js';
import { isObject, readJsonFile } from './read.js';

export interface MergeParams {
  transcript: string;
  speakers?: string;
  names?: Record<string, string>;
  tolerance: number;
  pauseThreshold: number;
  smoothing: boolean;
  minTurn: number;
  sentencePause: number;
  splitSegments: boolean;
}

export interface MergeOutputs extends Record<string, unknown> {
  transcript: FileRef;
  speakers: MergedSpeaker[];
  stats: MergeStats;
}

export const mergeStage = defineStage<MergeParams, MergeOutputs>({
  description: 'Assigns every word of a transcript to the speaker whose turn overlaps it most and groups words into utterances.',
  version: '1',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['transcript'],
    properties: {
      transcript: { type: 'string', minLength: 1, description: 'Path of a Transcript JSON file (spx-transcript).' },
      speakers: { type: 'string', minLength: 1, description: 'Path of a Diarization JSON file (spx-diarization); optional when the transcript carries speakers.' },
      names: { type: 'object', additionalProperties: { type: 'string' }, description: 'Speaker label → display name, e.g. {SPEAKER_00: Anna}.' },
      tolerance: { type: 'number', minimum: 0, default: MERGE_DEFAULTS.tolerance, description: 'Seconds: a word in no turn takes the nearest turn this close, else "unknown".' },
      pauseThreshold: { type: 'number', minimum: 0, default: MERGE_DEFAULTS.pauseThreshold, description: 'Seconds of silence that start a new utterance.' },
      smoothing: { type: 'boolean', default: MERGE_DEFAULTS.smoothing, description: 'A sentence takes its majority speaker unless a change inside it lasts ≥ minTurn s on both sides.' },
      minTurn: { type: 'number', minimum: 0, default: MERGE_DEFAULTS.minTurn, description: 'Seconds each side of a speaker change needs to survive smoothing.' },
      sentencePause: { type: 'number', minimum: 0, default: MERGE_DEFAULTS.sentencePause, description: 'Seconds of silence that end a sentence for smoothing (as do . ? !).' },
      splitSegments: { type: 'boolean', default: MERGE_DEFAULTS.splitSegments, description: 'Without word timestamps, split segments at turn boundaries by time share.' },
    },
  },
  outputs: {
    transcript: { kind: 'file', description: 'Merged transcript JSON (spx-merged, docs/transcript-format.md).' },
    speakers: { kind: 'json', description: 'Speakers in order of first appearance: [{id, name}].' },
    stats: { kind: 'json', description: 'Counts: words, segments, utterances, unknown, overlapped, smoothed.' },
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const { params } = ctx;
    const transcript = await readJsonFile(ctx, params.transcript, 'Transcript', 'a transcription stage');
    if (!isObject(transcript) || transcript.format !== TRANSCRIPT_FORMAT || !Array.isArray(transcript.segments)) {
      ctx.fail('INPUT_INVALID', `Transcript file "${params.transcript}" is not an ${TRANSCRIPT_FORMAT} document.`, { hint: 'Pass the `transcript` output of a transcription stage.' });
    }
    let diarization: Diarization | undefined;
    if (params.speakers) {
      const value = await readJsonFile(ctx, params.speakers, 'Speakers', 'a diarization or identification stage');
      if (!isObject(value) || value.format !== DIARIZATION_FORMAT || !Array.isArray(value.turns)) {
        ctx.fail('INPUT_INVALID', `Speakers file "${params.speakers}" is not an ${DIARIZATION_FORMAT} document.`, { hint: 'Pass the `speakers`/`turns` file output of a diarization or identification stage.' });
      }
      diarization = value as unknown as Diarization;
    }
    ctx.signal.throwIfAborted();
    const { merged, stats } = mergeTranscript(transcript as unknown as Transcript, diarization, {
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
