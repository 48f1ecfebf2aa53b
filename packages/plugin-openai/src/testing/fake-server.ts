// A fake of POST /v1/audio/transcriptions on 127.0.0.1, following
// /work/shared/specs/openai-audio.md: real multipart parsing, per-model response formats,
// 401 for a wrong key, 404 for unknown models, 413 over 25 MiB, and scriptable faults
// (429 with or without retry-after, 5xx sequences, connection resets, slow and malformed
// answers). Transcripts are deterministic: words are spread over the real duration read
// from the uploaded file's header, so tests can check timestamps, offsets and stitching.
import { createHash, randomBytes } from 'node:crypto';
import { extname } from 'node:path';
import { FaultScript, Router, audioDuration, parseMultipart, pause, sendAnswer, serveFault, startFakeHttp, type Answer, type Exchange, type FaultRule, type ReceivedRequest } from '@spx/core/testing';
import { bearer, checkAuth, HttpFailure, validateCombination, withKeyEchoed } from './failures.js';
import { toFault, type FakeFault } from './faults.js';
import { generatedText, renderTranscript } from './transcript.js';

export { faults, type FakeFault } from './faults.js';

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
  /** Models answered as retired: 404 model_not_found, as after OpenAI's shutdown date. */
  retiredModels?: string[];
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
  /** Every request as it arrived: headers (the key included) and body bytes. */
  received: readonly ReceivedRequest[];
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

/** One request on its way through the fake: what routes read and write. */
interface Call {
  ex: Exchange;
  entry: FakeRequestLog;
  body: Buffer | undefined;
  reply(answer: Answer): void;
}

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const apiKey = options.apiKey ?? FAKE_API_KEY;
  const maxBody = options.maxBodyBytes ?? UPLOAD_LIMIT_BYTES;
  const models = new Set([...KNOWN_MODELS, ...(options.models ?? [])]);
  const requests: FakeRequestLog[] = [];
  const successes = new Map<string, number>();
  // An ordered script: each transcription request takes the next entry (`null`: no fault).
  const script = new FaultScript<FaultRule & { fault: FakeFault | null }>();
  const setScript = (faults: Array<FakeFault | null>) => script.replace(faults.map((fault) => ({ fault })));
  setScript(options.script ?? []);
  let chooser = options.fault;
  let attempts = 0;
  let okCount = 0;

  const listModels = ({ ex, reply }: Call) => {
    checkAuth(bearer(ex.req.headers.authorization), apiKey, options.echoKey);
    reply({ status: 200, json: { object: 'list', data: [...models].map((id) => ({ id, object: 'model', owned_by: 'system' })) } });
  };

  const transcribe = async ({ ex, entry, body, reply }: Call) => {
    if (body === undefined) {
      throw new HttpFailure(413, `Maximum content size limit (${maxBody}) exceeded (${Number(ex.req.headers['content-length'] ?? 0) || maxBody + 1} bytes read)`, 'server_error');
    }
    checkAuth(bearer(ex.req.headers.authorization), apiKey, options.echoKey);
    const form = await parseForm(ex.req.headers['content-type'] ?? '', body);
    const file = form.get('file');
    const fields: Record<string, string[]> = {};
    for (const [name, value] of form.entries()) if (typeof value === 'string') (fields[name] ??= []).push(value);
    entry.fields = fields;
    if (!(file instanceof Blob)) throw new HttpFailure(400, "Missing required parameter: 'file'.", 'invalid_request_error', null, 'file');
    const filename = (file as File).name ?? '';
    const bytes = new Uint8Array(await file.arrayBuffer());
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const model = fields.model?.[0];
    Object.assign(entry, { filename, fileBytes: bytes.byteLength, sha256, model });
    if (!model) throw new HttpFailure(400, "Missing required parameter: 'model'.", 'invalid_request_error', null, 'model');

    const info: FakeRequestInfo = { attempt: attempts++, successes: okCount, model, sha256, filename, fileBytes: bytes.byteLength, fields };
    const scripted = script.take(ex.method, ex.path);
    const fault = scripted ? scripted.fault : chooser?.(info);
    if (fault) entry.fault = fault.type;
    if (options.latencyMs) await pause(options.latencyMs, ex.res);
    if (ex.res.destroyed) return;
    if (fault && (await serveFault(toFault(fault), ex.res, reply))) return;

    if (options.retiredModels?.includes(model)) {
      throw new HttpFailure(404, `The model \`${model}\` has been deprecated and is no longer available.`, 'invalid_request_error', 'model_not_found', 'model');
    }
    if (!models.has(model) && !options.acceptAnyModel) {
      throw new HttpFailure(404, `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found', 'model');
    }
    const ext = extname(filename).slice(1).toLowerCase();
    if (!EXTENSIONS.has(ext)) {
      throw new HttpFailure(400, `Invalid file format. Supported formats: ${JSON.stringify([...EXTENSIONS])}`, 'invalid_request_error', null, 'file');
    }
    const format = fields.response_format?.[0] ?? 'json';
    validateCombination(model, format, fields);
    const duration = audioDuration(bytes) ?? options.fallbackDuration ?? 5;
    entry.duration = duration;
    const text = options.transcriptFor?.({ sha256, duration, filename, model }) ?? generatedText(sha256, duration, options.wordsPerSecond ?? 2.5);
    const language = fields.language?.[0] ?? 'en';
    reply(renderTranscript({ model, format, fields, duration, text, language, diarize: model.includes('diarize') }));
    okCount++;
    successes.set(sha256, (successes.get(sha256) ?? 0) + 1);
  };

  const router = new Router<(call: Call) => Promise<void> | void>().on('GET', '/v1/models', listModels).on('POST', '/v1/audio/transcriptions', transcribe);

  const handle = async (ex: Exchange) => {
    ex.res.setHeader('x-request-id', `req_${randomBytes(12).toString('hex')}`);
    const entry: FakeRequestLog = { method: ex.method, path: ex.path, status: 0, fields: {} };
    requests.push(entry);
    const retryHeader = ex.req.headers['x-stainless-retry-count'];
    if (typeof retryHeader === 'string') entry.retryCount = Number(retryHeader);
    const presented = bearer(ex.req.headers.authorization);
    const reply = (answer: Answer) => {
      entry.status = answer.status;
      sendAnswer(ex.res, options.echoKey && presented ? withKeyEchoed(answer, presented) : answer);
    };
    try {
      // Read first: past the limit the body is drained, so the client reads the 413.
      const body = await ex.bodyWithin(maxBody);
      const route = router.match(ex.method, ex.path);
      if (!route) throw new HttpFailure(404, `Invalid URL (${ex.method} ${ex.path})`, 'invalid_request_error');
      await route.handler({ ex, entry, body, reply });
    } catch (error) {
      if (error instanceof HttpFailure) reply(error.answer());
      else if (!ex.res.headersSent) {
        entry.status = 500;
        sendAnswer(ex.res, { status: 500, json: { error: { message: `Fake server failure: ${String(error)}`, type: 'server_error', param: null, code: null } } });
      }
    } finally {
      options.onRequest?.(entry);
    }
  };

  const http = await startFakeHttp({ handle });
  return {
    baseURL: `${http.origin}/v1`,
    apiKey,
    requests,
    received: http.received,
    successesByHash: () => new Map(successes),
    successCount: () => okCount,
    setFaults(update) {
      if (update.script) setScript(update.script);
      if (update.fault !== undefined) chooser = update.fault ?? undefined;
    },
    close: () => http.close(),
  };
}

async function parseForm(contentType: string, body: Buffer): Promise<FormData> {
  const read = await parseMultipart(contentType, body);
  if (read.ok) return read.form;
  throw new HttpFailure(400, read.problem === 'not-multipart' ? 'Expected a multipart/form-data body.' : 'Could not parse multipart form.', 'invalid_request_error');
}
