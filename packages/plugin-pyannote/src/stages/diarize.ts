// pyannote/diarize: upload, submit a diarization job, poll it to the end, write the turns as
// a canonical Diarization (regular + exclusive turns) and as RTTM. With `transcription: true`
// the same job also transcribes (pyannoteAI's STT orchestration): its word- and turn-level
// transcription becomes a canonical Transcript with word timestamps and speakers.
import { SpxError, Type, defineStage, runRemoteJob, type FileRef, type Static } from '@spx/core';
import { SERVICE, TRANSCRIPTION_MODELS, type DiarizeOutput } from '../client.js';
import { diarizationFromOutput, transcriptFromOutput } from '../convert.js';
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
    // Optional without a default, so that pipelines that do not set it keep their fingerprints (and their paid jobs).
    transcription: Type.Optional(Type.Boolean({ description: 'Also transcribe in the same job (precision-2 only): `transcript` gets words with timestamps and speakers.' })),
    transcriptionConfig: Type.Optional(
      Type.Object({ model: enumOf(TRANSCRIPTION_MODELS, { default: 'parakeet-tdt-0.6b-v3', description: 'Speech-to-text model of the job.' }) }, { additionalProperties: false, description: 'Settings of the transcription (with `transcription: true`).' }),
    ),
    ...pollParams,
  },
  { additionalProperties: false, anyOf: audioSourceRequired },
);

export type DiarizeParams = Static<typeof DiarizeParamsSchema>;

export interface DiarizeOutputs extends Record<string, unknown> {
  diarization: FileRef;
  transcript: FileRef;
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
    transcript: { kind: 'file', description: 'With transcription: spx Transcript of the job\'s words (timestamps, speakers) by turn; without: the speaker timeline.' },
    speakers: { kind: 'json', description: 'Speaker labels in order of first appearance.' },
    jobId: { kind: 'json', description: 'pyannoteAI job id.' },
  },
  pricing: PRICING,
  preflight(ctx) {
    preflightCommon(ctx.env, ctx.params);
    checkTranscription(ctx.params);
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const p = ctx.params;
    checkSpeakerCounts(p);
    checkTranscription(p);
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
      ...(p.transcription ? { transcription: true, transcriptionConfig: { model: sttModel(p) } } : {}),
    };
    // A transcribing job answers something else: it gets its own key (plain diarization keeps its old one).
    const prefix = `diarize/${source.id.slice(0, 24)}${p.transcription ? `/stt-${sttModel(p)}` : ''}`;
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
    const transcribed = p.transcription ? transcriptFromOutput(result, { model: p.model, sttModel: sttModel(p), ...(diarization.duration === undefined ? {} : { duration: diarization.duration }) }) : undefined;
    if (p.transcription && !transcribed) ctx.fail('API_BAD_RESPONSE', `${SERVICE} job ${jobId} succeeded without the transcription it was asked for.`, { hint: 'Run the same command again later; the job is paid, its answer is kept in raw output.' });
    const transcript = transcribed ? await ctx.artifacts.write('transcript.json', `${JSON.stringify(transcribed, null, 2)}\n`, 'application/json') : files.timeline;
    ctx.progress({ done: 1, total: 1, message: `${diarization.turns.length} turns, ${diarization.speakers.length} speakers` });
    const words = transcribed?.segments.reduce((n, s) => n + (s.words?.length ?? 0), 0);
    return {
      outputs: { ...files, transcript, speakers: diarization.speakers, jobId },
      metadata: { jobId, model: p.model, turns: diarization.turns.length, speakers: diarization.speakers.length, exclusiveTurns: diarization.exclusiveTurns?.length ?? 0, ...(transcribed ? { sttModel: sttModel(p), words: words ?? 0 } : {}) },
    };
  },
});

function sttModel(p: DiarizeParams): (typeof TRANSCRIPTION_MODELS)[number] {
  return p.transcriptionConfig?.model ?? 'parakeet-tdt-0.6b-v3';
}

function checkTranscription(p: Pick<DiarizeParams, 'model' | 'transcription' | 'transcriptionConfig'>): void {
  if (p.transcription && p.model !== 'precision-2') {
    throw new SpxError('PARAMS_INVALID', `transcription needs model precision-2 (got ${p.model}).`, { hint: 'Set model: precision-2, or transcription: false.' });
  }
  if (p.transcriptionConfig && !p.transcription) {
    throw new SpxError('PARAMS_INVALID', 'transcriptionConfig is set but transcription is false.', { hint: 'Set transcription: true, or remove transcriptionConfig.' });
  }
}
