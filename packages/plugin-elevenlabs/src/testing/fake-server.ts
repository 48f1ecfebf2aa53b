// A fake ElevenLabs Speech-to-Text server on 127.0.0.1, following the API contract (package
// README): `xi-api-key` auth, the multipart `POST /v1/speech-to-text` validated like the API does
// (model_id required, exactly one audio source, diarization_threshold rules, num_speakers ≤ 32,
// keyterms only with scribe_v2, a size limit, audio under 100 ms refused), a synchronous answer
// derived from the audio (word, spacing and audio_event tokens, float seconds, logprob, speaker_N
// ids), stored transcripts (GET / DELETE by id), a concurrency limit answered 429 without
// Retry-After, and scripted faults in the API's `detail` error shapes. Webhook mode is not served:
// the stage does not use it.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultScript, Router, parseMultipart, pause, sendAnswer, serveFault, startFakeHttp, type Answer, type Fault, type FaultRule, type ReceivedRequest, type RouteParams } from '@spx/core/testing';
import { probeAudio } from '@spx/plugin-ffmpeg';
import { scribeTokens, type FakeToken } from './tokens.js';

/**
 * A misbehaviour for the requests its FaultRule part picks: a cut connection, a wait of `delayMs`
 * before serving normally, or an answer: `status` (default 503) with the API's `detail` body for
 * it (or `body`, or `raw` bytes), and `retryAfter` seconds when set.
 */
export type FakeFault = FaultRule & ({ drop: true } | { delayMs: number } | { status?: number; retryAfter?: number; body?: unknown; raw?: string });

export interface FakeElevenLabsOptions {
  /** The accepted key (default "el-test-key"). */
  apiKey?: string;
  /** Accepted model_id values (default scribe_v2, scribe_v1). */
  models?: string[];
  /** Largest file accepted, bytes (default 5 GB); larger ones are answered 413. */
  maxFileBytes?: number;
  /** Transcriptions at once before 429 concurrent_limit_exceeded (default 10). */
  maxConcurrent?: number;
  /** How long each transcription takes, ms (default 0). */
  latencyMs?: number;
  script?: FakeFault[];
  /** Called for every request once it is logged, before it is served. */
  onRequest?: (request: ReceivedRequest, fake: FakeElevenLabs) => void;
}

/** One transcription the fake answered (or refused), by the sha256 of the uploaded file. */
export interface FakeTranscriptionRecord {
  sha256: string;
  status: number;
  transcriptionId?: string;
  fields: Record<string, string>;
}

export interface FakeCounts {
  requests: number;
  unauthorized: number;
  faults: number;
  /** Answers 200 to POST /v1/speech-to-text: billed transcriptions. */
  transcriptions: number;
}

export interface FakeElevenLabs {
  /** http://127.0.0.1:PORT, for ELEVENLABS_BASE_URL. */
  readonly baseURL: string;
  readonly apiKey: string;
  readonly options: FakeElevenLabsOptions;
  readonly counts: FakeCounts;
  readonly received: readonly ReceivedRequest[];
  readonly transcriptions: readonly FakeTranscriptionRecord[];
  addFaults(...faults: FakeFault[]): void;
  close(): Promise<void>;
}

const requestId = () => randomBytes(16).toString('hex');

/** The current error shape: `{detail: {type, code, status, message, request_id, param?}}`. */
function detail(status: number, type: string, code: string, message: string, param?: string): Answer {
  return { status, json: { detail: { type, code, status: code, message, request_id: requestId(), ...(param ? { param } : {}) } } };
}

/** FastAPI's validation shape. */
function missingField(field: string): Answer {
  return { status: 422, json: { detail: [{ loc: ['body', field], msg: 'Field required', type: 'missing' }] } };
}

const FAULT_BODIES: Record<number, () => Answer> = {
  401: () => detail(401, 'authentication_error', 'invalid_api_key', 'Invalid API key'),
  429: () => detail(429, 'rate_limit_error', 'system_busy', 'The system is experiencing heavy traffic, please try again later.'),
  500: () => ({ status: 500, json: { detail: { status: 'internal_server_error', message: 'Internal Server error. All such crashes are reported to us automatically.' } } }),
  503: () => detail(503, 'service_unavailable', 'system_busy', 'The system is busy.'),
};

type Reply = (answer: Answer) => void;
type Route = (reply: Reply, params: RouteParams, body: Buffer, contentType: string) => Promise<void> | void;

export async function startFakeElevenLabs(options: FakeElevenLabsOptions = {}): Promise<FakeElevenLabs> {
  const apiKey = options.apiKey ?? 'el-test-key';
  const models = new Set(options.models ?? ['scribe_v2', 'scribe_v1']);
  const script = new FaultScript<FakeFault>([...(options.script ?? [])], 'every-match');
  const stored = new Map<string, unknown>();
  const transcriptions: FakeTranscriptionRecord[] = [];
  const counts: FakeCounts = { requests: 0, unauthorized: 0, faults: 0, transcriptions: 0 };
  const scratch = await mkdtemp(join(tmpdir(), 'spx-fake-elevenlabs-'));
  let running = 0;

  const transcribe: Route = async (reply, _params, body, contentType) => {
    const parsed = await parseMultipart(contentType, body);
    if (!parsed.ok) return reply({ status: 422, json: { detail: [{ loc: ['body'], msg: 'Expected multipart/form-data', type: 'value_error' }] } });
    const form = parsed.form;
    const fields: Record<string, string> = {};
    for (const [name, value] of form.entries()) if (typeof value === 'string') fields[name] = value;
    const file = form.get('file');
    const bytes = file && typeof file !== 'string' ? Buffer.from(await file.arrayBuffer()) : undefined;
    const record: FakeTranscriptionRecord = { sha256: bytes ? createHash('sha256').update(bytes).digest('hex') : '', status: 0, fields };
    transcriptions.push(record);
    const answer = (a: Answer) => {
      record.status = a.status;
      reply(a);
    };
    const refused = validate(fields, Boolean(bytes), models, form.getAll('keyterms').length > 0);
    if (refused) return answer(refused);
    if (bytes!.length > (options.maxFileBytes ?? 5_000_000_000)) return answer(detail(413, 'invalid_request', 'file_too_large', 'The uploaded file is too large.', 'file'));
    const seconds = await duration(bytes!, scratch, transcriptions.length);
    if (seconds === undefined) return answer(detail(400, 'invalid_request', 'invalid_audio', 'The file could not be decoded as audio.', 'file'));
    if (seconds < 0.1) return answer(detail(400, 'invalid_request', 'audio_too_short', 'The audio must be at least 100 ms long.', 'file'));
    if (running >= (options.maxConcurrent ?? 10)) return answer(detail(429, 'rate_limit_error', 'concurrent_limit_exceeded', 'Too many concurrent requests; wait for the running ones to finish.'));
    running++;
    try {
      if (options.latencyMs) await pause(options.latencyMs);
      const diarize = fields.diarize === 'true';
      const speakers = diarize ? Math.min(2, Number(fields.num_speakers ?? 2)) : 1;
      const tokens: FakeToken[] = scribeTokens(seconds, bytes!, { speakers, audioEvents: fields.tag_audio_events !== 'false' });
      const transcriptionId = `tr_${record.sha256.slice(0, 8)}${transcriptions.length}`;
      const result = {
        language_code: fields.language_code ?? 'eng',
        language_probability: 0.98,
        text: tokens.map((t) => t.text).join(''),
        words: tokens,
        transcription_id: transcriptionId,
        audio_duration_secs: Math.round(seconds * 1000) / 1000,
      };
      stored.set(transcriptionId, result);
      record.transcriptionId = transcriptionId;
      counts.transcriptions++;
      answer({ status: 200, json: result });
    } finally {
      running--;
    }
  };

  const routes = new Router<Route>()
    .on('POST', '/v1/speech-to-text', transcribe)
    .on('GET', '/v1/speech-to-text/transcripts/:id', (reply, { id }) => {
      const found = stored.get(decodeURIComponent(id!));
      reply(found ? { status: 200, json: found } : detail(404, 'not_found', 'not_found', 'Transcript not found.'));
    })
    .on('DELETE', '/v1/speech-to-text/transcripts/:id', (reply, { id }) => {
      reply(stored.delete(decodeURIComponent(id!)) ? { status: 200, json: {} } : detail(404, 'not_found', 'not_found', 'Transcript not found.'));
    });

  const http = await startFakeHttp({
    async handle(ex) {
      counts.requests++;
      options.onRequest?.(ex.entry, fake);
      const reply: Reply = (answer) => sendAnswer(ex.res, { ...answer, declareLength: true });
      const body = await ex.body();
      const rule = script.take(ex.method, ex.path);
      if (rule) {
        counts.faults++;
        if (await serveFault(toFault(rule), ex.res, reply)) return;
      }
      if (ex.req.headers['xi-api-key'] !== apiKey) {
        counts.unauthorized++;
        return reply(FAULT_BODIES[401]!());
      }
      const route = routes.match(ex.method, ex.path);
      if (!route) return reply({ status: 404, json: { detail: 'Not Found' } });
      await route.handler(reply, route.params, body, String(ex.req.headers['content-type'] ?? ''));
    },
  });
  const fake: FakeElevenLabs = {
    baseURL: http.origin,
    apiKey,
    options,
    counts,
    received: http.received,
    transcriptions,
    addFaults: (...more) => script.add(...more),
    close: async () => {
      await http.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
  return fake;
}

/** The API's refusal of a request's fields, or undefined when it takes them. */
function validate(fields: Record<string, string>, hasFile: boolean, models: Set<string>, keyterms: boolean): Answer | undefined {
  const model = fields.model_id;
  if (!model) return missingField('model_id');
  if (!models.has(model)) return { status: 422, json: { detail: [{ loc: ['body', 'model_id'], msg: `Input should be ${[...models].map((m) => `'${m}'`).join(' or ')}`, type: 'enum' }] } };
  const sources = [hasFile, Boolean(fields.source_url), Boolean(fields.cloud_storage_url)].filter(Boolean).length;
  if (sources !== 1) return detail(422, 'validation_error', 'invalid_parameters', 'Provide exactly one of file, source_url or cloud_storage_url.', 'file');
  if ((keyterms || fields.no_verbatim === 'true') && model !== 'scribe_v2') {
    return detail(400, 'validation_error', 'invalid_parameters', `The '${keyterms ? 'keyterms' : 'no_verbatim'}' parameter is only supported with the 'scribe_v2' model. You specified '${model}'.`, keyterms ? 'keyterms' : 'no_verbatim');
  }
  const speakers = fields.num_speakers;
  if (speakers !== undefined && !(Number.isInteger(Number(speakers)) && Number(speakers) >= 1 && Number(speakers) <= 32)) return detail(422, 'validation_error', 'invalid_parameters', 'num_speakers must be an integer from 1 to 32.', 'num_speakers');
  if (fields.diarization_threshold !== undefined && (fields.diarize !== 'true' || speakers !== undefined)) {
    return detail(422, 'validation_error', 'invalid_parameters', 'diarization_threshold can only be set when diarize is true and num_speakers is not set.', 'diarization_threshold');
  }
  return undefined;
}

/** Seconds of audio in an upload (ffprobe on a copy in the fake's scratch directory). */
async function duration(bytes: Buffer, scratch: string, n: number): Promise<number | undefined> {
  const copy = join(scratch, `upload-${n}`);
  await writeFile(copy, bytes);
  const seconds = await probeAudio(copy, { env: process.env }).then(
    (info) => info.duration,
    () => undefined,
  );
  await rm(copy, { force: true });
  return seconds;
}

function toFault(fault: FakeFault): Fault {
  if ('drop' in fault) return { kind: 'drop' };
  if ('delayMs' in fault) return { kind: 'delay', ms: fault.delayMs };
  const status = fault.status ?? 503;
  const retry: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
  if (fault.raw !== undefined) return { kind: 'answer', answer: { status, headers: { 'content-type': 'application/json', ...retry }, raw: fault.raw } };
  const base = fault.body !== undefined ? { status, json: fault.body } : (FAULT_BODIES[status]?.() ?? { status, json: { detail: { status: 'error', message: `HTTP ${status}` } } });
  return { kind: 'answer', answer: { ...base, status, headers: { ...base.headers, ...retry } } };
}
