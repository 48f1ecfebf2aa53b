// A small typed client for AssemblyAI's pre-recorded API v2 (upload, create a transcript job,
// read it), written from the API contract in the package README. Every request goes through
// core's fetchWithRetry (429 Retry-After, 5xx and network backoff); the create request, which
// starts a billed job, is sent again only after answers proving no job was made. Refusals go
// through apiError, so a rejected key names ASSEMBLYAI_API_KEY and never its value.
import { openAsBlob } from 'node:fs';
import { SpxError, apiError, fetchWithRetry, readJson, serviceRoot, type FetchWithRetryOptions } from '@spx/core';

export const SERVICE = 'AssemblyAI';
export const KEY_VARIABLE = 'ASSEMBLYAI_API_KEY';
export const BASE_URL_VARIABLE = 'ASSEMBLYAI_BASE_URL';
export const DEFAULT_BASE_URL = 'https://api.assemblyai.com';

/** A word as the API returns it: times in integer milliseconds, speaker "A", "B", … */
export interface ApiWord {
  text: string;
  start: number;
  end: number;
  confidence?: number | null;
  speaker?: string | null;
}

export interface ApiUtterance {
  speaker: string;
  start: number;
  end: number;
  text: string;
  confidence?: number | null;
  words?: ApiWord[] | null;
}

/** The parts of a Transcript object spx reads (the API sends many more, all ignored). */
export interface ApiTranscript {
  id: string;
  status: string;
  error?: string | null;
  text?: string | null;
  words?: ApiWord[] | null;
  utterances?: ApiUtterance[] | null;
  /** Integer seconds. */
  audio_duration?: number | null;
  language_code?: string | null;
  speech_model_used?: string | null;
}

export interface TranscriptRequest {
  audio_url: string;
  speech_models: string[];
  speaker_labels: boolean;
  punctuate: boolean;
  format_text: boolean;
  language_code?: string;
  language_detection?: boolean;
  speakers_expected?: number;
  speaker_options?: { min_speakers_expected?: number; max_speakers_expected?: number };
}

export interface AssemblyAIClientOptions extends Omit<FetchWithRetryOptions, 'service' | 'idempotent'> {
  apiKey: string;
  /** Server root; `/v2/...` is appended. Default https://api.assemblyai.com. */
  baseURL?: string;
}

export class AssemblyAIClient {
  readonly baseURL: string;
  readonly #key: string;
  readonly #retry: FetchWithRetryOptions;

  constructor({ apiKey, baseURL, ...retry }: AssemblyAIClientOptions) {
    this.baseURL = serviceRoot(apiKey, baseURL, { keyVariable: KEY_VARIABLE, baseUrlVariable: BASE_URL_VARIABLE, defaultBaseUrl: DEFAULT_BASE_URL });
    this.#key = apiKey;
    this.#retry = { ...retry, service: SERVICE };
  }

  /** POST /v2/upload with the raw bytes; returns the upload_url to transcribe. */
  async upload(path: string): Promise<string> {
    const response = await this.#fetch('POST', '/v2/upload', { body: await openAsBlob(path), contentType: 'application/octet-stream' });
    if (!response.ok) throw await apiError(response, SERVICE, KEY_VARIABLE);
    const body = await readJson<{ upload_url?: unknown }>(response, SERVICE);
    if (typeof body?.upload_url !== 'string' || !body.upload_url) throw badResponse('the upload answer holds no upload_url');
    return body.upload_url;
  }

  /** POST /v2/transcript: starts a billed job; never sent twice unless the API proved it made none. */
  async create(request: TranscriptRequest): Promise<ApiTranscript> {
    const response = await this.#fetch('POST', '/v2/transcript', { body: JSON.stringify(request), contentType: 'application/json', once: true });
    if (response.status === 400) throw await refusedRequest(response);
    if (!response.ok) throw await apiError(response, SERVICE, KEY_VARIABLE);
    return checkTranscript(await readJson<ApiTranscript>(response, SERVICE), 'the create answer');
  }

  /** GET /v2/transcript/{id}; undefined when the API does not know the id (400 lookup error or 404). */
  async get(id: string): Promise<ApiTranscript | undefined> {
    const response = await this.#fetch('GET', `/v2/transcript/${encodeURIComponent(id)}`);
    if (response.status === 404 || response.status === 400) {
      const text = await response.clone().text().catch(() => '');
      if (response.status === 404 || /lookup error|not found/i.test(text)) {
        await response.body?.cancel().catch(() => undefined);
        return undefined;
      }
    }
    if (!response.ok) throw await apiError(response, SERVICE, KEY_VARIABLE);
    return checkTranscript(await readJson<ApiTranscript>(response, SERVICE), `transcript ${id}`);
  }

  #fetch(method: string, path: string, send?: { body: string | Blob; contentType: string; once?: boolean }): Promise<Response> {
    const headers: Record<string, string> = { authorization: this.#key, accept: 'application/json', 'user-agent': 'spx-plugin-assemblyai' };
    if (send) headers['content-type'] = send.contentType;
    return fetchWithRetry(`${this.baseURL}${path}`, { method, headers, ...(send ? { body: send.body } : {}) }, { ...this.#retry, idempotent: !send?.once });
  }
}

/** A transcript answer is input: it must at least have an id and a status. */
function checkTranscript(value: ApiTranscript, what: string): ApiTranscript {
  if (!value || typeof value !== 'object' || typeof value.id !== 'string' || !value.id || typeof value.status !== 'string') throw badResponse(`${what} has no id or status`);
  return value;
}

/** A 400 on create: the API's words (a retired model, a negative balance) and what to change. */
async function refusedRequest(response: Response): Promise<SpxError> {
  const error = await apiError(response, SERVICE, KEY_VARIABLE);
  const model = /speech_model/i.test(error.message);
  return new SpxError('API_ERROR', error.message, {
    hint: model
      ? 'Set the stage param speechModels to models the API accepts (the message names them), then run the same command again.'
      : 'Fix what the message names (a stage param, or the account balance), then run the same command again.',
  });
}

export function badResponse(what: string): SpxError {
  return new SpxError('API_BAD_RESPONSE', `${SERVICE} sent an unexpected answer: ${what}.`, {
    hint: 'This is a fault on the service side; run the same command again later to resume.',
    retryable: true,
  });
}
