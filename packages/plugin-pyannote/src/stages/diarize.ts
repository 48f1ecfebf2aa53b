// pyannote/diarize: upload, submit a diarization job, poll it to the end, write the turns as
// a canonical Diarization (regular + exclusive turns) and as RTTM.
import { Type, defineStage, runRemoteJob, type FileRef, type Static } from '@spx/core';
import { SERVICE, type DiarizeOutput } from '../client.js';
import { diarizationFromOutput } from '../convert.js';
import { jobKey, pyannoteJob, resultKey, submitted } from '../jobs.js';
import {
  POLL_PARAMS,
  PRICING,
  audioSource,
  audioSourceParams,
  audioSourceRequired,
  checkSpeakerCounts,
  clientFor,
  diarizationOutputs,
  enumOf,
  logWarning,
  pollParams,
  pollSchedule,
  preflightCommon,
  speakerCountParams,
  speakerCounts,
  writeDiarizationFiles,
} from './common.js';

const DiarizeParamsSchema = Type.Object(
  {
    ...audioSourceParams,
    model: enumOf(['precision-2', 'community-1'], { default: 'precision-2', description: 'pyannoteAI model.' }),
    ...speakerCountParams,
    exclusive: Type.Boolean({ default: true, description: 'Also request exclusive (one speaker at a time) turns; core/merge prefers them.' }),
    confidence: Type.Boolean({ default: false, description: 'Request frame-level confidence scores (kept in the raw output).' }),
    turnLevelConfidence: Type.Boolean({ default: false, description: 'Request per-turn confidence (stored on each turn, 0..1).' }),
    ...pollParams,
  },
  { additionalProperties: false, anyOf: audioSourceRequired },
);

export type DiarizeParams = Static<typeof DiarizeParamsSchema>;

export interface DiarizeOutputs extends Record<string, unknown> {
  diarization: FileRef;
  rttm: FileRef;
  timeline: FileRef;
  raw: FileRef;
  speakers: string[];
  jobId: string;
}

export const diarizeStage = defineStage<typeof DiarizeParamsSchema, DiarizeOutputs>({
  description: 'Speaker diarization (who speaks when) with the pyannoteAI API.',
  version: '1',
  executionParams: POLL_PARAMS,
  params: DiarizeParamsSchema,
  outputs: {
    ...diarizationOutputs({
      diarization: 'Canonical spx Diarization JSON (turns and exclusiveTurns).',
      rttm: 'RTTM of the regular (possibly overlapping) turns.',
      raw: 'The job output exactly as the API returned it.',
    }),
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
    const memo = ctx.step;
    const source = await audioSource(ctx, client, memo);
    const request = {
      url: source.url,
      model: p.model,
      ...speakerCounts(p),
      exclusive: p.exclusive,
      confidence: p.confidence,
      turnLevelConfidence: p.turnLevelConfidence,
    };
    const prefix = `diarize/${source.id.slice(0, 24)}`;
    const { id: jobId, value: result, submittedHere } = await runRemoteJob({
      ...pyannoteJob(client, (output: DiarizeOutput) => output),
      ctx,
      key: await jobKey(memo, prefix),
      resultKey: resultKey(prefix),
      what: `diarization of ${source.name}`,
      paid: true,
      schedule: pollSchedule(p),
      submit: async () => submitted(await client.diarize(request), ctx.logger),
    });
    if (!Array.isArray(result.diarization)) ctx.fail('API_BAD_RESPONSE', `${SERVICE} job ${jobId} succeeded without a diarization list.`, { hint: 'Run the same command again later.' });
    logWarning(ctx.logger, result.warning);
    const duration = source.local?.duration ?? Math.max(0, ...result.diarization.map((t) => t.end));
    if (submittedHere) ctx.usage(duration / 3600);
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
