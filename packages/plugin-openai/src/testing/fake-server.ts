// A fake of POST /v1/audio/transcriptions on 127.0.0.1, following
// /work/shared/specs/openai-audio.md: real multipart parsing, per-model response formats,
// 401 for a wrong key, 404 for unknown models, 413 over 25 MiB, and scriptable faults
// (429 with or without retry-after, 5xx sequences, connection resets, slow and malformed
// answers). Transcripts are deterministic: words are spread over the real duration read
// from the uploaded file's header, so tests can check timestamps, offsets and stitching.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname } from 'node:path';
import { audioDuration } from './audio-duration.js';

/** One scripted misbehaviour, applied to a single request. */
export type FakeFault =
  | { type: 'rate-limit'; retryAfter?: number; retryAfterMs?: number; code?: 'rate_limit_exceeded' | 'insufficient_quota' }
  | { type: 'server-error'; status?: 500 | 502 | 503 | 504; shouldRetry?: boolean }
  | { type: 'status'; status: number; message?: string; errorType?: string; code?: string | null; param?: string | null }
  /** Destroys the socket without an answer. */
  | { type: 'reset' }
  /** Answers normally after `delayMs` (beyond the client's timeout it looks like a hang). */
  | { type: 'slow'; delayMs: number }
  /** 200 with content-type application/json and a body that is not JSON. */
  | { type: 'malformed' };

/** Shorthands for scripts: `script: [faults.rateLimit(0), faults.serverError(503), null]`. */
export const faults = {
  rateLimit: (retryAfter?: number): FakeFault => ({ type: 'rate-limit', ...(retryAfter === undefined ? {} : { retryAfter }) }),
  quota: (): FakeFault => ({ type: 'rate-limit', code: 'insufficient_quota' }),
  serverError: (status: 500 | 502 | 503 | 504 = 500): FakeFault => ({ type: 'server-error', status }),
  status: (status: number, message?: string): FakeFault => ({ type: 'status', status, ...(message ? { message } : {}) }),
  reset: (): FakeFault => ({ type: 'reset' }),
  slow: (delayMs: number): FakeFault => ({ type: 'slow', delayMs }),
  malformed: (): FakeFault => ({ type: 'malformed' }),
} as const;

/** What the fault chooser sees about the request at hand. */
export interface FakeRequestInfo {
  /** 0-based count of transcription requests received so far (this one excluded). */
  attempt: number;
  /** Successful (200) transcription answers sent so far. */
  successes: number;
  model: string;
  sha256: string;
  filename: string;
  fileBytes: number;
  fields: Record<string, string[]>;
}

export interface FakeRequestLog {
  method: string;
  path: string;
  model?: string;
  filename?: string;
  fileBytes?: number;
  sha256?: string;
  /** HTTP status sent; 0 when the connection was reset. */
  status: number;
  fault?: FakeFault['type'];
  /** Text form fields (file excluded); arrays under their `name[]` key. */
  fields: Record<string, string[]>;
  /** Value of x-stainless-retry-count, when the client sent one. */
  retryCount?: number;
  /** Duration the fake measured for the upload, seconds. */
  duration?: number;
}

export interface FakeOpenAIOptions {
  /** Faults applied to transcription requests in arrival order; `null` entries answer normally. */
  script?: Array<FakeFault | null>;
  /** Consulted once the script is used up; return a fault or nothing. */
  fault?: (request: FakeRequestInfo) => FakeFault | null | undefined;
  /** Fixed delay before every answer, ms. */
  latencyMs?: number;
  /** The accepted key (default "sk-fake-key"); anything else gets 401. */
  apiKey?: string;
  /** Extra model names to accept besides the ones in the spec. */
  models?: string[];
  /** Accept any model name (an OpenAI-compatible server that ignores it). */
  acceptAnyModel?: boolean;
  /** Upload limit in bytes (default 26,214,400 = 25 MiB); larger bodies get 413. */
  maxBodyBytes?: number;
  /** Words per second in generated transcripts (default 2.5). */
  wordsPerSecond?: number;
  /** Duration assumed when the file's header cannot be read, seconds (default 5). */
  fallbackDuration?: number;
  /** Fixed text per upload, e.g. keyed by sha256; words are spread over the duration. */
  transcriptFor?: (info: { sha256: string; duration: number; filename: string; model: string }) => string;
  /** Called after each transcription request is answered (or reset). */
  onRequest?: (entry: FakeRequestLog) => void;
  /**
   * Echo the key the request presented, in full, in every error message (a 401 names it
   * unmasked; other errors add it), as some compatible servers and proxies do. spx must show
   * the variable's name instead.
   */
  echoKey?: boolean;
}

export interface FakeOpenAI {
  /** e.g. http://127.0.0.1:PORT/v1 — what OPENAI_BASE_URL / baseURL take. */
  baseURL: string;
  apiKey: string;
  /** Every request, in arrival order. */
  requests: FakeRequestLog[];
  /** 200 answers per uploaded file sha256. */
  successesByHash(): Map<string, number>;
  /** Number of 200 transcription answers. */
  successCount(): number;
  /** Replaces the remaining script and/or the fault chooser. */
  setFaults(options: { script?: Array<FakeFault | null>; fault?: FakeOpenAIOptions['fault'] | null }): void;
  close(): Promise<void>;
}

export const FAKE_API_KEY = 'sk-fake-key';
export const UPLOAD_LIMIT_BYTES = 26_214_400;
const KNOWN_MODELS = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'gpt-4o-mini-transcribe-2025-12-15', 'gpt-4o-transcribe-diarize', 'gpt-transcribe'];
const EXTENSIONS = new Set(['flac', 'mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'ogg', 'oga', 'wav', 'webm']);
const LANGUAGES: Record<string, string> = { en: 'english', de: 'german', fr: 'french', es: 'spanish', it: 'italian', nl: 'dutch', pt: 'portuguese', ja: 'japanese' };
const VOCABULARY = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(' ');

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorType: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const apiKey = options.apiKey ?? FAKE_API_KEY;
  const maxBody = options.maxBodyBytes ?? UPLOAD_LIMIT_BYTES;
  const models = new Set([...KNOWN_MODELS, ...(options.models ?? [])]);
  const requests: FakeRequestLog[] = [];
  const successes = new Map<string, number>();
  let script = [...(options.script ?? [])];
  let chooser = options.fault;
  let attempts = 0;
  let okCount = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('x-request-id', `req_${randomBytes(12).toString('hex')}`);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const entry: FakeRequestLog = { method: req.method ?? 'GET', path: url.pathname, status: 0, fields: {} };
    requests.push(entry);
    const retryHeader = req.headers['x-stainless-retry-count'];
    if (typeof retryHeader === 'string') entry.retryCount = Number(retryHeader);
    const send = (status: number, body: string, contentType: string, headers: Record<string, string> = {}) => {
      entry.status = status;
      if (!res.headersSent) res.writeHead(status, { 'content-type': contentType, ...headers });
      res.end(body);
    };
    const presented = bearer(req);
    const sendError = (failure: HttpFailure, headers: Record<string, string> = {}) => {
      const echo = options.echoKey && presented && !failure.message.includes(presented) ? ` (request made with API key ${presented})` : '';
      send(failure.status, JSON.stringify({ error: { message: `${failure.message}${echo}`, type: failure.errorType, param: failure.param, code: failure.code } }), 'application/json', headers);
    };
    try {
      if (req.method === 'GET' && url.pathname === '/v1/models') {
        await drain(req);
        checkAuth(req, apiKey, options.echoKey);
        return send(200, JSON.stringify({ object: 'list', data: [...models].map((id) => ({ id, object: 'model', owned_by: 'system' })) }), 'application/json');
      }
      if (req.method !== 'POST' || url.pathname !== '/v1/audio/transcriptions') {
        await drain(req);
        throw new HttpFailure(404, `Invalid URL (${req.method} ${url.pathname})`, 'invalid_request_error');
      }
      const body = await readBody(req, maxBody);
      if (body === 'too-large') {
        throw new HttpFailure(413, `Maximum content size limit (${maxBody}) exceeded (${Number(req.headers['content-length'] ?? 0) || maxBody + 1} bytes read)`, 'server_error');
      }
      checkAuth(req, apiKey, options.echoKey);
      const form = await parseForm(req, body);
      const file = form.get('file');
      const fields: Record<string, string[]> = {};
      for (const [name, value] of form.entries()) if (typeof value === 'string') (fields[name] ??= []).push(value);
      entry.fields = fields;
      if (!(file instanceof Blob)) throw new HttpFailure(400, "Missing required parameter: 'file'.", 'invalid_request_error', null, 'file');
      const filename = (file as File).name ?? '';
      const bytes = new Uint8Array(await file.arrayBuffer());
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const model = first(fields, 'model');
      Object.assign(entry, { filename, fileBytes: bytes.byteLength, sha256, model });
      if (!model) throw new HttpFailure(400, "Missing required parameter: 'model'.", 'invalid_request_error', null, 'model');

      const info: FakeRequestInfo = { attempt: attempts++, successes: okCount, model, sha256, filename, fileBytes: bytes.byteLength, fields };
      const fault = script.length > 0 ? script.shift() : chooser?.(info);
      if (fault) entry.fault = fault.type;
      if (options.latencyMs) await delay(options.latencyMs, res);
      if (fault?.type === 'slow') await delay(fault.delayMs, res);
      if (res.destroyed) return;
      if (fault) {
        const handled = applyFault(fault, res, sendError, send);
        if (handled) return;
      }

      if (!models.has(model) && !options.acceptAnyModel) {
        throw new HttpFailure(404, `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found', 'model');
      }
      const ext = extname(filename).slice(1).toLowerCase();
      if (!EXTENSIONS.has(ext)) {
        throw new HttpFailure(400, `Invalid file format. Supported formats: ${JSON.stringify([...EXTENSIONS])}`, 'invalid_request_error', null, 'file');
      }
      const format = first(fields, 'response_format') ?? 'json';
      validateCombination(model, format, fields);
      const duration = audioDuration(bytes) ?? options.fallbackDuration ?? 5;
      entry.duration = duration;
      const text = options.transcriptFor?.({ sha256, duration, filename, model }) ?? generatedText(sha256, duration, options.wordsPerSecond ?? 2.5);
      const language = first(fields, 'language') ?? 'en';
      const answer = respond({ model, format, fields, duration, text, language, diarize: model.includes('diarize') });
      send(200, answer.body, answer.contentType);
      okCount++;
      successes.set(sha256, (successes.get(sha256) ?? 0) + 1);
    } catch (error) {
      if (error instanceof HttpFailure) sendError(error);
      else if (!res.headersSent) send(500, JSON.stringify({ error: { message: `Fake server failure: ${String(error)}`, type: 'server_error', param: null, code: null } }), 'application/json');
    } finally {
      options.onRequest?.(entry);
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    successesByHash: () => new Map(successes),
    successCount: () => okCount,
    setFaults(update) {
      if (update.script) script = [...update.script];
      if (update.fault !== undefined) chooser = update.fault ?? undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function applyFault(
  fault: FakeFault,
  res: ServerResponse,
  sendError: (failure: HttpFailure, headers?: Record<string, string>) => void,
  send: (status: number, body: string, contentType: string) => void,
): boolean {
  switch (fault.type) {
    case 'rate-limit': {
      const headers: Record<string, string> = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      const quota = fault.code === 'insufficient_quota';
      const message = quota ? 'You exceeded your current quota, please check your plan and billing details.' : 'Rate limit reached for requests. Please try again later.';
      sendError(new HttpFailure(429, message, quota ? 'insufficient_quota' : 'requests', fault.code ?? 'rate_limit_exceeded'), headers);
      return true;
    }
    case 'server-error': {
      const headers: Record<string, string> = fault.shouldRetry === undefined ? {} : { 'x-should-retry': String(fault.shouldRetry) };
      sendError(new HttpFailure(fault.status ?? 500, 'The server had an error while processing your request. Sorry about that!', 'server_error'), headers);
      return true;
    }
    case 'status':
      sendError(new HttpFailure(fault.status, fault.message ?? `Scripted failure ${fault.status}.`, fault.errorType ?? 'invalid_request_error', fault.code ?? null, fault.param ?? null));
      return true;
    case 'reset':
      res.socket?.destroy();
      return true;
    case 'malformed':
      send(200, '{"text": "truncated', 'application/json');
      return true;
    case 'slow':
      return false;
  }
}

function bearer(req: IncomingMessage): string {
  const header = req.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : '';
}

function checkAuth(req: IncomingMessage, apiKey: string, echoKey = false): void {
  const given = bearer(req);
  if (given !== apiKey) {
    // Like the real service, show only the ends of the key (unless told to echo it).
    const shown = echoKey ? given : given.length > 8 ? `${given.slice(0, 3)}****${given.slice(-4)}` : '****';
    throw new HttpFailure(401, `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key');
  }
}

function validateCombination(model: string, format: string, fields: Record<string, string[]>): void {
  const bad = (message: string, param: string) => new HttpFailure(400, message, 'invalid_request_error', null, param);
  const granularities = fields['timestamp_granularities[]'] ?? fields.timestamp_granularities ?? [];
  if (!['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json'].includes(format)) throw bad(`Invalid response_format '${format}'.`, 'response_format');
  if (granularities.length > 0 && format !== 'verbose_json') throw bad('timestamp_granularities requires response_format=verbose_json.', 'timestamp_granularities');
  if (model.includes('diarize')) {
    if (fields.prompt) throw bad(`prompt is not supported with model ${model}.`, 'prompt');
    if (!['json', 'text', 'diarized_json'].includes(format)) throw bad(`response_format '${format}' is not compatible with model ${model}.`, 'response_format');
  } else if (model.startsWith('gpt-')) {
    if (format !== 'json') throw bad(`response_format '${format}' is not compatible with model ${model}. Use 'json'.`, 'response_format');
  } else if (format === 'diarized_json') {
    throw bad(`response_format 'diarized_json' is only supported with gpt-4o-transcribe-diarize.`, 'response_format');
  }
}

interface Answer {
  body: string;
  contentType: string;
}

function respond(request: { model: string; format: string; fields: Record<string, string[]>; duration: number; text: string; language: string; diarize: boolean }): Answer {
  const { format, duration, text } = request;
  const tokens = text.split(/\s+/).filter(Boolean);
  const words = spread(tokens, duration);
  const segments = group(words);
  const round = (value: number) => Math.round(value * 100) / 100;
  const usage = request.model === 'whisper-1' ? { type: 'duration', seconds: Math.ceil(duration) } : { type: 'tokens', input_tokens: Math.ceil(duration * 10), output_tokens: tokens.length, total_tokens: Math.ceil(duration * 10) + tokens.length };
  const json = (value: unknown): Answer => ({ body: JSON.stringify(value), contentType: 'application/json' });
  const plain = (value: string): Answer => ({ body: value, contentType: 'text/plain; charset=utf-8' });
  switch (format) {
    case 'text':
      return plain(`${text}\n`);
    case 'srt':
    case 'vtt':
      return plain(subtitles(segments, format));
    case 'verbose_json': {
      const granularities = request.fields['timestamp_granularities[]'] ?? request.fields.timestamp_granularities ?? ['segment'];
      return json({
        task: 'transcribe',
        language: LANGUAGES[request.language] ?? request.language,
        duration: round(duration),
        text,
        ...(granularities.includes('segment') ? { segments: segments.map((s, id) => ({ id, seek: 0, start: round(s.start), end: round(s.end), text: ` ${s.text}`, tokens: [], temperature: 0, avg_logprob: -0.2, compression_ratio: 1.2, no_speech_prob: 0.01 })) } : {}),
        ...(granularities.includes('word') ? { words: words.map((w) => ({ word: w.text.replace(/[.,]$/, ''), start: round(w.start), end: round(w.end) })) } : {}),
        usage,
      });
    }
    case 'diarized_json':
      return json({
        task: 'transcribe',
        duration: round(duration),
        text,
        segments: segments.map((s, id) => ({ type: 'transcript.text.segment', id: `seg_${String(id + 1).padStart(3, '0')}`, start: round(s.start), end: round(s.end), text: s.text, speaker: id % 2 === 0 ? 'A' : 'B' })),
        usage,
      });
    default:
      return json({ text, usage });
  }
}

interface Timed {
  text: string;
  start: number;
  end: number;
}

/** Even slots over the duration; each word fills 80 % of its slot. */
function spread(tokens: string[], duration: number): Timed[] {
  const slot = tokens.length > 0 ? duration / tokens.length : 0;
  return tokens.map((text, i) => ({ text, start: i * slot, end: i * slot + slot * 0.8 }));
}

/** Sentences of up to 8 words become segments. */
function group(words: Timed[]): Timed[] {
  const out: Timed[] = [];
  for (let i = 0; i < words.length; i += 8) {
    const part = words.slice(i, i + 8);
    out.push({ text: part.map((w) => w.text).join(' '), start: part[0]!.start, end: part[part.length - 1]!.end });
  }
  return out;
}

function generatedText(sha256: string, duration: number, wordsPerSecond: number): string {
  const count = Math.max(1, Math.round(duration * wordsPerSecond));
  const seed = Buffer.from(sha256, 'hex');
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    let word = VOCABULARY[(seed[i % seed.length]! + i * 7) % VOCABULARY.length]!;
    if (i % 8 === 0) word = word[0]!.toUpperCase() + word.slice(1);
    if (i % 8 === 7 || i === count - 1) word += '.';
    words.push(word);
  }
  return words.join(' ');
}

function subtitles(segments: Timed[], kind: 'srt' | 'vtt'): string {
  const stamp = (t: number) => {
    const ms = Math.round(t * 1000);
    const h = String(Math.floor(ms / 3_600_000)).padStart(2, '0');
    const m = String(Math.floor(ms / 60_000) % 60).padStart(2, '0');
    const s = String(Math.floor(ms / 1000) % 60).padStart(2, '0');
    return `${h}:${m}:${s}${kind === 'srt' ? ',' : '.'}${String(ms % 1000).padStart(3, '0')}`;
  };
  const cues = segments.map((s, i) => `${kind === 'srt' ? `${i + 1}\n` : ''}${stamp(s.start)} --> ${stamp(s.end)}\n${s.text}\n`);
  return `${kind === 'vtt' ? 'WEBVTT\n\n' : ''}${cues.join('\n')}`;
}

function first(fields: Record<string, string[]>, name: string): string | undefined {
  return fields[name]?.[0];
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _ of req) void _;
}

/** Reads the body; past the limit keeps draining (so the client sees the 413) and reports it. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = Number.isFinite(declared) && declared > limit;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? 'too-large' : Buffer.concat(chunks);
}

async function parseForm(req: IncomingMessage, body: Buffer): Promise<FormData> {
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.startsWith('multipart/form-data')) {
    throw new HttpFailure(400, 'Expected a multipart/form-data body.', 'invalid_request_error');
  }
  try {
    return await new Request('http://127.0.0.1/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) }).formData();
  } catch {
    throw new HttpFailure(400, 'Could not parse multipart form.', 'invalid_request_error');
  }
}

/** Waits, ending early if the client went away. */
function delay(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    }
    res.once('close', done);
  });
}
