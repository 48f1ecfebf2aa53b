// replicate/predict: upload the audio, create one prediction (its id checkpointed at once as a
// paid sub-step by core's remote-job kit), poll it with backoff until it ends, and map the
// output through a named adapter. At the deadline the prediction is canceled (Replicate bills
// running time) and the stage fails with API_TIMEOUT.
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { SpxError, Type, checkBaseUrl, defaultRetryPolicy, diarizationDocument, runRemoteJob, sha256File, type FileRef, type Json, type Static, type StageContext, type StageDefinition } from '@spx/core';
import { audioDuration, audioMediaType } from '../audio.js';
import { BASE_URL_VARIABLE, ReplicateClient, SERVICE, TOKEN_VARIABLE, baseUrlFromEnv } from '../client.js';
import { builtinAdapters } from '../adapters/index.js';
import type { AdapterOptions, ReplicateAdapter } from '../adapters/types.js';
import { dataUri, predictSeconds, predictionState, uploadedUrl, type AudioFile, type PredictionRecord } from '../prediction.js';

/** USD per prediction-second: Replicate bills GPU time; this is the L40S list price, an estimate. */
export const PRICE_PER_PREDICTION_SECOND = 0.000975;
/** The files API refuses bigger uploads (per the API docs; unconfirmed). */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** The JS client refuses data URIs above this; we stay far below it by default. */
export const MAX_DATA_URI_BYTES = 10_000_000;

const UPLOAD_MODES = ['auto', 'files', 'data-uri'] as const;

/** The params schema for a set of adapter names (the `adapter` enum lists them). */
function predictParams(names: string[], defaultAdapter: string) {
  return Type.Object(
    {
      audio: Type.String({ minLength: 1, description: 'Audio file to transcribe.' }),
      adapter: Type.String({ enum: names, default: defaultAdapter, description: 'Output adapter, named after the model family.' }),
      model: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][\\w.-]*/[\\w.-]+$', description: "owner/name; default: the adapter's model." })),
      version: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Pinned 64-hex version id; default: the latest version, resolved once.' })),
      language: Type.Optional(Type.String({ minLength: 2, description: 'Language code such as "en"; default: detected.' })),
      speakers: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'Exact number of speakers, when known.' })),
      minSpeakers: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
      maxSpeakers: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
      diarize: Type.Optional(Type.Boolean({ description: 'Ask for speaker labels where the model makes them optional (whisperx).' })),
      prompt: Type.Optional(Type.String({ description: 'Vocabulary or names that help recognition.' })),
      input: Type.Optional(Type.Unsafe<Record<string, Json>>({ type: 'object', description: 'Extra model input fields, merged over the ones the adapter builds.' })),
      upload: Type.Unsafe<(typeof UPLOAD_MODES)[number]>({ type: 'string', enum: [...UPLOAD_MODES], default: 'auto', description: 'auto: data URI up to dataUriMaxBytes, else the files API.' }),
      dataUriMaxBytes: Type.Integer({ minimum: 0, maximum: MAX_DATA_URI_BYTES, default: 262_144 }),
      wait: Type.Integer({ minimum: 0, maximum: 60, default: 0, description: 'Seconds to hold the create request (Prefer: wait); 0 polls at once.' }),
      pollIntervalMs: Type.Integer({ minimum: 1, default: 2000 }),
      maxPollIntervalMs: Type.Integer({ minimum: 1, default: 10_000 }),
      timeoutMinutes: Type.Number({ exclusiveMinimum: 0, default: 30, description: 'Cancel and fail when the prediction has not ended by then.' }),
    },
    { additionalProperties: false },
  );
}

export type PredictParams = Static<ReturnType<typeof predictParams>>;

export interface PredictOutputs extends Record<string, unknown> {
  transcript: FileRef;
  diarization: FileRef;
  raw: FileRef;
  prediction: { id: string; model: string; version: string; predictTime: number };
  language: string | null;
  speakers: number;
}

export interface PredictStageOptions {
  /** Adapters by name (default: the built-in ones). Add yours with `{ ...builtinAdapters, mine }`. */
  adapters?: Readonly<Record<string, ReplicateAdapter>>;
  /** Adapter used when `with:` names none (default "whisper-diarization" or the first one given). */
  defaultAdapter?: string;
}

/** Builds the predict stage for a set of adapters; the plugin uses the built-in set. */
export function createPredictStage(options: PredictStageOptions = {}): StageDefinition<PredictParams, PredictOutputs> {
  const adapters = options.adapters ?? builtinAdapters;
  const names = Object.keys(adapters);
  if (names.length === 0) throw new Error('createPredictStage needs at least one adapter.');
  const defaultAdapter = options.defaultAdapter ?? (names.includes('whisper-diarization') ? 'whisper-diarization' : names[0]!);

  return {
    description: 'Runs a hosted speech model on Replicate and maps its output to the canonical transcript (and diarization).',
    version: '1',
    pricing: { unit: 'prediction second', usd: PRICE_PER_PREDICTION_SECOND },
    executionParams: ['wait', 'pollIntervalMs', 'maxPollIntervalMs', 'timeoutMinutes'],
    params: predictParams(names, defaultAdapter),
    outputs: {
      transcript: { kind: 'file', description: 'Canonical transcript JSON (spx-transcript), speakers on segments/words when the model gives them.' },
      diarization: { kind: 'file', description: 'Canonical diarization JSON (spx-diarization) from the speaker labels; no turns when the model was not asked to label speakers.' },
      raw: { kind: 'file', description: "The model's output exactly as Replicate returned it." },
      prediction: { kind: 'json', description: '{ id, model, version, predictTime } of the prediction used.' },
      language: { kind: 'json', description: 'Language the model reported, or null.' },
      speakers: { kind: 'json', description: 'Number of distinct speakers in the transcript.' },
    },
    preflight(ctx) {
      if (!ctx.env[TOKEN_VARIABLE]) throw missingToken(TOKEN_VARIABLE, ctx.stageId);
      checkBaseUrl(ctx.env[BASE_URL_VARIABLE], BASE_URL_VARIABLE, TOKEN_VARIABLE);
      const adapter = adapters[ctx.params.adapter ?? defaultAdapter];
      for (const variable of adapter?.requiredEnv?.(adapterOptions(ctx.params)) ?? []) {
        if (!ctx.env[variable]) throw missingToken(variable, ctx.stageId, `the ${adapter!.name} adapter needs it with these params`);
      }
    },
    run: (ctx) => runPredict(ctx, adapters),
  };
}

function missingToken(variable: string, stage: string, why?: string): SpxError {
  return new SpxError('MISSING_API_KEY', `${variable} is not set${why ? ` (${why})` : ''}.`, {
    hint: variable === TOKEN_VARIABLE ? `Create a token at https://replicate.com/account/api-tokens and export ${variable}=<token>.` : `Export ${variable}=<token> before running.`,
    stage,
  });
}

function adapterOptions(params: Partial<PredictParams>): AdapterOptions {
  return {
    ...(params.language ? { language: params.language } : {}),
    ...(params.speakers !== undefined ? { speakers: params.speakers } : {}),
    ...(params.minSpeakers !== undefined ? { minSpeakers: params.minSpeakers } : {}),
    ...(params.maxSpeakers !== undefined ? { maxSpeakers: params.maxSpeakers } : {}),
    ...(params.diarize !== undefined ? { diarize: params.diarize } : {}),
    ...(params.prompt ? { prompt: params.prompt } : {}),
  };
}

async function runPredict(ctx: StageContext<PredictParams>, adapters: Readonly<Record<string, ReplicateAdapter>>) {
  const p = ctx.params;
  ctx.signal.throwIfAborted();
  const adapter = adapters[p.adapter];
  if (!adapter) ctx.fail('PARAMS_INVALID', `Unknown Replicate adapter "${p.adapter}".`, { hint: `Use one of: ${Object.keys(adapters).join(', ')}.` });
  const token = ctx.env[TOKEN_VARIABLE];
  if (!token) throw missingToken(TOKEN_VARIABLE, ctx.stageId);

  const path = resolve(p.audio);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) ctx.fail('INPUT_MISSING', `Audio file "${p.audio}" does not exist.`, { hint: 'Check the path given to the stage (or the upstream stage that produced it).' });
  const client = new ReplicateClient({
    token,
    baseURL: baseUrlFromEnv(ctx.env),
    signal: ctx.signal,
    policy: defaultRetryPolicy(ctx.env),
    onRetry: (event) => ctx.logger.warn(`${SERVICE}: ${event.reason}, retry ${event.attempt} in ${event.delayMs} ms`),
  });
  const options = adapterOptions(p);
  const diarized = adapter.diarizes(options);
  const audio: AudioFile = { path, bytes: info.size, sha256: await sha256File(path), mediaType: audioMediaType(path) };
  const duration = await audioDuration(path, { signal: ctx.signal, env: ctx.env });
  const model = p.model ?? adapter.model;

  const { record: stored, value: final } = await runRemoteJob({
    ctx,
    service: SERVICE,
    noun: 'prediction',
    what: `${model} on ${basename(path)}`,
    key: `prediction:${audio.sha256.slice(0, 16)}`,
    paid: true,
    schedule: { intervalMs: p.pollIntervalMs, maxIntervalMs: p.maxPollIntervalMs, timeoutMs: p.timeoutMinutes * 60_000, timeoutSetting: 'timeoutMinutes' },
    submit: async () => {
      const version = p.version ?? (await client.latestVersion(model));
      const reference = await audioReference(ctx, client, audio);
      const input = { ...adapter.input(reference, options, ctx.env), ...(p.input ?? {}) };
      ctx.progress({ done: 0, total: 1, message: 'creating prediction' });
      const created = await client.createPrediction({ version, input, wait: p.wait });
      const record: PredictionRecord = { id: created.id, model, version };
      return { record, state: predictionState(created, ctx.logger) };
    },
    idOf: (record) => record.id,
    poll: async (id) => predictionState(await client.findPrediction(id), ctx.logger),
    cancel: async (id) => void (await client.cancelPrediction(id)),
  });
  const predictTime = predictSeconds(final);
  ctx.usage(predictTime);

  const raw = await ctx.artifacts.write('output.json', `${JSON.stringify(final.output ?? null, null, 2)}\n`, 'application/json');
  const modelId = `${stored.model}:${stored.version}`;
  const mapped = adapter.output(final.output, { engine: `replicate/${adapter.name}`, model: modelId, diarized, ...(duration !== undefined ? { duration } : {}) });
  const transcript = await ctx.artifacts.write('transcript.json', `${JSON.stringify(mapped.transcript, null, 2)}\n`, 'application/json');
  // Always written (the runner wants every declared output); empty when the model was not asked for speakers.
  const turns = diarized && mapped.diarization ? mapped.diarization : diarizationDocument({ engine: `replicate/${adapter.name}`, model: modelId, turns: [], speakers: [], duration });
  const diarization = await ctx.artifacts.write('diarization.json', `${JSON.stringify(turns, null, 2)}\n`, 'application/json');
  const speakerSet = new Set<string>();
  for (const segment of mapped.transcript.segments) {
    if (segment.speaker) speakerSet.add(segment.speaker);
    for (const word of segment.words ?? []) if (word.speaker) speakerSet.add(word.speaker);
  }
  ctx.progress({ done: 1, total: 1, message: `prediction ${final.id} succeeded` });
  return {
    outputs: {
      transcript,
      diarization,
      raw,
      prediction: { id: final.id, model: stored.model, version: stored.version, predictTime },
      language: mapped.transcript.language ?? null,
      speakers: speakerSet.size,
    },
    metadata: { predictionId: final.id, model: modelId, predictTime, segments: mapped.transcript.segments.length, speakers: speakerSet.size },
  };
}

/** An https URL from the files API, or a data URI for small files (per `upload`). */
async function audioReference(ctx: StageContext<PredictParams>, client: ReplicateClient, audio: AudioFile): Promise<string> {
  const p = ctx.params;
  const asDataUri = p.upload === 'data-uri' || (p.upload === 'auto' && audio.bytes <= p.dataUriMaxBytes);
  if (asDataUri) {
    if (audio.bytes > MAX_DATA_URI_BYTES) {
      ctx.fail('INPUT_INVALID', `Audio "${p.audio}" is ${audio.bytes} bytes, too big for a data URI (limit ${MAX_DATA_URI_BYTES}).`, { hint: 'Set upload: files (or auto) to send it through the files API.' });
    }
    return dataUri(audio);
  }
  if (audio.bytes > MAX_UPLOAD_BYTES) {
    ctx.fail('INPUT_INVALID', `Audio "${p.audio}" is ${audio.bytes} bytes, over the files API limit of ${MAX_UPLOAD_BYTES}.`, { hint: 'Convert it to a compressed format first (ffmpeg/convert to mp3 or opus).' });
  }
  return uploadedUrl(client, ctx.step, audio, (message) => ctx.progress({ done: 0, total: 1, message }));
}

export const predictStage = createPredictStage();
