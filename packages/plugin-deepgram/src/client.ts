// A small client for Deepgram's pre-recorded POST /v1/listen (synchronous: the answer is the
// transcript). Requests go through core's fetchWithRetry (429 Retry-After, 5xx/network backoff)
// except a 504, which means "took longer than the processing cap" and would only repeat, paid
// again. Deepgram words its errors three ways (err_code/err_msg, category/message/details, plain
// text); each is read into one message. The key is registered for redaction: refusals name
// DEEPGRAM_API_KEY, never its value.
import { SpxError, apiError, excerpt, fetchWithRetry, readJson, serviceRoot, type FetchWithRetryOptions } from '@spx/core';

export const SERVICE = 'Deepgram';
export const KEY_VARIABLE = 'DEEPGRAM_API_KEY';
export const BASE_URL_VARIABLE = 'DEEPGRAM_BASE_URL';
export const DEFAULT_BASE_URL = 'https://api.deepgram.com';
/** Largest request body the API accepts. */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

/** Query options of one request (booleans as true/false, lists as repeated keys). */
export type ListenQuery = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface ApiWord {
  word: string;
  start: number;
  end: number;
  confidence?: number;
  speaker?: number;
  speaker_confidence?: number;
  punctuated_word?: string;
}

export interface ApiUtterance {
  start: number;
  end: number;
  transcript: string;
  speaker?: number;
  channel?: number;
  confidence?: number;
  words?: ApiWord[];
}

export interface ListenResponse {
  metadata: { request_id?: string; duration?: number; model_info?: Record<string, { name?: string; arch?: string }> };
  results: {
    channels: Array<{ alternatives: Array<{ transcript: string; confidence?: number; words?: ApiWord[] }>; detected_language?: string }>;
    utterances?: ApiUtterance[];
  };
}

export interface DeepgramClientOptions extends Omit<FetchWithRetryOptions, 'service'> {
  apiKey: string;
  /** Server root; `/v1/listen` is appended. Default https://api.deepgram.com. */
  baseURL?: string;
}

export class DeepgramClient {
  readonly baseURL: string;
  readonly #options: DeepgramClientOptions;

  constructor(options: DeepgramClientOptions) {
    this.baseURL = serviceRoot(options.apiKey, options.baseURL, { keyVariable: KEY_VARIABLE, baseUrlVariable: BASE_URL_VARIABLE, defaultBaseUrl: DEFAULT_BASE_URL });
    this.#options = options;
  }

  /** POST /v1/listen with the audio as the body; resolves with the validated transcript answer. */
  async listen(audio: Uint8Array, query: ListenQuery, what: string, signal?: AbortSignal): Promise<ListenResponse> {
    const { policy, onRetry } = this.#options;
    const response = await fetchWithRetry(
      `${this.baseURL}/v1/listen?${queryString(query)}`,
      { method: 'POST', headers: { authorization: `Token ${this.#options.apiKey}`, 'content-type': 'application/octet-stream', accept: 'application/json', 'user-agent': 'spx-plugin-deepgram' }, body: new Blob([audio as Uint8Array<ArrayBuffer>]) },
      { service: SERVICE, signal: signal ?? this.#options.signal, policy, onRetry, finalStatuses: [504] },
    );
    if (!response.ok) throw await refusal(response, what);
    const body = await readJson<unknown>(response, SERVICE);
    if (!isListenResponse(body)) {
      throw new SpxError('API_BAD_RESPONSE', `${SERVICE} answered ${what} without results.channels[0].alternatives[0] (HTTP ${response.status}).`, {
        hint: 'This is a fault on the service side; run the same command again later to resume.',
        retryable: true,
      });
    }
    return body;
  }
}

/** `model=nova-3&diarize_model=latest&keyterm=a&keyterm=b` (undefined values left out). */
export function queryString(query: ListenQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  return params.toString();
}

function isListenResponse(body: unknown): body is ListenResponse {
  const b = body as ListenResponse | undefined;
  return typeof b === 'object' && b !== null && typeof b.metadata === 'object' && b.metadata !== null && Array.isArray(b.results?.channels) && Array.isArray(b.results.channels[0]?.alternatives) && typeof b.results.channels[0].alternatives[0]?.transcript === 'string';
}

/** The error answer as an SpxError: the processing cap, else core's mapping with Deepgram's own message. */
async function refusal(response: Response, what: string): Promise<SpxError> {
  const text = await response.text().catch(() => '');
  const message = errorMessage(text);
  if (response.status === 504) {
    return new SpxError('API_TIMEOUT', `${SERVICE} gave up on ${what}: processing took longer than its cap (HTTP 504)${message ? `: ${excerpt(message, 200)}` : ''}.`, {
      hint: 'Cut the audio into shorter chunks (lower maxDuration of the ffmpeg/chunk stage, and of this stage) and run the same command again; finished chunks are kept.',
    });
  }
  return apiError(new Response(JSON.stringify({ message }), { status: response.status, statusText: response.statusText }), SERVICE, KEY_VARIABLE);
}

/** err_msg (legacy), message + details (modern), or the plain text of an error body. */
export function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const parts = [body.err_msg ?? body.message, body.details].filter((part): part is string => typeof part === 'string' && part.length > 0);
    const code = [body.err_code, body.category, body.error_code].find((c): c is string => typeof c === 'string');
    if (parts.length) return `${parts.join(' — ')}${code ? ` (${code})` : ''}`;
  } catch {
    // not JSON: plain text (or an HTML page from a gateway)
  }
  return excerpt(text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim(), 200);
}
