// pyannote/identify: diarization plus matching against named voiceprints. Declared speaker
// samples become voiceprints first (cached by content across runs); then one identify job.
import { basename } from 'node:path';
import { SpxError, Type, defineStage, mapPool, runRemoteJob, sha256, type FileRef, type Static } from '@spx/core';
import { SERVICE, type IdentifyOutput } from '../client.js';
import { identifiedDiarization, type SpeakerMatch } from '../convert.js';
import { jobKey, pyannoteJob, resultKey, submitted } from '../jobs.js';
import { declaredSpeakers, readVoiceprintFile, voiceprintFor } from '../voiceprints.js';
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

const IdentifyParamsSchema = Type.Object(
  {
    ...audioSourceParams,
    speakers: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1 }), { description: 'Known speakers: name → sample recording (or a voiceprint .json from pyannote/voiceprint).' })),
    speakersDir: Type.Optional(Type.String({ minLength: 1, description: 'Folder of <name>.wav samples (any audio extension) or <name>.json voiceprints; the file name is the speaker name.' })),
    voiceprints: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'Voiceprint files written by pyannote/voiceprint.' })),
    model: enumOf(['precision-2'], { default: 'precision-2', description: 'pyannoteAI model.' }),
    matchThreshold: Type.Number({ minimum: 0, maximum: 100, default: 0, description: 'Minimum match confidence (0..100) for a name to be given; 0 always matches.' }),
    exclusiveMatching: Type.Boolean({ default: true, description: 'Each voiceprint names at most one diarization speaker.' }),
    ...speakerCountParams,
    exclusive: Type.Boolean({ default: true, description: 'Also request exclusive (one speaker at a time) turns; core/merge prefers them.' }),
    confidence: Type.Boolean({ default: false, description: 'Request frame-level confidence scores (kept in the raw output).' }),
    turnLevelConfidence: Type.Boolean({ default: false, description: 'Request per-turn confidence.' }),
    concurrency: Type.Integer({ minimum: 1, maximum: 8, default: 2, description: 'Voiceprint jobs run at once.' }),
    ...pollParams,
  },
  { additionalProperties: false, anyOf: audioSourceRequired },
);

export type IdentifyParams = Static<typeof IdentifyParamsSchema>;

export interface IdentifyOutputs extends Record<string, unknown> {
  diarization: FileRef;
  rttm: FileRef;
  timeline: FileRef;
  raw: FileRef;
  matches: SpeakerMatch[];
  speakers: string[];
  jobId: string;
}

export const identifyStage = defineStage<typeof IdentifyParamsSchema, IdentifyOutputs>({
  description: 'Diarization plus speaker identification against named voiceprints (pyannoteAI).',
  version: '1',
  executionParams: POLL_PARAMS,
  params: IdentifyParamsSchema,
  outputs: {
    ...diarizationOutputs({
      diarization: 'Canonical spx Diarization: turns labelled with matched names (anonymous SPEAKER_xx otherwise) and `names`.',
      rttm: 'RTTM of the regular turns, labelled with names where matched.',
      raw: 'The identify job output exactly as the API returned it.',
    }),
    matches: { kind: 'json', description: 'Per diarization speaker: matched name or null, and the confidence (0..1).' },
    speakers: { kind: 'json', description: 'Speaker labels (names or SPEAKER_xx) in order of first appearance.' },
    jobId: { kind: 'json', description: 'pyannoteAI identify job id.' },
  },
  pricing: PRICING,
  preflight(ctx) {
    preflightCommon(ctx.env, ctx.params);
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const p = ctx.params;
    checkSpeakerCounts(p);
    const sources = declaredSpeakers(p, ctx.run.pipeline.file);
    const client = clientFor(ctx);
    const schedule = pollSchedule(p);

    // 1. Voiceprints (cached by sample content; existing voiceprint files are read as is).
    let made = 0;
    const voiceprints = await mapPool(
      sources,
      p.concurrency,
      async (source) => {
        if (source.kind === 'voiceprint') return { label: source.label, voiceprint: readVoiceprintFile(source.path).voiceprint };
        const result = await voiceprintFor(ctx, client, source.path, p.model, schedule, (sample) => ctx.usage((sample.duration ?? 0) / 3600));
        if (result.submitted) made++;
        return { label: source.label, voiceprint: result.voiceprint };
      },
      ctx.signal,
    );
    ctx.logger.info(`${voiceprints.length} voiceprints ready (${made} made now, ${voiceprints.length - made} reused): ${sources.map((s) => s.label).join(', ')}.`);

    // 2. The identify job.
    const memo = ctx.step;
    const source = await audioSource(ctx, client, memo);
    const request = {
      url: source.url,
      model: p.model,
      voiceprints,
      matching: { exclusive: p.exclusiveMatching, threshold: p.matchThreshold },
      ...speakerCounts(p),
      exclusive: p.exclusive,
      confidence: p.confidence,
      turnLevelConfidence: p.turnLevelConfidence,
    };
    const labelsKey = voiceprints.map((v) => v.label).join('\u0000');
    const prefix = `identify/${source.id.slice(0, 24)}/${sha256(labelsKey + voiceprints.map((v) => v.voiceprint).join('')).slice(0, 16)}`;
    const { id: jobId, value: output, submittedHere } = await runRemoteJob({
      ...pyannoteJob(client, (out: IdentifyOutput) => out),
      ctx,
      key: await jobKey(memo, prefix),
      resultKey: resultKey(prefix),
      what: `identification in ${source.name}`,
      paid: true,
      schedule,
      submit: async () => submitted(await client.identify(request), ctx.logger),
    });
    if (!Array.isArray(output.diarization) && !Array.isArray(output.identification)) {
      throw new SpxError('API_BAD_RESPONSE', `${SERVICE} identify job ${jobId} succeeded without diarization or identification.`, { hint: 'Run the same command again later.', retryable: true });
    }
    logWarning(ctx.logger, output.warning);
    const duration = source.local?.duration ?? Math.max(0, ...(output.diarization ?? []).map((t) => t.end));
    if (submittedHere) ctx.usage(duration / 3600);

    const { diarization, matches } = identifiedDiarization(output, { model: p.model, ...(source.local?.duration === undefined ? {} : { duration: source.local.duration }) });
    const uri = ctx.run.inputStem || source.name;
    const files = await writeDiarizationFiles(ctx, diarization, output, uri);
    const named = matches.filter((m) => m.match).map((m) => `${m.speaker}→${m.match}`);
    ctx.logger.info(`Identified ${named.length} of ${matches.length} speakers${named.length ? `: ${named.join(', ')}` : ''}.`);
    ctx.progress({ done: 1, total: 1, message: `${diarization.turns.length} turns, ${named.length} named speakers` });
    return {
      outputs: { ...files, matches, speakers: diarization.speakers, jobId },
      metadata: { jobId, turns: diarization.turns.length, speakers: diarization.speakers.length, named: named.length, voiceprintsMade: made, samples: sources.map((s) => basename(s.path)) },
    };
  },
});

export type { SpeakerMatch };
