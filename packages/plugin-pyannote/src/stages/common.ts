// What the three stages share: the key and base URL from ctx.env, the client with retry
// logging, the polling params and schedule, speaker-count checks, the audio source (file or URL).
import { existsSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { SpxError, Type, checkBaseUrl, defaultRetryPolicy, sha256, sha256File, type Diarization, type FileRef, type Logger, type Memo, type OutputSpec, type PollSchedule, type Pricing, type StageContext } from '@spx/core';
import { readWavInfo, writeRttm } from '@spx/core/formats';
import { timelineTranscript } from '../convert.js';
import { BASE_URL_VARIABLE, DEFAULT_BASE_URL, KEY_VARIABLE, PyannoteClient, SERVICE, type SpeakerCounts } from '../client.js';
import { uploadMedia } from '../jobs.js';

/**
 * An estimate, not a quote: the API contract gives no prices. pyannoteAI bills processed
 * audio time; override per stage with the pipeline's `pricing:` map.
 */
export const PRICING: Pricing = { unit: 'audio hour', usd: 0.15 };

export const pollParams = {
  pollIntervalMs: Type.Integer({ minimum: 1, default: 5000, description: 'First delay between job status polls; grows by half each poll.' }),
  maxPollIntervalMs: Type.Integer({ minimum: 1, default: 30000, description: 'Longest delay between polls.' }),
  pollTimeoutMs: Type.Integer({ minimum: 1, default: 1_800_000, description: 'Overall deadline for one wait on a job (default 30 min); a rerun keeps waiting on the same job.' }),
};

export const POLL_PARAMS = ['pollIntervalMs', 'maxPollIntervalMs', 'pollTimeoutMs'] as const;

export interface PollParams {
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  pollTimeoutMs: number;
}

export const speakerCountParams = {
  numSpeakers: Type.Optional(Type.Integer({ minimum: 1, description: 'Exact number of speakers, when known.' })),
  minSpeakers: Type.Optional(Type.Integer({ minimum: 1, description: 'Lower bound on the number of speakers.' })),
  maxSpeakers: Type.Optional(Type.Integer({ minimum: 1, description: 'Upper bound on the number of speakers.' })),
};

export const audioSourceParams = {
  audio: Type.Optional(Type.String({ minLength: 1, description: 'Audio file to upload to pyannoteAI temporary storage (e.g. ${{ stages.convert.outputs.audio }}).' })),
  url: Type.Optional(Type.String({ pattern: '^(https?|media)://', description: 'Public http(s) URL the API can download, or a media:// key already uploaded; used instead of `audio`.' })),
};

/** `audio` or `url` (schema keyword of the stages that take either). */
export const audioSourceRequired = [{ required: ['audio'] }, { required: ['url'] }];

/** The JSON Schema `enum` keyword (ajv reports "must be one of …") with the literal type it allows. */
export function enumOf<const V extends readonly string[]>(values: V, options: { default: V[number]; description: string }) {
  return Type.Unsafe<V[number]>({ enum: [...values], ...options });
}

export interface Env {
  apiKey?: string;
  baseURL: string;
}

export function readEnv(env: Readonly<Record<string, string | undefined>>): Env {
  const apiKey = env[KEY_VARIABLE]?.trim() || undefined;
  return { apiKey, baseURL: env[BASE_URL_VARIABLE]?.trim() || DEFAULT_BASE_URL };
}

export function missingKey(): SpxError {
  return new SpxError('MISSING_API_KEY', `${KEY_VARIABLE} is not set; the ${SERVICE} stages need it.`, {
    hint: `Create a key at https://dashboard.pyannote.ai and export ${KEY_VARIABLE}=… before running (it is read from the environment only, never stored).`,
  });
}

/** Preflight shared by all stages: key present, base URL without credentials, speaker counts consistent. */
export function preflightCommon(env: Readonly<Record<string, string | undefined>>, params: Partial<SpeakerCounts>): void {
  if (!readEnv(env).apiKey) throw missingKey();
  checkBaseUrl(env[BASE_URL_VARIABLE], BASE_URL_VARIABLE, KEY_VARIABLE);
  checkSpeakerCounts(params);
}

export function checkSpeakerCounts(params: Partial<SpeakerCounts>): void {
  const { numSpeakers, minSpeakers, maxSpeakers } = params;
  if (typeof minSpeakers === 'number' && typeof maxSpeakers === 'number' && minSpeakers > maxSpeakers) {
    throw new SpxError('PARAMS_INVALID', `minSpeakers (${minSpeakers}) is greater than maxSpeakers (${maxSpeakers}).`, { hint: 'Make minSpeakers ≤ maxSpeakers, or set numSpeakers alone.' });
  }
  if (typeof numSpeakers === 'number' && ((typeof minSpeakers === 'number' && numSpeakers < minSpeakers) || (typeof maxSpeakers === 'number' && numSpeakers > maxSpeakers))) {
    throw new SpxError('PARAMS_INVALID', `numSpeakers (${numSpeakers}) is outside minSpeakers..maxSpeakers.`, { hint: 'Set numSpeakers alone, or only minSpeakers/maxSpeakers.' });
  }
}

export function speakerCounts(params: Partial<SpeakerCounts>): SpeakerCounts {
  const out: SpeakerCounts = {};
  if (typeof params.numSpeakers === 'number') out.numSpeakers = params.numSpeakers;
  if (typeof params.minSpeakers === 'number') out.minSpeakers = params.minSpeakers;
  if (typeof params.maxSpeakers === 'number') out.maxSpeakers = params.maxSpeakers;
  return out;
}

/** A client configured from ctx.env (key, base URL, retry tunables), logging each retry as a warning. */
export function clientFor(ctx: StageContext<unknown>): PyannoteClient {
  const env = readEnv(ctx.env);
  if (!env.apiKey) throw missingKey();
  return new PyannoteClient({
    apiKey: env.apiKey,
    baseURL: env.baseURL,
    signal: ctx.signal,
    policy: defaultRetryPolicy(ctx.env),
    onRetry: (event) => ctx.logger.warn(`${SERVICE}: ${event.reason}; retrying in ${event.delayMs} ms (attempt ${event.attempt + 1}).`),
  });
}

/** The remote-job kit's poll schedule from the polling params. */
export function pollSchedule(p: PollParams): PollSchedule {
  return { intervalMs: p.pollIntervalMs, maxIntervalMs: Math.max(p.pollIntervalMs, p.maxPollIntervalMs), timeoutMs: p.pollTimeoutMs, timeoutSetting: 'pollTimeoutMs' };
}

/** Resolves a user path: as given (relative to the working directory), else next to the pipeline file. */
export function resolveUserPath(path: string, pipelineFile?: string): string {
  const direct = resolve(path);
  if (existsSync(direct) || !pipelineFile) return direct;
  const beside = resolve(pipelineFile, '..', path);
  return existsSync(beside) ? beside : direct;
}

export interface LocalAudio {
  path: string;
  sha256: string;
  bytes: number;
  /** Seconds, when readable from the file header. */
  duration?: number;
}

export async function localAudio(path: string, what: string, pipelineFile?: string): Promise<LocalAudio> {
  const full = resolveUserPath(path, pipelineFile);
  let bytes: number;
  try {
    const info = statSync(full);
    if (!info.isFile()) throw new Error('not a file');
    bytes = info.size;
  } catch {
    throw new SpxError('INPUT_MISSING', `${what} "${path}" does not exist or is not a file.`, { hint: 'Check the path (relative paths are resolved from the working directory, then from the pipeline file).' });
  }
  if (bytes === 0) throw new SpxError('INPUT_INVALID', `${what} "${path}" is empty.`, { hint: 'Point it at a non-empty audio file.' });
  const duration = (await readWavInfo(full).catch(() => undefined))?.duration;
  return { path: full, sha256: await sha256File(full), bytes, ...(duration === undefined ? {} : { duration }) };
}

export interface AudioSource {
  /** What the job request's `url` field gets. */
  url: string;
  /** Key part identifying the content (sha256 of the file, or of the URL). */
  id: string;
  /** Local file, when one was uploaded. */
  local?: LocalAudio;
  /** Used in RTTM and messages. */
  name: string;
}

/** Uploads `audio` (once, reused while kept) or passes `url` through. */
export async function audioSource(ctx: StageContext<{ audio?: string; url?: string }>, client: PyannoteClient, memo: Memo): Promise<AudioSource> {
  const { audio, url } = ctx.params;
  if (audio) {
    const local = await localAudio(audio, 'audio', ctx.run.pipeline.file);
    const media = await uploadMedia(client, memo, local.path, local.sha256, ctx.logger);
    return { url: media, id: local.sha256, local, name: ctx.run.inputStem || stem(local.path) };
  }
  if (url) {
    return { url, id: `url-${sha256(url)}`, name: stem(url.replace(/[?#].*$/, '').split('/').pop() ?? '') || 'audio' };
  }
  throw new SpxError('PARAMS_INVALID', 'Neither `audio` nor `url` is set.', { hint: 'Set `audio` to a file (or `url` to a public URL).' });
}

export function stem(path: string): string {
  return basename(path, extname(path));
}

export function logWarning(logger: Logger, warning: unknown): void {
  if (typeof warning === 'string' && warning) logger.warn(`${SERVICE}: ${warning}`);
}

export interface DiarizationFiles {
  diarization: FileRef;
  rttm: FileRef;
  timeline: FileRef;
  raw: FileRef;
}

/** Declares the file outputs of writeDiarizationFiles; the stages word three of them their own way. */
export function diarizationOutputs(descriptions: { diarization: string; rttm: string; raw: string }): Record<keyof DiarizationFiles, OutputSpec> {
  return {
    diarization: { kind: 'file', description: descriptions.diarization },
    rttm: { kind: 'file', description: descriptions.rttm },
    timeline: { kind: 'file', description: 'Speaker-only spx Transcript (one placeholder segment per turn) for core/merge + core/export when there is no transcription.' },
    raw: { kind: 'file', description: descriptions.raw },
  };
}

/** Writes the file outputs diarize and identify share: canonical JSON, RTTM, speaker timeline, raw API output. */
export async function writeDiarizationFiles(ctx: StageContext<unknown>, diarization: Diarization, raw: unknown, uri: string): Promise<DiarizationFiles> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    diarization: await ctx.artifacts.write('diarization.json', json(diarization), 'application/json'),
    rttm: await ctx.artifacts.write('diarization.rttm', writeRttm(diarization.turns, uri), 'text/plain'),
    timeline: await ctx.artifacts.write('timeline.json', json(timelineTranscript(diarization)), 'application/json'),
    raw: await ctx.artifacts.write('pyannote-output.json', json(raw), 'application/json'),
  };
}
