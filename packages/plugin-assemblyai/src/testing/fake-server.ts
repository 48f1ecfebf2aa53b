// A fake AssemblyAI v2 server on 127.0.0.1, following the API contract (package README): the
// raw key in Authorization (a "Bearer " prefix is refused, to catch client bugs), raw-byte
// uploads answered with an upload_url, transcript jobs validated like the API does (speech_models
// required, the singular field and retired models refused with the API's texts), a job state
// machine queued → processing → completed | error advanced by polls, a deterministic transcript
// from the uploaded audio, unknown ids answered 400 "Transcript lookup error" (or 404), and
// scripted faults (429 with Retry-After, 5xx, malformed bodies, dropped connections, delays).
// Not served, as spx does not call them: webhooks, list, sentences, paragraphs and subtitles.
import { randomUUID } from 'node:crypto';
import { FaultScript, Router, asJsonObject, parseJson, sendAnswer, serveFault, startFakeHttp, type Answer, type Exchange, type Fault, type FaultRule, type ReceivedRequest, type RouteParams } from '@spx/core/testing';
import { audioSeconds, cannedTranscript } from './speech.js';

/**
 * A scripted misbehaviour for the requests a FaultRule picks (`method`, a `path` prefix or RegExp,
 * from the `nth` match on, `times` in a row): an answer with `status` (default 503; a 429 with
 * `retryAfter` seconds) and the API's `{error}` body, another `body`, a `raw` one (truncated JSON),
 * a connection cut (`drop`), or a wait (`delayMs`) before the normal answer.
 */
export interface FakeFault extends FaultRule {
  status?: number;
  retryAfter?: number;
  body?: unknown;
  raw?: string;
  drop?: boolean;
  delayMs?: number;
}

export interface FakeAssemblyAIOptions {
  /** The accepted key (default "aai-test-key"). */
  apiKey?: string;
  /** Polls a job answers "queued", then "processing", before its end (default 1 and 1). */
  steps?: { queued?: number; processing?: number };
  /** A job's end decided at creation: an error text makes it end "error" with it. */
  outcome?: (job: FakeJobView) => string | undefined;
  /** Largest upload accepted, bytes (default 2.2 GB); bigger ones get `overLimitStatus` (default 413). */
  maxUploadBytes?: number;
  overLimitStatus?: number;
  /** Status for an unknown transcript id: 400 "Transcript lookup error" (default) or 404. */
  unknownIdStatus?: 400 | 404;
  /** Model names accepted (default universal-3-5-pro, universal-2). */
  models?: string[];
  /** Scripted faults; each counts every request it matches (`nth` is an index among those). */
  script?: FakeFault[];
  /** Called for every request once it is logged, before it is served (tests kill clients here). */
  onRequest?: (request: ReceivedRequest, fake: FakeAssemblyAI) => void;
}

export type FakeJobStatus = 'queued' | 'processing' | 'completed' | 'error';

export interface FakeJobView {
  id: string;
  status: FakeJobStatus;
  audioUrl: string;
  request: Record<string, unknown>;
  polls: number;
}

export interface FakeCounts {
  requests: number;
  unauthorized: number;
  faults: number;
  uploads: number;
  transcriptsCreated: number;
  polls: number;
}

export interface FakeAssemblyAI {
  /** http://127.0.0.1:PORT, for ASSEMBLYAI_BASE_URL. */
  readonly baseURL: string;
  readonly apiKey: string;
  readonly options: FakeAssemblyAIOptions;
  readonly counts: FakeCounts;
  readonly received: readonly ReceivedRequest[];
  jobs(): FakeJobView[];
  addFaults(...faults: FakeFault[]): void;
  close(): Promise<void>;
}

interface Job extends FakeJobView {
  result?: Record<string, unknown>;
  error?: string;
}

/** The models the 2026 API rejects, with its message. */
const RETIRED: Record<string, string> = {
  'universal-3-pro': 'The "universal-3-pro" speech model(s) have been deprecated. Use speech_models: ["universal-3-5-pro", "universal-2"] instead.',
  nano: 'The "nano" speech model is no longer available.',
  best: 'speech_models: "best" is no longer available. Use speech_models: ["universal-3-5-pro", "universal-2"] instead.',
  universal: 'speech_models: "universal" is no longer available. Use speech_models: ["universal-3-5-pro", "universal-2"] instead.',
  'slam-1': 'speech_models: "slam-1" is no longer available. Use speech_models: ["universal-3-5-pro", "universal-2"] instead.',
};
const BOOLEAN_FIELDS = ['speaker_labels', 'punctuate', 'format_text', 'language_detection'];
const ERROR_TEXT: Record<number, string> = { 400: 'Bad request', 401: 'Authentication error, API token missing/invalid', 403: 'Cannot access uploaded file', 404: 'Not found', 429: 'Too Many Requests', 500: 'Internal Server Error' };

type Reply = (status: number, json?: unknown, headers?: Record<string, string>) => void;
/** `body` is undefined when it is longer than the upload limit. */
type Route = (call: { body: Buffer | undefined; key: string; reply: Reply }, params: RouteParams) => Promise<void> | void;

export async function startFakeAssemblyAI(options: FakeAssemblyAIOptions = {}): Promise<FakeAssemblyAI> {
  const apiKey = options.apiKey ?? 'aai-test-key';
  const models = new Set(options.models ?? ['universal-3-5-pro', 'universal-2']);
  const limit = options.maxUploadBytes ?? 2_200_000_000;
  const script = new FaultScript<FakeFault>([...(options.script ?? [])], 'every-match');
  const uploads = new Map<string, { bytes: Buffer; key: string }>();
  const jobs: Job[] = [];
  const counts: FakeCounts = { requests: 0, unauthorized: 0, faults: 0, uploads: 0, transcriptsCreated: 0, polls: 0 };
  let origin = '';

  const upload: Route = ({ body: bytes, key, reply }) => {
    if (bytes === undefined) return reply(options.overLimitStatus ?? 413, { error: `File too large: the upload limit is ${limit} bytes.` });
    if (bytes.length === 0) return reply(400, { error: 'Upload body is empty.' });
    const id = randomUUID();
    uploads.set(`${origin}/upload/${id}`, { bytes, key });
    counts.uploads++;
    reply(200, { upload_url: `${origin}/upload/${id}` });
  };

  const create: Route = ({ body, key, reply }) => {
    const parsed = parseJson(body ?? Buffer.alloc(0));
    const json = asJsonObject(parsed.ok ? parsed.value : undefined);
    if (!json) return reply(400, { error: 'Request body must be a JSON object.' });
    const problem = validate(json, models);
    if (problem) return reply(400, { error: problem });
    const audioUrl = json.audio_url as string;
    const known = uploads.get(audioUrl);
    if (known && known.key !== key) return reply(403, { error: 'Cannot access uploaded file' });
    const job: Job = { id: randomUUID(), status: 'queued', audioUrl, request: json, polls: 0 };
    const scripted = options.outcome?.(view(job));
    if (scripted) job.error = scripted;
    jobs.push(job);
    counts.transcriptsCreated++;
    reply(200, transcriptBody(job));
  };

  const poll: Route = async ({ reply }, { id }) => {
    counts.polls++;
    const job = jobs.find((j) => j.id === decodeURIComponent(id!));
    if (!job) return options.unknownIdStatus === 404 ? reply(404, { error: 'Not found' }) : reply(400, { error: 'Transcript lookup error, transcript id not found' });
    job.polls++;
    const { queued = 1, processing = 1 } = options.steps ?? {};
    if (job.status === 'queued' && job.polls > queued) job.status = 'processing';
    if (job.status === 'processing' && job.polls > queued + processing) await finish(job, uploads.get(job.audioUrl)?.bytes);
    reply(200, transcriptBody(job));
  };

  const remove: Route = ({ reply }, { id }) => {
    const job = jobs.find((j) => j.id === decodeURIComponent(id!));
    if (!job) return reply(400, { error: 'Transcript lookup error, transcript id not found' });
    uploads.delete(job.audioUrl);
    job.status = 'completed';
    job.result = { text: 'Deleted by user.', words: null, utterances: null, confidence: null, audio_url: 'http://deleted_by_user', audio_duration: job.result?.audio_duration ?? null };
    reply(200, transcriptBody(job));
  };

  const routes = new Router<Route>().on('POST', '/v2/upload', upload).on('POST', '/v2/transcript', create).on('GET', '/v2/transcript/:id', poll).on('DELETE', '/v2/transcript/:id', remove);

  const handle = async (ex: Exchange): Promise<void> => {
    counts.requests++;
    options.onRequest?.(ex.entry, fake);
    const send = (answer: Answer) => sendAnswer(ex.res, { ...answer, declareLength: true });
    const reply: Reply = (status, json, headers) => send({ status, ...(json === undefined ? {} : { json }), ...(headers ? { headers } : {}) });
    // Read to the end first (past the limit only counted), so that every answer reaches the client.
    const body = await ex.bodyWithin(limit);
    const rule = script.take(ex.method, ex.path);
    if (rule) {
      counts.faults++;
      if (await serveFault(toFault(rule), ex.res, send)) return;
    }
    const key = ex.req.headers.authorization ?? '';
    if (key !== apiKey) {
      counts.unauthorized++;
      return reply(401, { error: ERROR_TEXT[401] });
    }
    const route = routes.match(ex.method, ex.path);
    if (!route) return reply(404, { error: 'Not found' });
    await route.handler({ body, key, reply }, route.params);
  };

  const http = await startFakeHttp({ handle, onError: (error, ex) => !ex.res.headersSent && sendAnswer(ex.res, { status: 500, declareLength: true, json: { error: `Server error, developers have been alerted. (${error instanceof Error ? error.message : String(error)})` } }) });
  origin = http.origin;
  const fake: FakeAssemblyAI = {
    baseURL: origin,
    apiKey,
    options,
    counts,
    received: http.received,
    jobs: () => jobs.map(view),
    addFaults: (...more) => script.add(...more),
    close: () => http.close(),
  };
  return fake;
}

/** The API's 400 for a create request it refuses, or undefined when it accepts it. */
function validate(json: Record<string, unknown>, models: Set<string>): string | undefined {
  if ('speech_model' in json) return 'speech_model is deprecated. Use "speech_models" instead. See documentation: https://www.assemblyai.com/docs/pre-recorded-audio/select-the-speech-model';
  if (typeof json.audio_url !== 'string' || !json.audio_url) return 'audio_url must be a string';
  const list = json.speech_models;
  if (!Array.isArray(list) || list.length === 0) return 'speech_models is required: you must include the speech_models parameter.';
  for (const model of list) {
    if (typeof model !== 'string') return 'speech_models must be a list of strings';
    if (RETIRED[model]) return RETIRED[model];
    if (!models.has(model)) return `"${model}" is not a valid speech model. Use one of: ${[...models].join(', ')}.`;
  }
  for (const field of BOOLEAN_FIELDS) if (field in json && typeof json[field] !== 'boolean') return `${field} must be a Boolean`;
  const expected = json.speakers_expected;
  if (expected !== undefined && expected !== null && (!Number.isInteger(expected) || (expected as number) < 1)) return 'speakers_expected must be a positive integer';
  return undefined;
}

/** Ends a job: its scripted error, a download or duration error, or the transcript of its audio. */
async function finish(job: Job, audio: Buffer | undefined): Promise<void> {
  if (!job.error && !audio) job.error = `Download error, unable to download ${job.audioUrl}. Please make sure the file exists and is accessible from the internet.`;
  const seconds = job.error || !audio ? undefined : await audioSeconds(audio);
  if (!job.error && seconds === undefined) job.error = 'File does not appear to contain audio. File type is application/octet-stream (data).';
  if (!job.error && seconds !== undefined && seconds < 0.16) job.error = 'Audio duration is too short.';
  if (job.error || seconds === undefined || !audio) {
    job.status = 'error';
    return;
  }
  const request = job.request;
  const labels = request.speaker_labels === true;
  const options = asJsonObject(request.speaker_options);
  const wanted = typeof request.speakers_expected === 'number' ? request.speakers_expected : typeof options?.max_speakers_expected === 'number' ? Math.min(2, options.max_speakers_expected) : 2;
  const { words, utterances } = cannedTranscript(seconds, audio, labels ? wanted : null);
  const list = request.speech_models as string[];
  job.result = {
    text: words.map((w) => w.text).join(' '),
    words,
    utterances,
    confidence: words.length ? words.reduce((sum, w) => sum + w.confidence, 0) / words.length : null,
    audio_duration: Math.round(seconds),
    language_code: typeof request.language_code === 'string' ? request.language_code : 'en',
    language_confidence: request.language_detection === true ? 0.99 : null,
    speech_model_used: list[0],
  };
  job.status = 'completed';
}

/** A Transcript object with every key the OpenAPI marks required. */
function transcriptBody(job: Job): Record<string, unknown> {
  const r = job.request;
  return {
    id: job.id,
    status: job.status,
    audio_url: job.audioUrl,
    speech_model: null,
    speech_models: r.speech_models,
    speech_model_used: null,
    language_model: 'assemblyai_default',
    acoustic_model: 'assemblyai_default',
    language_code: r.language_code ?? null,
    language_detection: r.language_detection ?? false,
    language_confidence: null,
    language_confidence_threshold: null,
    speaker_labels: r.speaker_labels ?? false,
    speakers_expected: r.speakers_expected ?? null,
    punctuate: r.punctuate ?? true,
    format_text: r.format_text ?? true,
    webhook_auth: false,
    auto_highlights: false,
    redact_pii: false,
    summarization: false,
    throttled: null,
    text: null,
    words: null,
    utterances: null,
    confidence: null,
    audio_duration: null,
    error: job.status === 'error' ? job.error : null,
    ...(job.status === 'completed' ? job.result : {}),
  };
}

function view(job: Job): FakeJobView {
  return { id: job.id, status: job.status, audioUrl: job.audioUrl, request: job.request, polls: job.polls };
}

function toFault(fault: FakeFault): Fault {
  if (fault.drop) return { kind: 'drop' };
  if (fault.delayMs !== undefined) return { kind: 'delay', ms: fault.delayMs };
  const status = fault.status ?? 503;
  const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
  if (fault.raw !== undefined) return { kind: 'answer', answer: { status, headers: { 'content-type': 'application/json', ...headers }, raw: fault.raw } };
  const json = fault.body ?? (ERROR_TEXT[status] ? { error: ERROR_TEXT[status] } : undefined);
  return { kind: 'answer', answer: { status, headers, ...(json === undefined ? {} : { json }) } };
}
