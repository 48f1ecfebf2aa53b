// pyannote/diarize: upload, submit a diarization job, poll it to the end, write the turns as
// a canonical Diarization (regular + exclusive turns) and as RTTM.
import { defineStage, type FileRef, type Json } from '@spx/core';
import { SERVICE, type DiarizeOutput, type Model, type SpeakerCounts } from '../client.js';
import { diarizationFromOutput } from '../convert.js';
import { runRemoteJob } from '../jobs.js';
import {
  PRICING,
  audioSource,
  audioSourceRequired,
  audioSourceSchema,
  checkSpeakerCounts,
  clientFor,
  logWarning,
  pollSchema,
  preflightCommon,
  speakerCountSchema,
  speakerCounts,
  waitOptions,
  type PollParams,
  writeDiarizationFiles,
} from './common.js';

export interface DiarizeParams extends PollParams, SpeakerCounts {
  audio?: string;
  url?: string;
  model: Model;
  exclusive: boolean;
  confidence: boolean;
  turnLevelConfidence: boolean;
}

export interface DiarizeOutputs extends Record<string, unknown> {
  diarization: FileRef;
  rttm: FileRef;
  timeline: FileRef;
  raw: FileRef;
  speakers: string[];
  jobId: string;
}

export const diarizeStage = defineStage<DiarizeParams, DiarizeOutputs>({
  description: 'Speaker diarization (who speaks when) with the pyannoteAI API.',
  version: '1',
  executionParams: ['pollIntervalMs', 'maxPollIntervalMs', 'pollTimeoutMs'],
  params: {
    type: 'object',
    additionalProperties: false,
    anyOf: audioSourceRequired,
    properties: {
      ...audioSourceSchema,
      model: { enum: ['precision-2', 'community-1'], default: 'precision-2', description: 'pyannoteAI model.' },
      ...speakerCountSchema,
      exclusive: { type: 'boolean', default: true, description: 'Also request exclusive (one speaker at a time) turns; core/merge prefers them.' },
      confidence: { type: 'boolean', default: false, description: 'Request frame-level confidence scores (kept in the raw output).' },
      turnLevelConfidence: { type: 'boolean', default: false, description: 'Request per-turn confidence (stored on each turn, 0..1).' },
      ...pollSchema,
    },
  },
  outputs: {
    diarization: { kind: 'file', description: 'Canonical spx Diarization JSON (turns and exclusiveTurns).' },
    rttm: { kind: 'file', description: 'RTTM of the regular (possibly overlapping) turns.' },
    timeline: { kind: 'file', description: 'Speaker-only spx Transcript (one placeholder segment per turn) for core/merge + core/export when there is no transcription.' },
    raw: { kind: 'file', description: 'The job output exactly as the API returned it.' },
    speakers: { kind: 'json', description: 'Speaker labels in order of first appearance.' },
    jobId: { kind: 'json', description: 'pyannoteAI job id.' },
  },
  pricing: PRICING,
  preflight(ctx) {
    preflightCommon(ctx.env, ctx.params);
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const p = ctx.params;
    checkSpeakerCounts(p);
    const client = clientFor(ctx);
    const memo = ctx.step.bind(ctx);
    const source = await audioSource(ctx, client, memo);
    const request = {
      url: source.url,
      model: p.model,
      ...speakerCounts(p),
      exclusive: p.exclusive,
      confidence: p.confidence,
      turnLevelConfidence: p.turnLevelConfidence,
    };
    let billedHere = false;
    const { jobId, value: output } = await runRemoteJob<Json, DiarizeOutput>({
      client,
      memo,
      logger: ctx.logger,
      signal: ctx.signal,
      key: `diarize/${source.id.slice(0, 24)}`,
      what: `diarization of ${source.name}`,
      paid: true,
      wait: waitOptions(ctx),
      submit: async () => {
        const created = await client.diarize(request);
        logWarning(ctx.logger, created.warning);
        return created.jobId;
      },
      onSubmitted: () => {
        billedHere = true;
      },
      extract: (out) => out as unknown as Json,
    });
    const result = output as unknown as DiarizeOutput;
    if (!Array.isArray(result.diarization)) ctx.fail('API_BAD_RESPONSE', `${SERVICE} job ${jobId} succeeded without a diarization list.`, { hint: 'Run the same command again later.' });
    logWarning(ctx.logger, result.warning);
    const duration = source.local?.duration ?? Math.max(0, ...result.diarization.map((t) => t.end));
    if (billedHere) ctx.usage(duration / 3600);
    const diarization = diarizationFromOutput(result, { model: p.model, ...(source.local?.duration === undefined ? {} : { duration: source.local.duration }) });
    const uri = ctx.run.inputStem || source.name;
    const files = await writeDiarizationFiles(ctx, diarization, result, uri);
    ctx.progress({ done: 1, total: 1, message: `${diarization.turns.length} turns, ${diarization.speakers.length} speakers` });
    return {
      outputs: { ...files, speakers: diarization.speakers, jobId },
      metadata: { jobId, model: p.model, turns: diarization.turns.length, speakers: diarization.speakers.length, exclusiveTurns: diarization.exclusiveTurns?.length ?? 0 },
    };
  },
});
