// local/diarize: MFCC + ΔBIC change detection and clustering, windowed, speakers linked across windows.
import { basename, extname, resolve } from 'node:path';
import { defineStage, Enum, Type, type FileRef, type Static } from '@spx/core';
import { writeRttm } from '@spx/core/formats';
import { DIARIZE_DEFAULTS, diarizeSpeech } from '../diarize/diarize.js';
import { audioParam, hooksOf, preflightFfmpeg, segmentsParam, speechFor } from './common.js';

export interface LocalDiarizeOutputs extends Record<string, unknown> {
  diarization: FileRef;
  rttm: FileRef;
  speakers: string[];
  stats: { speakers: number; turns: number; windows: number; speechSeconds: number };
}

const D = DIARIZE_DEFAULTS;

const LocalDiarizeParamsSchema = Type.Object(
  {
    audio: audioParam,
    segments: Type.Optional(segmentsParam),
    numSpeakers: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'Exact number of speakers, when known.' })),
    minSpeakers: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'At least this many speakers.' })),
    maxSpeakers: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'At most this many speakers.' })),
    windowSeconds: Type.Number({ minimum: 10, maximum: 3600, default: D.windowSeconds, description: 'Audio clustered (and checkpointed) per window, seconds.' }),
    pieceSeconds: Type.Number({ minimum: 0.5, maximum: 30, default: D.pieceSeconds, description: 'Longest piece of speech clustered as one unit, seconds.' }),
    minPieceSeconds: Type.Number({ minimum: 0.1, maximum: 10, default: D.minPieceSeconds, description: 'Shorter pieces are assigned to the most likely speaker after clustering, seconds.' }),
    lambda: Type.Number({ exclusiveMinimum: 0, default: D.lambda, description: 'ΔBIC penalty weight for clustering: higher merges more (fewer speakers).' }),
    changeLambda: Type.Number({ exclusiveMinimum: 0, default: D.changeLambda, description: 'ΔBIC penalty weight for speaker-change detection: higher finds fewer changes.' }),
    covariance: Enum(['full', 'diagonal'], { default: D.covariance, description: 'Gaussian covariance used by ΔBIC.' }),
    changeDetection: Type.Boolean({ default: D.changeDetection, description: 'Look for speaker changes inside speech regions.' }),
    mergeGap: Type.Number({ minimum: 0, default: D.mergeGap, description: 'Same-speaker turns closer than this are joined, seconds.' }),
    linkCapSeconds: Type.Number({ minimum: 1, default: D.linkCapSeconds, description: 'Clusters are compared as if each held at most this much speech, seconds.' }),
    minSpeakerShare: Type.Number({ minimum: 0, maximum: 0.5, default: D.minSpeakerShare, description: 'Speakers with less than this share of the speech are folded into the most likely other one (not with numSpeakers).' }),
  },
  { additionalProperties: false },
);

export type LocalDiarizeParams = Static<typeof LocalDiarizeParamsSchema>;

export const diarizeStage = defineStage<typeof LocalDiarizeParamsSchema, LocalDiarizeOutputs>({
  description: 'Diarizes offline: MFCCs over speech, ΔBIC speaker-change detection and agglomerative clustering per window, speakers linked across windows; speakers that differ no more than each varies within itself are one speaker.',
  version: '2',
  params: LocalDiarizeParamsSchema,
  outputs: {
    diarization: { kind: 'file', description: 'Diarization JSON (spx-diarization): turns, exclusiveTurns, speakers.' },
    rttm: { kind: 'file', description: 'The same turns as RTTM.' },
    speakers: { kind: 'json', description: 'Speaker labels in order of first appearance.' },
    stats: { kind: 'json', description: '{speakers, turns, windows, speechSeconds}.' },
  },
  preflight: (ctx) => preflightFfmpeg(ctx.env),
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const { audio: audioParamValue, segments, ...options } = ctx.params;
    const { numSpeakers, minSpeakers, maxSpeakers } = options;
    if (minSpeakers !== undefined && maxSpeakers !== undefined && minSpeakers > maxSpeakers) {
      ctx.fail('PARAMS_INVALID', `minSpeakers ${minSpeakers} is greater than maxSpeakers ${maxSpeakers}.`, { hint: 'Set minSpeakers ≤ maxSpeakers, or give numSpeakers alone.' });
    }
    if (numSpeakers !== undefined && (minSpeakers !== undefined || maxSpeakers !== undefined)) {
      ctx.fail('PARAMS_INVALID', `numSpeakers ${numSpeakers} is given together with minSpeakers/maxSpeakers.`, { hint: 'Give either numSpeakers or a minSpeakers/maxSpeakers range.' });
    }
    const audio = resolve(audioParamValue);
    const speech = await speechFor(ctx, audio, segments);
    const diarization = await diarizeSpeech(audio, speech, { ...D, ...options }, hooksOf(ctx));
    const uri = ctx.run.inputStem || basename(audio, extname(audio));
    const file = await ctx.artifacts.write('diarization.json', `${JSON.stringify(diarization, null, 1)}\n`, 'application/json');
    const rttm = await ctx.artifacts.write('diarization.rttm', writeRttm(diarization.turns, uri), 'text/plain');
    const stats = {
      speakers: diarization.speakers.length,
      turns: diarization.turns.length,
      windows: Math.max(1, Math.ceil(speech.duration / (options.windowSeconds ?? D.windowSeconds))),
      speechSeconds: Math.round(speech.speech.reduce((a, r) => a + r.end - r.start, 0) * 1000) / 1000,
    };
    return { outputs: { diarization: file, rttm, speakers: diarization.speakers, stats }, metadata: stats };
  },
});
