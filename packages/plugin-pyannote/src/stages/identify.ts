// pyannote/identify: diarization plus matching against named voiceprints. Declared speaker
// samples become voiceprints first (cached by content across runs); then one identify job.
import { basename } from 'node:path';
import { SpxError, defineStage, mapPool, sha256, type FileRef, type Json } from '@spx/core';
import { SERVICE, type IdentifyOutput, type SpeakerCounts } from '../client.js';
import { identifiedDiarization, type SpeakerMatch } from '../convert.js';
import { runRemoteJob } from '../jobs.js';
import { declaredSpeakers, readVoiceprintFile, voiceprintFor } from '../voiceprints.js';
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

export interface IdentifyParams extends PollParams, SpeakerCounts {
  audio?: string;
  url?: string;
  speakers?: Record<string, string>;
  speakersDir?: string;
  voiceprints?: string[];
  model: 'precision-2';
  matchThreshold: number;
  exclusiveMatching: boolean;
  exclusive: boolean;
  confidence: boolean;
  turnLevelConfidence: boolean;
  concurrency: number;
}

export interface IdentifyOutputs extends Record<string, unknown> {
  diarization: FileRef;
  rttm: FileRef;
  timeline: FileRef;
  raw: FileRef;
  matches: Json;
  speakers: string[];
  jobId: string;
}

export const identifyStage = defineStage<IdentifyParams, IdentifyOutputs>({
  description: 'Diarization plus speaker identification against named voiceprints (pyannoteAI).',
  version: '1',
  executionParams: ['pollIntervalMs', 'maxPollIntervalMs', 'pollTimeoutMs'],
  params: {
    type: 'object',
    additionalProperties: false,
    anyOf: audioSourceRequired,
    properties: {
      ...audioSourceSchema,
      speakers: {
        type: 'object',
        additionalProperties: { type: 'string', minLength: 1 },
        description: 'Known speakers: name → sample recording (or a voiceprint .json from pyannote/voiceprint).',
      },
      speakersDir: { type: 'string', minLength: 1, description: 'Folder of <name>.wav samples (any audio extension) or <name>.json voiceprints; the file name is the speaker name.' },
      voiceprints: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Voiceprint files written by pyannote/voiceprint.' },
      model: { enum: ['precision-2'], default: 'precision-2', description: 'pyannoteAI model.' },
      matchThreshold: { type: 'number', minimum: 0, maximum: 100, default: 0, description: 'Minimum match confidence (0..100) for a name to be given; 0 always matches.' },
      exclusiveMatching: { type: 'boolean', default: true, description: 'Each voiceprint names at most one diarization speaker.' },
      ...speakerCountSchema,
      exclusive: { type: 'boolean', default: true, description: 'Also request exclusive (one speaker at a time) turns; core/merge prefers them.' },
      confidence: { type: 'boolean', default: false, description: 'Request frame-level confidence scores (kept in the raw output).' },
      turnLevelConfidence: { type: 'boolean', default: false, description: 'Request per-turn confidence.' },
      concurrency: { type: 'integer', minimum: 1, maximum: 8, default: 2, description: 'Voiceprint jobs run at once.' },
      ...pollSchema,
    },
  },
  outputs: {
    diarization: { kind: 'file', description: 'Canonical spx Diarization: turns labelled with matched names (anonymous SPEAKER_xx otherwise) and `names`.' },
    rttm: { kind: 'file', description: 'RTTM of the regular turns, labelled with names where matched.' },
    timeline: { kind: 'file', description: 'Speaker-only spx Transcript (one placeholder segment per turn) for core/merge + core/export when there is no transcription.' },
    raw: { kind: 'file', description: 'The identify job output exactly as the API returned it.' },
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
    const wait = waitOptions(ctx);

    // 1. Voiceprints (cached by sample content; existing voiceprint files are read as is).
    let made = 0;
    const voiceprints = await mapPool(
      sources,
      p.concurrency,
      async (source) => {
        if (source.kind === 'voiceprint') return { label: source.label, voiceprint: readVoiceprintFile(source.path).voiceprint };
        const result = await voiceprintFor(ctx, client, source.path, p.model, wait, (sample) => ctx.usage((sample.duration ?? 0) / 3600));
        if (result.submitted) made++;
        return { label: source.label, voiceprint: result.voiceprint };
      },
      ctx.signal,
    );
    ctx.logger.info(`${voiceprints.length} voiceprints ready (${made} made now, ${voiceprints.length - made} reused): ${sources.map((s) => s.label).join(', ')}.`);

    // 2. The identify job.
    const memo = ctx.step.bind(ctx);
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
    let billedHere = false;
    const labelsKey = voiceprints.map((v) => v.label).join('\u0000');
    const { jobId, value } = await runRemoteJob<Json, IdentifyOutput>({
      client,
      memo,
      logger: ctx.logger,
      signal: ctx.signal,
      key: `identify/${source.id.slice(0, 24)}/${sha256(labelsKey + voiceprints.map((v) => v.voiceprint).join('')).slice(0, 16)}`,
      what: `identification in ${source.name}`,
      paid: true,
      wait,
      submit: async () => {
        const created = await client.identify(request);
        logWarning(ctx.logger, created.warning);
        return created.jobId;
      },
      onSubmitted: () => {
        billedHere = true;
      },
      extract: (out) => out as unknown as Json,
    });
    const output = value as unknown as IdentifyOutput;
    if (!Array.isArray(output.diarization) && !Array.isArray(output.identification)) {
      throw new SpxError('API_BAD_RESPONSE', `${SERVICE} identify job ${jobId} succeeded without diarization or identification.`, { hint: 'Run the same command again later.', retryable: true });
    }
    logWarning(ctx.logger, output.warning);
    const duration = source.local?.duration ?? Math.max(0, ...(output.diarization ?? []).map((t) => t.end));
    if (billedHere) ctx.usage(duration / 3600);

    const { diarization, matches } = identifiedDiarization(output, { model: p.model, ...(source.local?.duration === undefined ? {} : { duration: source.local.duration }) });
    const uri = ctx.run.inputStem || source.name;
    const files = await writeDiarizationFiles(ctx, diarization, output, uri);
    const named = matches.filter((m) => m.match).map((m) => `${m.speaker}→${m.match}`);
    ctx.logger.info(`Identified ${named.length} of ${matches.length} speakers${named.length ? `: ${named.join(', ')}` : ''}.`);
    ctx.progress({ done: 1, total: 1, message: `${diarization.turns.length} turns, ${named.length} named speakers` });
    return {
      outputs: { ...files, matches: matches as unknown as Json, speakers: diarization.speakers, jobId },
      metadata: { jobId, turns: diarization.turns.length, speakers: diarization.speakers.length, named: named.length, voiceprintsMade: made, samples: sources.map((s) => basename(s.path)) },
    };
  },
});

export type { SpeakerMatch };
