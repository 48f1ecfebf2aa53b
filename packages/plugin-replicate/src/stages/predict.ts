// replicate/predict: upload the audio, create one prediction (its id checkpointed at once as a
// paid sub-step), poll it with backoff until it ends, and map the output through a named adapter.
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SpxError, checkBaseUrl, excerpt, sha256File, sleep, type FileRef, type Json, type StageContext, type StageDefinition } from '@spx/core';
import { audioDuration, audioMediaType } from '../audio.js';
import { BASE_URL_VARIABLE, ReplicateClient, SERVICE, TERMINAL_STATUSES, TOKEN_VARIABLE, baseUrlFromEnv, type Prediction } from '../client.js';
import { builtinAdapters } from '../adapters/index.js';
import type { AdapterOptions, ReplicateAdapter } from '../adapters/types.js';

export interface PredictParams {
  audio: string;
  adapter: string;
  model?: string;
  version?: string;
  language?: string;
  speakers?: number;
  minSpeakers?: number;
  maxSpeakers?: number;
  diarize?: boolean;
  prompt?: string;
  input?: Record<string, Json>;
  upload: 'auto' | 'files' | 'data-uri';
  dataUriMaxBytes: number;
  wait: number;
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  timeoutMinutes: number;
}

export interface PredictOutputs extends Record<string, unknown> {
  transcript: FileRef;
  diarization: FileRef;
  raw: FileRef;
  prediction: { id: string; model: string; version: string; predictTime: number };
  language: string | null;
  speakers: number;
}

/** USD per prediction-second: Replicate bills GPU time; this is the L40S list price, an estimate. */
export const PRICE_PER_PREDICTION_SECOND = 0.000975;
/** The files API refuses bigger uploads (per the API docs; unconfirmed). */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
/** The JS client refuses data URIs above this; we stay far below it by default. */
export const MAX_DATA_URI_BYTES = 10_000_000;

/** The stored value of the `prediction` sub-step. */
interface StoredPrediction extends Record<string, Json> {
  id: string;
  model: string;
  version: string;
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
    params: {
      type: 'object',
      additionalProperties: false,
      required: ['audio'],
      properties: {
        audio: { type: 'string', minLength: 1, description: 'Audio file to transcribe.' },
        adapter: { type: 'string', enum: names, default: defaultAdapter, description: 'Output adapter, named after the model family.' },
        model: { type: 'string', pattern: '^[A-Za-z0-9][\\w.-]*/[\\w.-]+$', description: "owner/name; default: the adapter's model." },
        version: { type: 'string', pattern: '^[0-9a-f]{64}$', description: 'Pinned 64-hex version id; default: the latest version, resolved once.' },
        language: { type: 'string', minLength: 2, description: 'Language code such as "en"; default: detected.' },
        speakers: { type: 'integer', minimum: 1, maximum: 50, description: 'Exact number of speakers, when known.' },
        minSpeakers: { type: 'integer', minimum: 1, maximum: 50 },
        maxSpeakers: { type: 'integer', minimum: 1, maximum: 50 },
        diarize: { type: 'boolean', description: 'Ask for speaker labels where the model makes them optional (whisperx).' },
        prompt: { type: 'string', description: 'Vocabulary or names that help recognition.' },
        input: { type: 'object', description: 'Extra model input fields, merged over the ones the adapter builds.' },
        upload: { type: 'string', enum: ['auto', 'files', 'data-uri'], default: 'auto', description: 'auto: data URI up to dataUriMaxBytes, else the files API.' },
        dataUriMaxBytes: { type: 'integer', minimum: 0, maximum: MAX_DATA_URI_BYTES, default: 262_144 },
        wait: { type: 'integer', minimum: 0, maximum: 60, default: 0, description: 'Seconds to hold the create request (Prefer: wait); 0 polls at once.' },
        pollIntervalMs: { type: 'integer', minimum: 1, default: 2000 },
        maxPollIntervalMs: { type: 'integer', minimum: 1, default: 10_000 },
        timeoutMinutes: { type: 'number', exclusiveMinimum: 0, default: 30, description: 'Cancel and fail when the prediction has not ended by then.' },
      },
    },
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
  const token = process.env[TOKEN_VARIABLE];
  if (!token) throw missingToken(TOKEN_VARIABLE, ctx.stageId);

  const audio = resolve(p.audio);
  const info = await stat(audio).catch(() => undefined);
  if (!info?.isFile()) ctx.fail('INPUT_MISSING', `Audio file "${p.audio}" does not exist.`, { hint: 'Check the path given to the stage (or the upstream stage that produced it).' });
  const client = new ReplicateClient({
    token,
    baseURL: baseUrlFromEnv(),
    signal: ctx.signal,
    onRetry: (event) => ctx.logger.warn(`${SERVICE}: ${event.reason}, retry ${event.attempt} in ${event.delayMs} ms`),
  });
  const options = adapterOptions(p);
  const diarized = adapter.diarizes(options);
  const sha = await sha256File(audio);
  const duration = await audioDuration(audio, ctx.signal);
  const model = p.model ?? adapter.model;
  let fresh: Prediction | undefined;

  const stored = await ctx.step<StoredPrediction>(
    `prediction:${sha.slice(0, 16)}`,
    async () => {
      const version = p.version ?? (await client.latestVersion(model));
      const reference = await audioReference(ctx, client, audio, info.size, sha);
      const input = { ...adapter.input(reference, options, process.env), ...(p.input ?? {}) };
      ctx.progress({ done: 0, total: 1, message: 'creating prediction' });
      fresh = await client.createPrediction({ version, input, wait: p.wait });
      ctx.logger.info(`created prediction ${fresh.id} (${model}:${version.slice(0, 12)}…)`);
      return { id: fresh.id, model, version };
    },
    {
      paid: true,
      // Resume polls the stored prediction; one that ended badly or is gone is replaced by a new one.
      reuseIf: async (value) => {
        const id = (value as StoredPrediction).id;
        const current = await client.findPrediction(id);
        if (!current) {
          ctx.logger.warn(`stored prediction ${id} is unknown to ${SERVICE}; creating a new one`);
          return false;
        }
        if (current.status === 'failed' || current.status === 'canceled' || current.status === 'aborted') {
          ctx.logger.info(`stored prediction ${id} ended ${current.status}; creating a new one`);
          return false;
        }
        if (current.status === 'succeeded' && (current.data_removed || current.output == null)) {
          ctx.logger.warn(`stored prediction ${id} succeeded but its output was removed; creating a new one`);
          return false;
        }
        ctx.logger.info(`resuming prediction ${id} (${current.status})`);
        fresh = current;
        return true;
      },
    },
  );

  const final = fresh && TERMINAL_STATUSES.has(fresh.status) ? fresh : await poll(ctx, client, stored.id);
  if (final.status !== 'succeeded') {
    const reason = typeof final.error === 'string' && final.error ? final.error : final.status;
    const tail = typeof final.logs === 'string' ? final.logs.trim().split('\n').slice(-5).join(' | ') : '';
    if (tail) ctx.logger.debug(`prediction ${final.id} logs: ${tail}`);
    ctx.fail('API_JOB_FAILED', `${SERVICE} prediction ${final.id} ${final.status === 'failed' ? `failed: ${oneLine(reason)}` : `ended ${final.status}`}.`, {
      hint: final.status === 'failed' ? 'Check the audio file and the model input (see the message), then run again: a new prediction is created.' : 'Run the same command again to create a new prediction.',
    });
  }
  const predictTime = predictSeconds(final);
  ctx.usage(predictTime);

  const raw = await ctx.artifacts.write('output.json', `${JSON.stringify(final.output ?? null, null, 2)}\n`, 'application/json');
  const modelId = `${stored.model}:${stored.version}`;
  const mapped = adapter.output(final.output, { engine: `replicate/${adapter.name}`, model: modelId, diarized, ...(duration !== undefined ? { duration } : {}) });
  const transcript = await ctx.artifacts.write('transcript.json', `${JSON.stringify(mapped.transcript, null, 2)}\n`, 'application/json');
  // Always written (the runner wants every declared output); empty when the model was not asked for speakers.
  const turns = diarized && mapped.diarization ? mapped.diarization : { format: 'spx-diarization' as const, version: 1 as const, engine: `replicate/${adapter.name}`, model: modelId, turns: [], speakers: [], ...(duration !== undefined ? { duration } : {}) };
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
async function audioReference(ctx: StageContext<PredictParams>, client: ReplicateClient, audio: string, size: number, sha: string): Promise<string> {
  const p = ctx.params;
  const mediaType = audioMediaType(audio);
  const asDataUri = p.upload === 'data-uri' || (p.upload === 'auto' && size <= p.dataUriMaxBytes);
  if (asDataUri) {
    if (size > MAX_DATA_URI_BYTES) {
      ctx.fail('INPUT_INVALID', `Audio "${p.audio}" is ${size} bytes, too big for a data URI (limit ${MAX_DATA_URI_BYTES}).`, { hint: 'Set upload: files (or auto) to send it through the files API.' });
    }
    return `data:${mediaType};base64,${(await readFile(audio)).toString('base64')}`;
  }
  if (size > MAX_UPLOAD_BYTES) {
    ctx.fail('INPUT_INVALID', `Audio "${p.audio}" is ${size} bytes, over the files API limit of ${MAX_UPLOAD_BYTES}.`, { hint: 'Convert it to a compressed format first (ffmpeg/convert to mp3 or opus).' });
  }
  const uploaded = await ctx.step<{ url: string; expiresAt: string | null }>(
    `upload:${sha.slice(0, 16)}`,
    async () => {
      ctx.progress({ done: 0, total: 1, message: `uploading ${size} bytes` });
      const file = await client.uploadFile(audio, mediaType, { sha256: sha });
      return { url: file.urls.get, expiresAt: file.expires_at ?? null };
    },
    // Reuse an upload only while it has at least 10 minutes left.
    { reuseIf: (value) => isFreshUpload(value) },
  );
  return uploaded.url;
}

function isFreshUpload(value: Json): boolean {
  const expiresAt = (value as { expiresAt?: string | null }).expiresAt;
  return !expiresAt || Date.parse(expiresAt) - Date.now() > 10 * 60_000;
}

async function poll(ctx: StageContext<PredictParams>, client: ReplicateClient, id: string): Promise<Prediction> {
  const p = ctx.params;
  const deadline = Date.now() + p.timeoutMinutes * 60_000;
  let delay = Math.min(p.pollIntervalMs, p.maxPollIntervalMs);
  let lastStatus = '';
  for (;;) {
    const prediction = await client.getPrediction(id);
    if (prediction.status !== lastStatus) {
      lastStatus = prediction.status;
      ctx.logger.debug(`prediction ${id}: ${prediction.status}`);
      ctx.progress({ done: 0, total: 1, message: `prediction ${prediction.status}` });
    }
    if (TERMINAL_STATUSES.has(prediction.status)) return prediction;
    if (Date.now() >= deadline) {
      await client.cancelPrediction(id).catch((error: unknown) => ctx.logger.warn(`cancelling ${id} failed: ${error instanceof Error ? error.message : String(error)}`));
      ctx.fail('API_TIMEOUT', `${SERVICE} prediction ${id} did not finish within ${p.timeoutMinutes} min (last status ${prediction.status}); it was cancelled.`, {
        hint: 'Raise timeoutMinutes (cold starts can take minutes), then run again: a new prediction is created.',
      });
    }
    await sleep(delay, ctx.signal);
    delay = Math.min(Math.round(delay * 1.5), p.maxPollIntervalMs);
  }
}

/** Billed seconds: metrics.predict_time, else completed_at − started_at, else 0. */
function predictSeconds(prediction: Prediction): number {
  const reported = prediction.metrics?.predict_time;
  if (typeof reported === 'number' && Number.isFinite(reported) && reported >= 0) return reported;
  const started = prediction.started_at ? Date.parse(prediction.started_at) : NaN;
  const completed = prediction.completed_at ? Date.parse(prediction.completed_at) : NaN;
  return Number.isFinite(started) && Number.isFinite(completed) && completed >= started ? (completed - started) / 1000 : 0;
}

function oneLine(text: string): string {
  return excerpt(text, 300);
}

export const predictStage = createPredictStage();
