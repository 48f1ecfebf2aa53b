// A small typed client for the pyannoteAI v1 API (see docs in the package README). Every
// request goes through core's fetchWithRetry (429 retry-after, 5xx/network backoff) and every
// refusal through apiError; the key is registered with core's redaction, so its variable name
// is reported and never its value (also when the server echoes it). Waiting for a job is the
// remote-job kit's business (jobs.ts), not the client's.
import { openAsBlob } from 'node:fs';
import { SpxError, apiError, fetchWithRetry, readJson, serviceRoot, type FetchWithRetryOptions } from '@spx/core';

export const SERVICE = 'pyannoteAI';
export const KEY_VARIABLE = 'PYANNOTEAI_API_KEY';
export const BASE_URL_VARIABLE = 'PYANNOTEAI_BASE_URL';
export const DEFAULT_BASE_URL = 'https://api.pyannote.ai';

export type JobStatus = 'pending' | 'created' | 'running' | 'succeeded' | 'failed' | 'canceled';
export type Model = 'precision-2' | 'community-1';

export interface ApiTurn {
  speaker: string;
  start: number;
  end: number;
  /** Per-speaker confidence 0..100 when `turnLevelConfidence` was requested. */
  confidence?: Record<string, number>;
}

/** A word or a turn of the STT orchestration (`transcription: true`), seconds. */
export interface ApiTranscribed {
  start: number;
  end: number;
  text: string;
  speaker: string;
}

export interface DiarizeOutput {
  diarization: ApiTurn[];
  exclusiveDiarization?: ApiTurn[];
  confidence?: { score: number[]; resolution: number };
  wordLevelTranscription?: ApiTranscribed[];
  turnLevelTranscription?: ApiTranscribed[];
  warning?: string;
}

export interface IdentifyOutput extends DiarizeOutput {
  identification?: Array<{ speaker: string; start: number; end: number; diarizationSpeaker: string; match: string | null }>;
  voiceprints?: Array<{ speaker: string; match: string | null; confidence?: Record<string, number> }>;
}

export interface VoiceprintOutput {
  voiceprint: string;
  warning?: string;
}

export interface Job<O = Record<string, unknown>> {
  jobId: string;
  status: JobStatus;
  createdAt?: string;
  updatedAt?: string;
  output?: O & { error?: string };
}

export interface JobCreated {
  jobId: string;
  status: string;
  warning?: string;
}

export interface SpeakerCounts {
  numSpeakers?: number;
  minSpeakers?: number;
  maxSpeakers?: number;
}

/** Speech-to-text models of the STT orchestration. */
export const TRANSCRIPTION_MODELS = ['parakeet-tdt-0.6b-v3', 'faster-whisper-large-v3-turbo'] as const;
export type TranscriptionModel = (typeof TRANSCRIPTION_MODELS)[number];

export interface DiarizeRequest extends SpeakerCounts {
  url: string;
  model?: Model;
  confidence?: boolean;
  turnLevelConfidence?: boolean;
  exclusive?: boolean;
  /** STT orchestration (precision-2 only): adds word- and turn-level transcription to the output. */
  transcription?: boolean;
  transcriptionConfig?: { model: TranscriptionModel };
}

export interface IdentifyRequest extends SpeakerCounts {
  url: string;
  model?: 'precision-2';
  voiceprints: Array<{ label: string; voiceprint: string }>;
  matching?: { exclusive?: boolean; threshold?: number };
  confidence?: boolean;
  turnLevelConfidence?: boolean;
  exclusive?: boolean;
}

export interface VoiceprintRequest {
  url: string;
  model?: 'precision-2';
}

/** The key and server, plus core's retry options (signal, policy, onRetry) for every request. */
export interface PyannoteClientOptions extends Omit<FetchWithRetryOptions, 'service'> {
  apiKey: string;
  /** Server root; `/v1/...` is appended. Default https://api.pyannote.ai. */
  baseURL?: string;
}

export class PyannoteClient {
  readonly baseURL: string;
  readonly #options: PyannoteClientOptions;

  constructor(options: PyannoteClientOptions) {
    this.baseURL = serviceRoot(options.apiKey, options.baseURL, { keyVariable: KEY_VARIABLE, baseUrlVariable: BASE_URL_VARIABLE, defaultBaseUrl: DEFAULT_BASE_URL });
    this.#options = options;
  }

  /** GET /v1/test: checks the key. */
  async testConnection(): Promise<void> {
    await this.#json('GET', '/v1/test');
  }

  /** POST /v1/media/input: declares a media:// key and returns the presigned PUT URL. */
  async createUploadUrl(mediaUrl: string): Promise<string> {
    const body = await this.#json<{ url?: unknown }>('POST', '/v1/media/input', { url: mediaUrl });
    if (typeof body.url !== 'string' || !body.url) throw badResponse('media/input answered without an upload URL');
    return body.url;
  }

  /** Uploads a local file to temporary storage under `mediaUrl` (media://…) and returns `mediaUrl`. */
  async upload(path: string, mediaUrl: string): Promise<string> {
    const data = await openAsBlob(path);
    for (let round = 1; ; round++) {
      const putUrl = await this.createUploadUrl(mediaUrl);
      const response = await fetchWithRetry(putUrl, { method: 'PUT', body: data }, this.#retryOptions());
      if (response.ok) {
        await response.body?.cancel().catch(() => undefined);
        return mediaUrl;
      }
      // A presigned URL that expired between issue and use: get a fresh one once.
      if ((response.status === 403 || response.status === 400) && round === 1) {
        await response.body?.cancel().catch(() => undefined);
        continue;
      }
      if (response.status === 403) {
        await response.body?.cancel().catch(() => undefined);
        throw new SpxError('API_ERROR', `${SERVICE} storage refused the upload of "${mediaUrl}" (HTTP 403).`, {
          hint: 'The presigned upload URL was rejected twice; run the same command again to get a fresh one.',
          retryable: true,
        });
      }
      throw await apiError(response, `${SERVICE} storage`, KEY_VARIABLE);
    }
  }

  /** POST /v1/diarize. */
  diarize(request: DiarizeRequest): Promise<JobCreated> {
    return this.#submit('/v1/diarize', request);
  }

  /** POST /v1/voiceprint. */
  voiceprint(request: VoiceprintRequest): Promise<JobCreated> {
    return this.#submit('/v1/voiceprint', request);
  }

  /** POST /v1/identify. */
  identify(request: IdentifyRequest): Promise<JobCreated> {
    return this.#submit('/v1/identify', request);
  }

  /** GET /v1/jobs/{id}; undefined when the API no longer knows the job (404). */
  async getJob<O>(jobId: string): Promise<Job<O> | undefined> {
    const response = await this.#fetch('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
    if (response.status === 404) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    if (!response.ok) throw await this.#refusal(response);
    const job = await readJson<Job<O>>(response, SERVICE);
    if (!job || typeof job !== 'object' || typeof job.status !== 'string') throw badResponse(`job ${jobId} answered without a status`);
    return job;
  }

  async #submit(path: string, request: object): Promise<JobCreated> {
    const created = await this.#json<JobCreated>('POST', path, request);
    if (typeof created.jobId !== 'string' || !created.jobId) throw badResponse(`${path} answered without a jobId`);
    return created;
  }

  async #json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.#fetch(method, path, body);
    if (!response.ok) throw await this.#refusal(response);
    return readJson<T>(response, SERVICE);
  }

  #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#options.apiKey}`, accept: 'application/json', 'user-agent': 'spx-plugin-pyannote' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetchWithRetry(`${this.baseURL}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }, this.#retryOptions());
  }

  #retryOptions(): FetchWithRetryOptions {
    const { signal, policy, onRetry } = this.#options;
    return { service: SERVICE, signal, policy, onRetry };
  }

  /** apiError, plus the field list of a 400 ValidationErrorResponse. */
  async #refusal(response: Response): Promise<SpxError> {
    const fields = response.status === 400 ? await validationFields(response.clone()) : '';
    const error = await apiError(response, SERVICE, KEY_VARIABLE);
    if (!fields) return error;
    return new SpxError(error.code, `${error.message.replace(/\.$/, '')} (${fields}).`, { hint: error.hint, retryable: error.retryable });
  }
}

async function validationFields(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { errors?: Array<{ field?: unknown; message?: unknown }> };
    if (!Array.isArray(body.errors)) return '';
    return body.errors
      .slice(0, 5)
      .map((e) => `${String(e.field ?? '?')}: ${String(e.message ?? 'invalid')}`)
      .join('; ');
  } catch {
    return '';
  }
}

function badResponse(what: string): SpxError {
  return new SpxError('API_BAD_RESPONSE', `${SERVICE} sent an unexpected answer: ${what}.`, {
    hint: 'This is a fault on the service side; run the same command again later to resume.',
    retryable: true,
  });
}
