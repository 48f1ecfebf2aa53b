// One upload to /v1/audio/transcriptions through the official `openai` client, with
// core's fetchWithRetry as its `fetch` and the client's own retries off (maxRetries 0),
// so there is exactly one retry layer: 429 honours retry-after, 5xx and network errors back
// off with jitter, each attempt has its own timeout, and the AbortSignal cancels it all.
// Errors come out as SpxErrors that say what to fix; the key is registered with core's
// redaction, so it never appears in them (nor in a server's echo of it).
import OpenAI, { toFile } from 'openai';
import { checkBaseUrl, defaultRetryPolicy, excerpt, fetchWithRetry, isSpxError, registerSecret, SpxError, type PieceSegment, type RetryEvent, type RetryPolicy, type Word } from '@spx/core';
import { REPLACEMENT_MODEL, RETIREMENT_DATE, RETIRING_MODELS, WORD_TIMING_PIPELINES, type ModelInfo } from './models.js';

export const KEY_VARIABLE = 'OPENAI_API_KEY';
export const BASE_URL_VARIABLE = 'OPENAI_BASE_URL';
export const SERVICE = 'OpenAI';
/** The service refuses bodies over 25 MiB. */
export const UPLOAD_LIMIT_BYTES = 26_214_400;

/** Where the service is when neither baseURL nor OPENAI_BASE_URL says otherwise. */
export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface ClientOptions {
  apiKey: string;
  /** Defaults to OPENAI_BASE_URL in `env`, then https://api.openai.com/v1 (the client's own rule). */
  baseURL?: string;
  /** The stage's environment (ctx.env): OPENAI_BASE_URL, OPENAI_ORG_ID and OPENAI_PROJECT_ID are read from it, never from the process's. */
  env: Readonly<Record<string, string | undefined>>;
  policy?: Partial<RetryPolicy>;
  onRetry?: (event: RetryEvent) => void;
}

export interface TranscriptionClient {
  readonly openai: OpenAI;
  readonly host: string;
}

export function createClient(options: ClientOptions): TranscriptionClient {
  registerSecret(options.apiKey, KEY_VARIABLE);
  const baseURL = options.baseURL ?? options.env[BASE_URL_VARIABLE];
  checkBaseUrl(baseURL, options.baseURL ? 'baseURL' : BASE_URL_VARIABLE, KEY_VARIABLE);
  const policy: RetryPolicy = { ...defaultRetryPolicy(options.env), ...options.policy };
  const retryingFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' || input instanceof URL ? input : input.url;
    const { signal, ...rest } = init ?? {};
    return fetchWithRetry(url, rest, { service: SERVICE, signal: signal ?? undefined, policy, onRetry: options.onRetry });
  };
  // Every setting the client would otherwise look up in the process's environment is given explicitly.
  const openai = new OpenAI({
    apiKey: options.apiKey,
    baseURL: baseURL?.trim() || DEFAULT_BASE_URL,
    organization: options.env.OPENAI_ORG_ID?.trim() || null,
    project: options.env.OPENAI_PROJECT_ID?.trim() || null,
    maxRetries: 0,
    // Per-attempt timeouts are fetchWithRetry's; the client's own timer only bounds the whole call.
    timeout: 24 * 3600 * 1000,
    fetch: retryingFetch,
  });
  return { openai, host: safeHost(openai.baseURL) };
}

export interface UploadRequest {
  bytes: Uint8Array;
  /** Name with an extension the service recognises (format is detected from it). */
  filename: string;
  model: ModelInfo;
  language?: string;
  prompt?: string;
  temperature?: number;
  signal: AbortSignal;
  /** Used in error messages, e.g. "chunk 3/12". */
  label: string;
}

/** A piece of transcript with times relative to the start of the upload. */
export type UploadSegment = PieceSegment;

export interface UploadResult {
  text: string;
  /** ISO-639-1 where the service says, else what it said. */
  language?: string;
  duration?: number;
  /** Empty for text-only answers. */
  segments: UploadSegment[];
}

/** Uploads one file and normalises the answer; throws SpxError. */
export async function transcribeUpload(client: TranscriptionClient, request: UploadRequest): Promise<UploadResult> {
  const { model } = request;
  if (request.bytes.byteLength > UPLOAD_LIMIT_BYTES) {
    throw new SpxError('API_ERROR', `${request.label} is ${mib(request.bytes.byteLength)} MiB, over the 25 MiB upload limit of ${SERVICE}.`, {
      hint: 'Lower maxDuration or maxBytes, or use chunkFormat mp3 or opus, so each upload stays under 25 MiB.',
    });
  }
  const body: OpenAI.Audio.TranscriptionCreateParams = {
    file: await toFile(request.bytes, request.filename),
    model: model.id,
    response_format: model.responseFormat,
    ...(model.responseFormat === 'verbose_json' ? { timestamp_granularities: ['word', 'segment'] as Array<'word' | 'segment'> } : {}),
    ...(model.diarizes ? { chunking_strategy: 'auto' as const } : {}),
    ...(request.language ? { language: request.language } : {}),
    ...(request.prompt && model.prompt ? { prompt: request.prompt } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  };
  let answer: unknown;
  try {
    answer = await client.openai.audio.transcriptions.create(body, { signal: request.signal });
  } catch (error) {
    throw toSpxError(error, client, request);
  }
  return normalise(answer, request);
}

function normalise(answer: unknown, request: UploadRequest): UploadResult {
  if (typeof answer === 'string') return { text: answer.trim(), segments: [] };
  const body = answer as { text?: unknown; language?: unknown; duration?: unknown; segments?: unknown; words?: unknown };
  if (typeof body !== 'object' || body === null || typeof body.text !== 'string') {
    throw badResponse(request, 'the answer has no "text" field');
  }
  const language = typeof body.language === 'string' ? isoLanguage(body.language) : undefined;
  const duration = typeof body.duration === 'number' ? body.duration : undefined;
  const result: UploadResult = { text: body.text.trim(), segments: [], ...(language ? { language } : {}), ...(duration !== undefined ? { duration } : {}) };
  if (request.model.responseFormat === 'json') return result;
  const segments = Array.isArray(body.segments) ? body.segments : [];
  const words: Word[] = [];
  if (Array.isArray(body.words)) {
    for (const w of body.words as Array<{ word?: unknown; start?: unknown; end?: unknown }>) {
      if (typeof w.word !== 'string' || !isTime(w.start) || !isTime(w.end)) throw badResponse(request, 'a word lacks text, start or end');
      const text = w.word.trim();
      if (text) words.push({ text, start: w.start, end: Math.max(w.start, w.end) });
    }
  }
  for (const s of segments as Array<{ start?: unknown; end?: unknown; text?: unknown; speaker?: unknown }>) {
    if (!isTime(s.start) || !isTime(s.end) || typeof s.text !== 'string') throw badResponse(request, 'a segment lacks text, start or end');
    const text = s.text.trim();
    if (!text) continue;
    result.segments.push({ start: s.start, end: Math.max(s.start, s.end), text, ...(typeof s.speaker === 'string' ? { speaker: s.speaker } : {}) });
  }
  if (words.length > 0) attachWords(result, words);
  return result;
}

/** Gives each segment the words whose midpoint falls in it; words outside every segment form their own. */
function attachWords(result: UploadResult, words: Word[]): void {
  if (result.segments.length === 0) {
    result.segments.push({ start: words[0]!.start, end: words[words.length - 1]!.end, text: result.text, words });
    return;
  }
  const segments = result.segments;
  let s = 0;
  for (const word of words) {
    const mid = (word.start + word.end) / 2;
    while (s < segments.length - 1 && mid >= segments[s + 1]!.start) s++;
    (segments[s]!.words ??= []).push(word);
  }
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function badResponse(request: UploadRequest, why: string): SpxError {
  return new SpxError('API_BAD_RESPONSE', `${SERVICE} sent an unusable answer for ${request.label}: ${why}.`, {
    hint: 'This is a fault on the service side; run the same command again to resume.',
    retryable: true,
  });
}

function toSpxError(error: unknown, client: TranscriptionClient, request: UploadRequest): SpxError {
  if (request.signal.aborted) {
    const reason: unknown = request.signal.reason;
    return isSpxError(reason) ? reason : new SpxError('ABORTED', 'Transcription interrupted.', { cause: error });
  }
  if (isSpxError(error)) return error;
  if (error instanceof OpenAI.APIConnectionError && isSpxError(error.cause)) return error.cause;
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') return statusError(error, client, request);
  if (error instanceof SyntaxError) {
    return new SpxError('API_BAD_RESPONSE', `${SERVICE} sent a malformed JSON body for ${request.label}.`, {
      hint: 'This is a fault on the service side; run the same command again to resume (finished chunks are kept).',
      retryable: true,
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new SpxError('API_UNREACHABLE', `${SERVICE} at ${client.host} failed for ${request.label}: ${message}`, {
    hint: 'Check the network and baseURL / OPENAI_BASE_URL, then run the same command again to resume.',
    retryable: true,
  });
}

function statusError(error: InstanceType<typeof OpenAI.APIError>, client: TranscriptionClient, request: UploadRequest): SpxError {
  const inner = error.error as { message?: unknown } | undefined;
  const raw = typeof inner?.message === 'string' ? inner.message : '';
  const detail = excerpt(raw, 240).replace(/[.\s]+$/, '');
  const suffix = detail ? `: ${detail}` : '';
  const model = request.model.id;
  switch (error.status) {
    case 401:
      return new SpxError('API_KEY_REJECTED', `${KEY_VARIABLE} was rejected by ${SERVICE} at ${client.host} (HTTP 401)${suffix}.`, {
        hint: `Set ${KEY_VARIABLE} to a valid key (or point baseURL at the server the key belongs to) and run the same command again.`,
      });
    case 403:
      return new SpxError('API_KEY_REJECTED', `${KEY_VARIABLE} is not allowed to use model "${model}" on ${SERVICE} (HTTP 403)${suffix}.`, {
        hint: `Use a key with access to "${model}" in ${KEY_VARIABLE}, or choose another model.`,
      });
    case 404:
      if (error.code === 'model_not_found') return modelUnavailable(model, client, suffix);
      return new SpxError('API_ERROR', `Model "${model}" does not exist for this key on ${SERVICE} at ${client.host} (HTTP 404)${suffix}.`, {
        hint: 'Set `model:` to a model the key can use, e.g. whisper-1 or gpt-4o-transcribe, or check baseURL.',
        pluginCode: 'MODEL_NOT_FOUND',
      });
    case 413:
      return new SpxError('API_ERROR', `${request.label} (${mib(request.bytes.byteLength)} MiB) is too large for ${SERVICE} (HTTP 413)${suffix}.`, {
        hint: 'Lower maxDuration or maxBytes, or use chunkFormat mp3 or opus, so each upload stays under the limit.',
        pluginCode: 'FILE_TOO_LARGE',
      });
    case 429:
      return new SpxError('API_RATE_LIMITED', `${SERVICE} refused ${request.label} with HTTP 429${suffix}.`, {
        hint: 'Check the plan and billing of the key, or lower concurrency, then run the same command again to resume.',
        retryable: true,
      });
    default:
      return new SpxError('API_ERROR', `${SERVICE} refused ${request.label} for model "${model}" (HTTP ${error.status})${suffix}.`, {
        hint: 'Check the stage parameters (model, language, prompt, temperature) named in the message.',
        retryable: (error.status ?? 0) >= 500,
      });
  }
}

/** 404 model_not_found: the model does not exist for this key, or OpenAI retired it. */
function modelUnavailable(model: string, client: TranscriptionClient, suffix: string): SpxError {
  const retiring = (RETIRING_MODELS as readonly string[]).includes(model);
  const why = retiring ? ` (OpenAI retires ${RETIRING_MODELS.join(', ')} on ${RETIREMENT_DATE})` : '';
  return new SpxError('MODEL_UNAVAILABLE', `Model "${model}" is not available on ${SERVICE} at ${client.host}: it does not exist for this key or was retired${why} (HTTP 404)${suffix}.`, {
    hint: `Set \`model: ${REPLACEMENT_MODEL}\` (text only, no word timings; pipelines/standard-turns.yaml gives text per speaker turn), or for word timings with speakers use pipelines ${WORD_TIMING_PIPELINES.join(', ')} (spx pipelines list). Finished stages are kept.`,
  });
}

const LANGUAGE_CODES: Record<string, string> = {
  english: 'en', german: 'de', french: 'fr', spanish: 'es', italian: 'it', dutch: 'nl', portuguese: 'pt', japanese: 'ja', chinese: 'zh', russian: 'ru',
  polish: 'pl', turkish: 'tr', korean: 'ko', arabic: 'ar', swedish: 'sv', danish: 'da', norwegian: 'no', finnish: 'fi', czech: 'cs', ukrainian: 'uk', hindi: 'hi',
};

/** whisper-1 names the language in English ("english"); the Transcript keeps ISO-639-1 codes. */
export function isoLanguage(value: string): string {
  const lower = value.trim().toLowerCase();
  return LANGUAGE_CODES[lower] ?? lower;
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the configured base URL';
  }
}
