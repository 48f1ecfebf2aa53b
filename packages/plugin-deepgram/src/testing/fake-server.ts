// A fake of Deepgram's POST /v1/listen on 127.0.0.1, following the API contract (see the
// package README): `Authorization: Token`, raw audio bodies, query options (model, diarize /
// diarize_model, punctuate / smart_format, utterances), the three error body shapes, 413 over
// the body limit, 504 past a processing cap, a concurrency limit answered with 429, and scripted
// faults (429 with or without Retry-After, 5xx, reset, slow, malformed 200). Transcripts come
// from the uploaded audio (speech/voice analysis), speakers numbered per request.
import { randomUUID } from 'node:crypto';
import { FaultScript, Router, pause, sendAnswer, serveFault, startFakeHttp, transportFault, type Answer, type Exchange, type Fault, type FaultRule, type ReceivedRequest, type TransportFault } from '@spx/core/testing';
import { hear, type HeardWord } from './speech.js';

/** One scripted misbehaviour, applied to one /v1/listen request. */
export type FakeFault =
  | { type: 'rate-limit'; retryAfter?: number }
  | { type: 'server-error'; status?: 500 | 502 | 503 }
  | { type: 'status'; status: number; body?: unknown }
  | TransportFault;

export interface FakeDeepgramOptions {
  /** Accepted key (default "dg-test-key"). */
  apiKey?: string;
  /** Faults for /v1/listen requests in arrival order; `null` entries answer normally. */
  script?: Array<FakeFault | null>;
  /** Delay before every answer, ms. */
  latencyMs?: number;
  /** Largest body, bytes (default 2 GB); larger gets 413. */
  maxBodyBytes?: number;
  /** Longest audio processed, seconds; longer is cancelled with 504 as past the processing cap (default none). */
  maxAudioSeconds?: number;
  /** Requests in flight at once; more get 429 at once (default 100). */
  concurrency?: number;
  /** Echo the presented key in error messages, as a proxy might; spx must show only the variable. */
  echoKey?: boolean;
}

export interface FakeListenRecord {
  /** HTTP status answered; -1 when the connection was cut. */
  status: number;
  query: Record<string, string[]>;
  bytes: number;
  sha256?: string;
  authorized: boolean;
  fault?: FakeFault['type'];
}

export interface FakeDeepgram {
  /** e.g. http://127.0.0.1:PORT — what DEEPGRAM_BASE_URL takes. */
  readonly baseURL: string;
  readonly apiKey: string;
  /** Every /v1/listen request, in arrival order. */
  readonly requests: FakeListenRecord[];
  readonly received: readonly ReceivedRequest[];
  /** 200 answers per uploaded sha256. */
  successesByHash(): Map<string, number>;
  successCount(): number;
  /** Adds faults after the remaining script. */
  addFaults(...faults: Array<FakeFault | null>): void;
  close(): Promise<void>;
}

export const FAKE_DEEPGRAM_KEY = 'dg-test-key';
const MODELS = new Set(['nova-3', 'nova-3-general', 'nova-3-medical', 'nova-2', 'nova-2-general', 'nova-2-meeting', 'nova-2-phonecall', 'nova', 'enhanced', 'base', 'base-general', 'whisper', 'whisper-large']);

export async function startFakeDeepgram(options: FakeDeepgramOptions = {}): Promise<FakeDeepgram> {
  const apiKey = options.apiKey ?? FAKE_DEEPGRAM_KEY;
  const maxBody = options.maxBodyBytes ?? 2 * 1024 ** 3;
  const script = new FaultScript<FaultRule & { fault: FakeFault | null }>((options.script ?? []).map((fault) => ({ fault })));
  const requests: FakeListenRecord[] = [];
  const successes = new Map<string, number>();
  let inFlight = 0;

  const listen = async (ex: Exchange, record: FakeListenRecord, reply: (answer: Answer) => void) => {
    const body = await ex.bodyWithin(maxBody);
    const query = new URL(ex.req.url ?? '/', 'http://fake').searchParams;
    for (const [key, value] of query) (record.query[key] ??= []).push(value);
    const requestId = randomUUID();
    const legacy = (status: number, code: string, message: string, headers: Record<string, string> = {}): Answer => ({ status, headers: { 'dg-request-id': requestId, ...headers }, json: { err_code: code, err_msg: options.echoKey ? `${message} (key ${presented(ex)})` : message, request_id: requestId } });
    if (!record.authorized) return reply(legacy(401, 'INVALID_AUTH', 'Invalid credentials.'));
    if (body === undefined) return reply(legacy(413, 'PAYLOAD_TOO_LARGE', `Payload size exceeds limit of ${maxBody} bytes.`));
    record.bytes = body.length;
    const scripted = script.take(ex.method, ex.path);
    if (scripted?.fault) {
      record.fault = scripted.fault.type;
      if (await serveFault(toFault(scripted.fault, requestId), ex.res, reply)) return;
    }
    if (inFlight > (options.concurrency ?? 100)) return reply(legacy(429, 'TOO_MANY_REQUESTS', 'Too many requests. Please try again later', { 'retry-after': '1' }));
    if (options.latencyMs) await pause(options.latencyMs, ex.res);
    if (ex.res.destroyed) return;
    const model = query.get('model') ?? 'base-general';
    if (!MODELS.has(model)) return reply(legacy(400, 'Bad Request', 'Bad Request: No such model/version combination found.'));
    const heard = hear(body);
    if (!heard.ok) return reply(legacy(400, 'Bad Request', `Bad Request: ${heard.reason}`));
    record.sha256 = heard.sha256;
    if (options.maxAudioSeconds !== undefined && heard.duration > options.maxAudioSeconds) return reply({ status: 504, headers: { 'content-type': 'text/plain' }, raw: 'Gateway Timeout' });
    reply({ status: 200, headers: { 'dg-request-id': requestId }, json: listenAnswer(heard.words, heard.duration, heard.sha256, requestId, model, query) });
    successes.set(heard.sha256, (successes.get(heard.sha256) ?? 0) + 1);
  };

  const router = new Router<typeof listen>().on('POST', '/v1/listen', listen);
  const http = await startFakeHttp({
    async handle(ex) {
      const record: FakeListenRecord = { status: 0, query: {}, bytes: 0, authorized: ex.req.headers.authorization === `Token ${apiKey}` };
      const reply = (answer: Answer) => {
        record.status = answer.status;
        sendAnswer(ex.res, answer);
      };
      const route = router.match(ex.method, ex.path);
      if (!route) return reply({ status: 404, headers: { 'content-type': 'text/plain' }, raw: `No route ${ex.method} ${ex.path}` });
      requests.push(record);
      inFlight++;
      try {
        await route.handler(ex, record, reply);
      } finally {
        inFlight--;
        // No answer sent: the connection was cut.
        if (record.status === 0) record.status = -1;
      }
    },
  });
  return {
    baseURL: http.origin,
    apiKey,
    requests,
    received: http.received,
    successesByHash: () => new Map(successes),
    successCount: () => [...successes.values()].reduce((a, b) => a + b, 0),
    addFaults: (...faults) => script.add(...faults.map((fault) => ({ fault }))),
    close: () => http.close(),
  };
}

function presented(ex: Exchange): string {
  return /^Token (.+)$/.exec(ex.req.headers.authorization ?? '')?.[1] ?? '';
}

const flag = (query: URLSearchParams, name: string) => query.get(name) === 'true';

/** The ListenV1Response for what was heard, shaped by the request's options. */
function listenAnswer(heard: HeardWord[], duration: number, sha256: string, requestId: string, model: string, query: URLSearchParams): unknown {
  const diarize = flag(query, 'diarize') || query.has('diarize_model');
  const punctuate = flag(query, 'punctuate') || flag(query, 'smart_format');
  const words = heard.map((w) => ({ word: w.word, start: w.start, end: w.end, confidence: w.confidence, ...(diarize ? { speaker: w.speaker, speaker_confidence: 0.7 } : {}), ...(punctuate ? { punctuated_word: w.punctuated } : {}) }));
  const text = (list: typeof words) => list.map((w) => w.punctuated_word ?? w.word).join(' ');
  const utterances: unknown[] = [];
  if (flag(query, 'utterances')) {
    let run: typeof words = [];
    const flush = () => {
      if (run.length === 0) return;
      utterances.push({ start: run[0]!.start, end: run[run.length - 1]!.end, confidence: 0.95, channel: 0, transcript: text(run), ...(diarize ? { speaker: run[0]!.speaker } : {}), id: randomUUID(), words: run });
      run = [];
    };
    for (const word of words) {
      const last = run[run.length - 1];
      if (last && (last.speaker !== word.speaker || word.start - last.end > Number(query.get('utt_split') ?? 0.8))) flush();
      run.push(word);
    }
    flush();
  }
  const modelId = randomUUID();
  return {
    metadata: { transaction_key: 'deprecated', request_id: requestId, sha256, created: new Date().toISOString(), duration, channels: 1, models: [modelId], model_info: { [modelId]: { name: model, version: '2026-07-01', arch: model } }, ...extra(query) },
    results: {
      channels: [{ alternatives: [{ transcript: text(words), confidence: 0.97, words }] }],
      ...(flag(query, 'utterances') ? { utterances } : {}),
    },
  };
}

function extra(query: URLSearchParams): Record<string, unknown> {
  const pairs = query.getAll('extra').map((e) => e.split(':')).filter((p) => p.length >= 2);
  return pairs.length ? { extra: Object.fromEntries(pairs.map(([k, ...v]) => [k, v.join(':')])) } : {};
}

function toFault(fault: FakeFault, requestId: string): Fault {
  switch (fault.type) {
    case 'rate-limit':
      return { kind: 'answer', answer: { status: 429, headers: fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) }, json: { err_code: 'TOO_MANY_REQUESTS', err_msg: 'Too many requests. Please try again later', request_id: requestId } } };
    case 'server-error': {
      const status = fault.status ?? 500;
      if (status === 503) return { kind: 'answer', answer: { status, json: { error_code: 'Service Unavailable', err_msg: 'Please try again later', request_id: requestId } } };
      if (status === 502) return { kind: 'answer', answer: { status, headers: { 'content-type': 'text/html' }, raw: '<html><body><h1>502 Bad Gateway</h1></body></html>' } };
      return { kind: 'answer', answer: { status, headers: { 'content-type': 'text/plain' }, raw: 'Internal Server Error' } };
    }
    case 'status':
      return { kind: 'answer', answer: { status: fault.status, json: fault.body ?? { category: 'INVALID_QUERY_PARAMETER', message: `Scripted failure ${fault.status}.`, details: 'scripted', request_id: requestId } } };
    default:
      return transportFault(fault, '{"metadata": {"request_id": "trunc');
  }
}
