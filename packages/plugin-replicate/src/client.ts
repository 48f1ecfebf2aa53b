// A small typed client for the parts of the Replicate HTTP API spx uses. Every request goes
// through core's fetchWithRetry (one retry policy for all plugins), readJson and apiError; the
// token is registered with core's redaction, so no message shows it, even a server's echo.
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { SpxError, apiError, fetchWithRetry, readJson, serviceRoot, type FetchWithRetryOptions, type Json } from '@spx/core';

export const SERVICE = 'Replicate';
export const TOKEN_VARIABLE = 'REPLICATE_API_TOKEN';
export const BASE_URL_VARIABLE = 'REPLICATE_BASE_URL';
export const DEFAULT_BASE_URL = 'https://api.replicate.com';

export type PredictionStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set(['succeeded', 'failed', 'canceled', 'aborted']);

export interface Prediction {
  id: string;
  model?: string;
  version?: string;
  status: PredictionStatus;
  input?: Record<string, Json>;
  output?: Json;
  error?: Json;
  logs?: string | null;
  data_removed?: boolean;
  created_at?: string;
  started_at?: string | null;
  completed_at?: string | null;
  metrics?: { predict_time?: number; total_time?: number };
  urls?: { get?: string; cancel?: string; web?: string };
}

export interface FileObject {
  id: string;
  content_type?: string;
  size?: number;
  checksums?: { sha256?: string };
  created_at?: string;
  expires_at?: string;
  urls: { get: string };
}

export interface CreatePredictionRequest {
  /** `owner/name`; used when no version is given (POST /v1/models/{owner}/{name}/predictions). */
  model?: string;
  /** 64-hex version id (POST /v1/predictions). */
  version?: string;
  input: Record<string, Json>;
  /** Seconds to hold the request (`Prefer: wait=n`, 1–60); 0 or undefined sends no header. */
  wait?: number;
}

/** The token and server, plus core's retry options (signal, policy, onRetry) for every request. */
export interface ReplicateClientOptions extends Omit<FetchWithRetryOptions, 'service'> {
  token: string;
  /** Server root without `/v1` (REPLICATE_BASE_URL); default https://api.replicate.com. */
  baseURL?: string;
}

/** REPLICATE_BASE_URL of the run's environment, or the public API; a trailing slash or `/v1` is dropped. */
export function baseUrlFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  return normalizeBaseUrl(env[BASE_URL_VARIABLE] || DEFAULT_BASE_URL);
}

export function normalizeBaseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/\/v1$/, '');
}

export class ReplicateClient {
  readonly baseURL: string;
  readonly #options: ReplicateClientOptions;

  constructor(options: ReplicateClientOptions) {
    this.baseURL = normalizeBaseUrl(serviceRoot(options.token, options.baseURL, { keyVariable: TOKEN_VARIABLE, baseUrlVariable: BASE_URL_VARIABLE, defaultBaseUrl: DEFAULT_BASE_URL }));
    this.#options = options;
  }

  /** Creates a prediction; the answer is usually `starting` (or finished, with `wait`). */
  async createPrediction(request: CreatePredictionRequest): Promise<Prediction> {
    let path: string;
    const body: Record<string, Json> = { input: request.input };
    if (request.version) {
      path = '/v1/predictions';
      body.version = request.version;
    } else if (request.model) {
      path = `/v1/models/${modelPath(request.model)}/predictions`;
    } else {
      throw new SpxError('PARAMS_INVALID', 'A Replicate prediction needs a model or a version.', { hint: 'Set `model` (owner/name) or `version` in the stage params.' });
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (request.wait && request.wait > 0) headers.prefer = `wait=${Math.min(60, Math.max(1, Math.round(request.wait)))}`;
    const response = await this.#request(path, { method: 'POST', headers, body: JSON.stringify(body) });
    return this.#json<Prediction>(response, isPrediction);
  }

  /** The prediction's current state. */
  async getPrediction(id: string): Promise<Prediction> {
    const response = await this.#request(`/v1/predictions/${encodeURIComponent(id)}`, { method: 'GET' });
    return this.#json<Prediction>(response, isPrediction);
  }

  /** Like getPrediction, but undefined when the server does not know the id (404). */
  async findPrediction(id: string): Promise<Prediction | undefined> {
    const response = await this.#request(`/v1/predictions/${encodeURIComponent(id)}`, { method: 'GET' });
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    return this.#json<Prediction>(response, isPrediction);
  }

  async cancelPrediction(id: string): Promise<Prediction> {
    const response = await this.#request(`/v1/predictions/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
    return this.#json<Prediction>(response, isPrediction);
  }

  /** Uploads a local file through the files API (multipart part `content`). */
  async uploadFile(path: string, contentType: string, metadata?: Record<string, Json>): Promise<FileObject> {
    const blob = await openAsBlob(path, { type: contentType });
    const form = new FormData();
    form.set('content', blob, basename(path));
    if (metadata) form.set('metadata', new Blob([JSON.stringify(metadata)], { type: 'application/json' }), 'metadata.json');
    const response = await this.#request('/v1/files', { method: 'POST', body: form });
    return this.#json<FileObject>(response, (v): v is FileObject => isRecord(v) && typeof v.id === 'string' && isRecord(v.urls) && typeof v.urls.get === 'string');
  }

  /** The newest version id of `owner/name`. */
  async latestVersion(model: string): Promise<string> {
    const response = await this.#request(`/v1/models/${modelPath(model)}/versions`, { method: 'GET' });
    const page = await this.#json<{ results: Array<{ id: string }> }>(response, (v): v is { results: Array<{ id: string }> } => isRecord(v) && Array.isArray(v.results));
    const id = page.results[0]?.id;
    if (typeof id !== 'string' || id === '') {
      throw new SpxError('API_ERROR', `${SERVICE} lists no versions for model "${model}".`, { hint: 'Check the model name, or pin `version` to a version id from the model page.' });
    }
    return id;
  }

  async #request(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.#options.token}`);
    headers.set('accept', 'application/json');
    const { signal, policy, onRetry } = this.#options;
    return fetchWithRetry(`${this.baseURL}${path}`, { ...init, headers }, { service: SERVICE, signal, policy, onRetry });
  }

  async #json<T>(response: Response, check: (value: unknown) => value is T): Promise<T> {
    if (!response.ok) throw await apiError(response, SERVICE, TOKEN_VARIABLE);
    const body = await readJson<unknown>(response, SERVICE);
    if (!check(body)) {
      throw new SpxError('API_BAD_RESPONSE', `${SERVICE} sent an unexpected JSON body (HTTP ${response.status}).`, {
        hint: 'Check REPLICATE_BASE_URL points at the Replicate API, then run the same command again.',
        retryable: true,
      });
    }
    return body;
  }
}

function modelPath(model: string): string {
  const [owner, name, ...rest] = model.split('/');
  if (!owner || !name || rest.length > 0) {
    throw new SpxError('PARAMS_INVALID', `Replicate model "${model}" is not of the form owner/name.`, { hint: 'Write the model as owner/name, e.g. thomasmol/whisper-diarization.' });
  }
  return `${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isPrediction(value: unknown): value is Prediction {
  return isRecord(value) && typeof value.id === 'string' && typeof value.status === 'string';
}
