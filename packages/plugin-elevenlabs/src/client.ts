// A small typed client for ElevenLabs Speech-to-Text (Scribe, `POST /v1/speech-to-text`), written
// from the API contract in the package README. The call is synchronous and billed, and the API
// has no idempotency key: it goes through core's fetchWithRetry with `idempotent: false`, so it is
// sent again only after answers proving nothing was transcribed (429, 500, 502, 503, a refused
// connection). Error bodies come in four shapes (`detail` object new or legacy, FastAPI list,
// string); they are read into one message, then mapped by core's apiError, so a rejected key
// names ELEVENLABS_API_KEY and never its value.
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { SpxError, apiError, excerpt, fetchWithRetry, readJson, serviceRoot, type FetchWithRetryOptions } from '@spx/core';

export const SERVICE = 'ElevenLabs';
export const KEY_VARIABLE = 'ELEVENLABS_API_KEY';
export const BASE_URL_VARIABLE = 'ELEVENLABS_BASE_URL';
export const DEFAULT_BASE_URL = 'https://api.elevenlabs.io';

export type TokenType = 'word' | 'spacing' | 'audio_event';

/** One entry of `words[]`: a word, the spacing after it, or an audio event; times in float seconds. */
export interface ApiToken {
  text: string;
  type: TokenType;
  start?: number;
  end?: number;
  speaker_id?: string;
  /** ≤ 0; there is no confidence field. */
  logprob?: number;
}

export interface ApiTranscription {
  language_code?: string;
  language_probability?: number;
  text?: string;
  words: ApiToken[];
  transcription_id?: string;
  audio_duration_secs?: number;
}

export interface ScribeRequest {
  /** Local file sent as the multipart `file` part. */
  path: string;
  mediaType: string;
  modelId: string;
  diarize: boolean;
  numSpeakers?: number;
  diarizationThreshold?: number;
  languageCode?: string;
  tagAudioEvents: boolean;
}

export interface ScribeClientOptions extends Omit<FetchWithRetryOptions, 'service' | 'idempotent'> {
  apiKey: string;
  /** Server root; `/v1/speech-to-text` is appended. Default https://api.elevenlabs.io. */
  baseURL?: string;
}

export class ScribeClient {
  readonly endpoint: string;
  readonly #headers: Record<string, string>;
  readonly #retry: FetchWithRetryOptions;

  constructor({ apiKey, baseURL, ...retry }: ScribeClientOptions) {
    this.endpoint = `${serviceRoot(apiKey, baseURL, { keyVariable: KEY_VARIABLE, baseUrlVariable: BASE_URL_VARIABLE, defaultBaseUrl: DEFAULT_BASE_URL })}/v1/speech-to-text`;
    this.#headers = { 'xi-api-key': apiKey, accept: 'application/json', 'user-agent': 'spx-plugin-elevenlabs' };
    this.#retry = { ...retry, service: SERVICE, idempotent: false };
  }

  /** One billed transcription: the multipart upload, answered with the transcript. */
  async transcribe(request: ScribeRequest): Promise<ApiTranscription> {
    const form = new FormData();
    form.append('model_id', request.modelId);
    form.append('file', await openAsBlob(request.path, { type: request.mediaType }), basename(request.path));
    form.append('timestamps_granularity', 'word');
    form.append('diarize', String(request.diarize));
    form.append('tag_audio_events', String(request.tagAudioEvents));
    if (request.numSpeakers !== undefined) form.append('num_speakers', String(request.numSpeakers));
    if (request.diarizationThreshold !== undefined) form.append('diarization_threshold', String(request.diarizationThreshold));
    if (request.languageCode) form.append('language_code', request.languageCode);
    const response = await fetchWithRetry(this.endpoint, { method: 'POST', headers: this.#headers, body: form }, this.#retry);
    if (!response.ok) throw await refusal(response);
    return checkTranscription(await readJson<ApiTranscription>(response, SERVICE));
  }
}

const TOKEN_TYPES = new Set<string>(['word', 'spacing', 'audio_event']);

/** The answer is input: a words list of tokens with text, a known type and finite times. */
function checkTranscription(value: ApiTranscription): ApiTranscription {
  if (!value || typeof value !== 'object' || !Array.isArray(value.words)) throw badResponse('the answer holds no words list');
  for (const token of value.words) {
    // Word timestamps were asked for: words and events must carry them; spacing may not.
    const timed = (t: unknown) => (t === undefined && token.type === 'spacing') || (typeof t === 'number' && Number.isFinite(t));
    if (!token || typeof token.text !== 'string' || !TOKEN_TYPES.has(token.type) || !timed(token.start) || !timed(token.end)) throw badResponse('a token lacks text, a known type or finite times');
  }
  return value;
}

interface Detail {
  code?: string;
  message: string;
}

/** The four error body shapes as one code and message. */
export function readDetail(text: string): Detail {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { message: excerpt(text, 200) };
  }
  const detail = (body as { detail?: unknown })?.detail;
  if (typeof detail === 'string') return { message: excerpt(detail, 300) };
  if (Array.isArray(detail)) {
    const first = detail[0] as { loc?: unknown; msg?: unknown } | undefined;
    const where = Array.isArray(first?.loc) ? first.loc.filter((part) => part !== 'body').join('.') : '';
    return { code: 'validation_error', message: excerpt(`${where ? `${where}: ` : ''}${String(first?.msg ?? 'invalid request')}`, 300) };
  }
  const d = (detail ?? body ?? {}) as { code?: unknown; status?: unknown; message?: unknown; param?: unknown };
  const code = typeof d.code === 'string' ? d.code : typeof d.status === 'string' ? d.status : undefined;
  const message = typeof d.message === 'string' ? d.message : '';
  return { ...(code ? { code } : {}), message: excerpt(`${message}${typeof d.param === 'string' && d.param ? ` (param ${d.param})` : ''}`, 300) };
}

async function refusal(response: Response): Promise<SpxError> {
  const { code, message } = readDetail(await response.text().catch(() => ''));
  const said = [code, message].filter(Boolean).join(': ');
  if (code === 'quota_exceeded' || response.status === 402) {
    return new SpxError('API_ERROR', `${SERVICE} refused the transcription: the account's quota or credits are used up (HTTP ${response.status})${said ? `: ${said}` : ''}.`, {
      hint: 'Check the plan and credits of the ElevenLabs account, then run the same command again; finished work is kept.',
    });
  }
  const error = await apiError(new Response(JSON.stringify({ message: said }), { status: response.status }), SERVICE, KEY_VARIABLE);
  if (response.status !== 400 && response.status !== 422) return error;
  return new SpxError('API_ERROR', error.message, { hint: 'Fix the stage param the message names (model, numSpeakers, diarizationThreshold, languageCode), then run the same command again.' });
}

export function badResponse(what: string): SpxError {
  return new SpxError('API_BAD_RESPONSE', `${SERVICE} sent an unexpected answer: ${what}.`, {
    hint: 'This is a fault on the service side; run the same command again later (a new transcription is requested and billed).',
    retryable: true,
  });
}
