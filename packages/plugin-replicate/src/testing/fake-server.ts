// A fake Replicate API on 127.0.0.1 that follows /work/shared/specs/replicate.md closely enough
// for end-to-end tests: predictions (starting → processing → succeeded/failed/canceled, driven by
// the number of GETs, not by time), Prefer: wait, the files API, scripted 429/5xx, 401, 404.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audioDuration, wavDuration } from '../audio.js';
import { fakeWhisperDiarizationOutput, fakeWhisperxOutput } from './outputs.js';

export type FakeModelKind = 'whisper-diarization' | 'whisperx';
export type FakeOutcome = 'succeeded' | 'failed' | 'canceled';

/** One scripted answer that replaces the real one for matching requests. */
export interface FakeFault {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Path to match: a string matches as a prefix of the pathname, a RegExp is tested on it. */
  path?: string | RegExp;
  status: number;
  /** Value of a Retry-After header (none when omitted). */
  retryAfter?: string;
  /** JSON body; default: the spec's throttle body for 429, a problem body otherwise. */
  body?: unknown;
  /** How many matching requests get this answer (default 1). */
  times?: number;
}

export interface FakeSteps {
  /** GETs answered `starting` before the prediction moves on (default 1). */
  starting?: number;
  /** GETs answered `processing` before it ends (default 1). */
  processing?: number;
}

export interface FakeRequest {
  /** 1-based sequence number. */
  seq: number;
  method: string;
  path: string;
  status: number;
  /** The Prefer header, when sent. */
  prefer?: string;
}

export interface FakeCounts {
  requests: number;
  predictionsCreated: number;
  uploads: number;
  /** GET /v1/predictions/{id} answered 200. */
  polls: number;
  cancels: number;
  throttled: number;
  serverErrors: number;
  unauthorized: number;
  notFound: number;
}

export interface FakeReplicateOptions {
  /** The token the fake accepts (default "r8_fake_token"). */
  token?: string;
  steps?: FakeSteps;
  /** How predictions end (default succeeded). Input errors always end `failed`. */
  outcome?: FakeOutcome;
  /** Error text of a scripted failure. */
  error?: string;
  /** Faults served in order to matching requests, before authentication. */
  script?: FakeFault[];
  /** Extra models, owner/name → output shape (the two spec models are always known). */
  models?: Record<string, FakeModelKind>;
  /** With `Prefer: wait`, whether the prediction finishes during the wait (default true). */
  syncCompletes?: boolean;
  /** Longest time a `Prefer: wait` request is held when it does not finish (default 50 ms). */
  waitCapMs?: number;
  /** Largest accepted upload (default 100 MiB) → 413 above. */
  maxUploadBytes?: number;
  /** Called after each answer is sent. */
  onRequest?: (request: FakeRequest, fake: FakeReplicate) => void;
  /** Echo the token the request presented, in full, in the `detail` of every error answer. */
  echoToken?: boolean;
}

export interface FakePredictionState {
  prediction: Record<string, unknown>;
  kind: FakeModelKind;
  /** GETs answered so far. */
  polls: number;
  /** Audio duration the output is laid over, seconds. */
  duration: number;
  outcome: FakeOutcome;
  error?: string;
  output: unknown;
}

export interface FakeFile {
  id: string;
  bytes: Buffer;
  contentType: string;
  filename: string;
  metadata: unknown;
}

export interface FakeReplicate {
  /** `http://127.0.0.1:PORT`; clients append `/v1/...`. */
  baseURL: string;
  token: string;
  /** owner/name → the fake's (single, latest) version id. */
  versions: Record<string, string>;
  counts: FakeCounts;
  requests: FakeRequest[];
  predictions: Map<string, FakePredictionState>;
  files: Map<string, FakeFile>;
  /** Live options: change outcome, steps or push faults between requests. */
  options: FakeReplicateOptions & { script: FakeFault[] };
  close(): Promise<void>;
}

export const DEFAULT_FAKE_TOKEN = 'r8_fake_token';
const BUILTIN_MODELS: Record<string, FakeModelKind> = {
  'thomasmol/whisper-diarization': 'whisper-diarization',
  'victor-upmeet/whisperx': 'whisperx',
};
const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

/** The fake's version id of a model: a stable 64-hex string. */
export function fakeVersionId(model: string): string {
  return createHash('sha256').update(`fake-version:${model}`).digest('hex');
}

function fakeId(salt: string, prefix: string, n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const digest = createHash('sha256').update(`${salt}:${prefix}:${n}`).digest();
  let id = '';
  for (let i = 0; i < 26; i++) id += alphabet[digest[i]! % 32];
  return id;
}

export async function startFakeReplicate(options: FakeReplicateOptions = {}): Promise<FakeReplicate> {
  const token = options.token ?? DEFAULT_FAKE_TOKEN;
  const models: Record<string, FakeModelKind> = { ...BUILTIN_MODELS, ...options.models };
  const versions: Record<string, string> = {};
  for (const model of Object.keys(models)) versions[model] = fakeVersionId(model);
  const counts: FakeCounts = { requests: 0, predictionsCreated: 0, uploads: 0, polls: 0, cancels: 0, throttled: 0, serverErrors: 0, unauthorized: 0, notFound: 0 };
  const requests: FakeRequest[] = [];
  const predictions = new Map<string, FakePredictionState>();
  const files = new Map<string, FakeFile>();
  const live = { ...options, script: (options.script ?? []).map((fault) => ({ ...fault })) };
  const scratch = await mkdtemp(join(tmpdir(), 'spx-fake-replicate-'));
  let baseURL = '';
  // Ids differ between server instances, so a checkpoint from another fake never matches by chance.
  const salt = randomBytes(8).toString('hex');
  let predictionSeq = 0;
  let fileSeq = 0;

  const fake: FakeReplicate = {
    get baseURL() {
      return baseURL;
    },
    token,
    versions,
    counts,
    requests,
    predictions,
    files,
    options: live,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(scratch, { recursive: true, force: true });
    },
  };

  /** The token each request presented, for `echoToken`. */
  const presented = new WeakMap<ServerResponse, string>();
  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (status === 204) {
      res.writeHead(204, headers).end();
      return;
    }
    const token = presented.get(res);
    if (status >= 400 && live.echoToken && token && body && typeof body === 'object' && !Array.isArray(body)) {
      const fields = body as Record<string, unknown>;
      body = { ...fields, detail: `${typeof fields.detail === 'string' ? fields.detail : 'Request failed'} (token ${token})` };
    }
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  const problem = (res: ServerResponse, status: number, title: string, detail: string) => send(res, status, { title, detail, status });

  const readBody = async (req: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };

  const takeFault = (method: string, path: string): FakeFault | undefined => {
    const index = live.script.findIndex((fault) => {
      if (fault.method && fault.method.toUpperCase() !== method) return false;
      if (fault.path instanceof RegExp) return fault.path.test(path);
      if (typeof fault.path === 'string') return path.startsWith(fault.path);
      return true;
    });
    if (index < 0) return undefined;
    const fault = live.script[index]!;
    const left = (fault.times ?? 1) - 1;
    if (left <= 0) live.script.splice(index, 1);
    else fault.times = left;
    return fault;
  };

  const view = (state: FakePredictionState) => ({ ...state.prediction, urls: { ...(state.prediction.urls as object) } });

  const finish = (state: FakePredictionState) => {
    const p = state.prediction;
    if (TERMINAL.has(p.status as string)) return;
    const now = new Date().toISOString();
    p.started_at ??= now;
    p.completed_at = now;
    p.status = state.outcome;
    const predictTime = Math.round((0.4 + state.duration * 0.05) * 1000) / 1000;
    if (state.outcome === 'succeeded') {
      p.output = state.output;
      p.metrics = { predict_time: predictTime, total_time: Math.round((predictTime + 1.5) * 1000) / 1000 };
      p.logs = `Transcribing ${state.duration.toFixed(1)} s of audio\nDone.\n`;
    } else if (state.outcome === 'failed') {
      p.error = state.error ?? live.error ?? 'CUDA out of memory';
      p.logs = `Traceback (most recent call last):\n  File "predict.py", line 120, in predict\nRuntimeError: ${String(p.error)}\n`;
      p.metrics = { predict_time: predictTime };
    } else {
      p.metrics = {};
    }
  };

  /** Moves a prediction one GET further along starting → processing → end. */
  const advance = (state: FakePredictionState) => {
    const p = state.prediction;
    if (TERMINAL.has(p.status as string)) return;
    state.polls++;
    const starting = live.steps?.starting ?? 1;
    const processing = live.steps?.processing ?? 1;
    if (state.polls <= starting) p.status = 'starting';
    else if (state.polls <= starting + processing) {
      if (p.status !== 'processing') {
        p.status = 'processing';
        p.started_at = new Date().toISOString();
        p.logs = 'Loading model...\n';
      }
    } else finish(state);
  };

  const resolveAudio = async (ref: unknown): Promise<{ bytes?: Buffer; problem?: string }> => {
    if (typeof ref !== 'string' || ref === '') return { problem: 'no audio given' };
    if (ref.startsWith('data:')) {
      const comma = ref.indexOf(',');
      if (comma < 0 || !ref.slice(0, comma).includes(';base64')) return { problem: 'malformed data URI' };
      return { bytes: Buffer.from(ref.slice(comma + 1), 'base64') };
    }
    let url: URL;
    try {
      url = new URL(ref);
    } catch {
      // file_string: plain base64
      return { bytes: Buffer.from(ref, 'base64') };
    }
    const match = /^\/v1\/files\/([^/]+)/.exec(url.pathname);
    const file = match ? files.get(match[1]!) : undefined;
    if (!file) return { problem: `could not download ${ref}` };
    return { bytes: file.bytes };
  };

  const durationOf = async (bytes: Buffer): Promise<number> => {
    const fromWav = wavDuration(bytes);
    if (fromWav !== undefined) return fromWav;
    const path = join(scratch, `probe-${++fileSeq}`);
    await writeFile(path, bytes);
    const probed = await audioDuration(path).catch(() => undefined);
    await rm(path, { force: true });
    // Unknown formats: assume 64 kbit/s.
    return probed ?? Math.round((bytes.length / 8000) * 1000) / 1000;
  };

  const createPrediction = async (req: IncomingMessage, res: ServerResponse, model: string | undefined, body: Record<string, unknown>) => {
    let version = typeof body.version === 'string' ? body.version : undefined;
    if (!model && version) {
      // "owner/name:version" or "owner/name" are accepted as well as a bare id.
      const [name, id] = version.includes('/') ? version.split(':') : [undefined, version];
      if (name && models[name]) model = name;
      version = id ?? (name ? versions[name] : undefined);
      if (!model) model = Object.keys(versions).find((m) => versions[m] === version);
    }
    if (model && !version) version = versions[model];
    if (!model || !version || versions[model] !== version) {
      problem(res, 422, 'Invalid version or not permitted', "The specified version does not exist (or perhaps you don't have permission to use it?)");
      return;
    }
    const kind = models[model]!;
    const input = body.input;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      problem(res, 422, 'Input validation failed', '- input: Invalid type. Expected: object');
      return;
    }
    const fields = input as Record<string, unknown>;
    if (kind === 'whisperx' && (typeof fields.audio_file !== 'string' || fields.audio_file === '')) {
      send(res, 422, { title: 'Input validation failed', detail: '- input: audio_file is required', status: 422, invalid_fields: [{ type: 'required', field: 'input', description: 'audio_file is required' }] });
      return;
    }
    predictionSeq++;
    counts.predictionsCreated++;
    const id = fakeId(salt, 'prediction', predictionSeq);
    const now = new Date().toISOString();
    const prediction: Record<string, unknown> = {
      id,
      model,
      version,
      input: fields,
      logs: '',
      output: null,
      data_removed: false,
      error: null,
      source: 'api',
      status: 'starting',
      created_at: now,
      started_at: null,
      completed_at: null,
      metrics: {},
      urls: { get: `${baseURL}/v1/predictions/${id}`, cancel: `${baseURL}/v1/predictions/${id}/cancel`, web: `https://replicate.com/p/${id}` },
    };
    const state: FakePredictionState = { prediction, kind, polls: 0, duration: 0, outcome: live.outcome ?? 'succeeded', output: null };
    // Model-level problems are not HTTP errors: the prediction is created and ends `failed`.
    let inputProblem: string | undefined;
    let audioRef: unknown;
    if (kind === 'whisper-diarization') {
      const given = ['file', 'file_url', 'file_string'].filter((k) => typeof fields[k] === 'string' && fields[k] !== '');
      if (given.length !== 1) inputProblem = 'Provide exactly one of file_string, file_url, or file';
      else audioRef = fields[given[0]!];
    } else {
      audioRef = fields.audio_file;
      if (fields.diarization === true && !fields.huggingface_access_token) inputProblem = 'A Hugging Face access token is required to run diarization (huggingface_access_token)';
    }
    if (!inputProblem) {
      const audio = await resolveAudio(audioRef);
      if (audio.problem || !audio.bytes) inputProblem = `Failed to load audio: ${audio.problem ?? 'empty'}`;
      else {
        state.duration = await durationOf(audio.bytes);
        if (kind === 'whisper-diarization') {
          state.output = fakeWhisperDiarizationOutput(state.duration, {
            ...(typeof fields.num_speakers === 'number' ? { speakers: fields.num_speakers } : {}),
            ...(typeof fields.language === 'string' ? { language: fields.language } : {}),
          });
        } else {
          const speakers = typeof fields.min_speakers === 'number' ? fields.min_speakers : typeof fields.max_speakers === 'number' ? fields.max_speakers : 2;
          state.output = fakeWhisperxOutput(state.duration, {
            align: fields.align_output === true,
            diarization: fields.diarization === true,
            speakers,
            ...(typeof fields.language === 'string' ? { language: fields.language } : {}),
          });
        }
      }
    }
    if (inputProblem) {
      state.outcome = 'failed';
      state.error = inputProblem;
    }
    predictions.set(id, state);
    const prefer = req.headers.prefer;
    const wait = typeof prefer === 'string' ? /(?:^|[\s,;])wait(?:=(\d+))?/.exec(prefer) : null;
    if (wait) {
      const seconds = wait[1] ? Math.min(60, Math.max(1, Number(wait[1]))) : 60;
      if (live.syncCompletes ?? true) {
        await new Promise((r) => setTimeout(r, 5));
        finish(state);
      } else {
        await new Promise((r) => setTimeout(r, Math.min(seconds * 1000, live.waitCapMs ?? 50)));
      }
    }
    send(res, 201, view(state));
  };

  const uploadFile = async (req: IncomingMessage, res: ServerResponse, raw: Buffer) => {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('multipart/form-data')) {
      problem(res, 400, 'Bad request', 'Expected a multipart/form-data body with a "content" part.');
      return;
    }
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
    } catch {
      problem(res, 400, 'Bad request', 'Malformed multipart body.');
      return;
    }
    const content = form.get('content');
    if (!content || typeof content === 'string') {
      problem(res, 400, 'Bad request', 'Missing "content" file part.');
      return;
    }
    const bytes = Buffer.from(await content.arrayBuffer());
    if (bytes.length > (live.maxUploadBytes ?? 100 * 1024 * 1024)) {
      problem(res, 413, 'Payload too large', `File is ${bytes.length} bytes; the limit is ${live.maxUploadBytes ?? 100 * 1024 * 1024}.`);
      return;
    }
    let metadata: unknown = {};
    const meta = form.get('metadata');
    if (meta) {
      try {
        metadata = JSON.parse(typeof meta === 'string' ? meta : await meta.text());
      } catch {
        problem(res, 400, 'Bad request', 'The "metadata" part is not JSON.');
        return;
      }
    }
    counts.uploads++;
    const id = fakeId(salt, 'file', ++fileSeq);
    const file: FakeFile = { id, bytes, contentType: content.type || 'application/octet-stream', filename: content.name || 'file', metadata };
    files.set(id, file);
    send(res, 201, fileObject(file));
  };

  const fileObject = (file: FakeFile) => {
    const created = new Date();
    return {
      id: file.id,
      content_type: file.contentType,
      size: file.bytes.length,
      checksums: { sha256: createHash('sha256').update(file.bytes).digest('hex') },
      metadata: file.metadata,
      created_at: created.toISOString(),
      expires_at: new Date(created.getTime() + 24 * 3600_000).toISOString(),
      urls: { get: `${baseURL}/v1/files/${file.id}` },
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const raw = await readBody(req);
    counts.requests++;
    const given = /^(?:Bearer|Token)\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (given) presented.set(res, given);

    const fault = takeFault(method, path);
    if (fault) {
      if (fault.status === 429) counts.throttled++;
      if (fault.status >= 500) counts.serverErrors++;
      const body = fault.body ?? (fault.status === 429 ? { detail: 'Request was throttled. Expected available in 1 second.' } : { title: 'Server error', detail: 'Internal server error', status: fault.status });
      send(res, fault.status, body, fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {});
      return;
    }

    const auth = /^(?:Bearer|Token)\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!auth || auth[1] !== token) {
      counts.unauthorized++;
      problem(res, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
      return;
    }

    let json: Record<string, unknown> = {};
    if (method === 'POST' && raw.length > 0 && (req.headers['content-type'] ?? '').includes('json')) {
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
      } catch {
        problem(res, 400, 'Bad request', 'The request body is not valid JSON.');
        return;
      }
    }

    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/predictions') return createPrediction(req, res, undefined, json);
    if ((m = /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/.exec(path)) && method === 'POST') {
      const model = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      if (!models[model]) return notFound(res);
      return createPrediction(req, res, model, json);
    }
    if ((m = /^\/v1\/models\/([^/]+)\/([^/]+)(\/versions)?$/.exec(path)) && method === 'GET') {
      const model = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      if (!models[model]) return notFound(res);
      const version = { id: versions[model], created_at: '2026-01-01T00:00:00.000Z', cog_version: '0.16.0', openapi_schema: {} };
      if (m[3]) return send(res, 200, { next: null, previous: null, results: [version] });
      const [owner, name] = model.split('/');
      return send(res, 200, { url: `https://replicate.com/${model}`, owner, name, visibility: 'public', latest_version: version });
    }
    if (method === 'GET' && path === '/v1/predictions') {
      const results = [...predictions.values()].reverse().map(view);
      return send(res, 200, { next: null, previous: null, results });
    }
    if ((m = /^\/v1\/predictions\/([^/]+)$/.exec(path)) && method === 'GET') {
      const state = predictions.get(decodeURIComponent(m[1]!));
      if (!state) return notFound(res);
      advance(state);
      counts.polls++;
      return send(res, 200, view(state));
    }
    if ((m = /^\/v1\/predictions\/([^/]+)\/cancel$/.exec(path)) && method === 'POST') {
      const state = predictions.get(decodeURIComponent(m[1]!));
      if (!state) return notFound(res);
      counts.cancels++;
      if (!TERMINAL.has(state.prediction.status as string)) {
        state.prediction.status = 'canceled';
        state.prediction.completed_at = new Date().toISOString();
      }
      return send(res, 200, view(state));
    }
    if (method === 'POST' && path === '/v1/files') return uploadFile(req, res, raw);
    if ((m = /^\/v1\/files\/([^/]+)$/.exec(path))) {
      const file = files.get(decodeURIComponent(m[1]!));
      if (!file) return notFound(res);
      if (method === 'DELETE') {
        files.delete(file.id);
        return send(res, 204, null);
      }
      if (method === 'GET') return send(res, 200, fileObject(file));
    }
    return notFound(res);
  };

  const notFound = (res: ServerResponse) => {
    counts.notFound++;
    problem(res, 404, 'Not found', 'Not found.');
  };

  const server = createServer((req, res) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    res.on('finish', () => {
      const entry: FakeRequest = { seq: requests.length + 1, method, path, status: res.statusCode, ...(typeof req.headers.prefer === 'string' ? { prefer: req.headers.prefer } : {}) };
      requests.push(entry);
      live.onRequest?.(entry, fake);
    });
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) problem(res, 500, 'Server error', error instanceof Error ? error.message : String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
