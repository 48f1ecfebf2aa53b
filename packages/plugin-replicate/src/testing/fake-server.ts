// A fake Replicate API on 127.0.0.1 that follows /work/shared/specs/replicate.md closely enough
// for end-to-end tests: predictions (starting → processing → succeeded/failed/canceled, driven by
// the number of GETs, not by time), Prefer: wait, the files API, scripted 429/5xx, 401, 404.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultScript, Router, parseJson, problemAnswer, sendAnswer, serveFault, startFakeHttp, type Answer, type Exchange, type ReceivedRequest, type RouteParams } from '@spx/core/testing';
import { fakeVersionId, type ReplicateContext } from './context.js';
import { fileObject, uploadFile, type FakeFile } from './files.js';
import { FakePredictions, type FakeModelKind, type FakeOutcome, type FakePredictionState } from './predictions.js';

export { fakeVersionId } from './context.js';
export type { FakeFile } from './files.js';
export type { FakeModelKind, FakeOutcome, FakePredictionState } from './predictions.js';

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

export interface FakeReplicate {
  /** `http://127.0.0.1:PORT`; clients append `/v1/...`. */
  baseURL: string;
  token: string;
  /** owner/name → the fake's (single, latest) version id. */
  versions: Record<string, string>;
  counts: FakeCounts;
  requests: FakeRequest[];
  /** Every request as it arrived: headers (the token included) and body bytes. */
  received: readonly ReceivedRequest[];
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

/** One request on its way through the fake: what routes read and write. */
interface Call {
  ex: Exchange;
  /** Parsed JSON object of a POST with a JSON body ({} otherwise). */
  json: Record<string, unknown>;
  raw: Buffer;
  reply(answer: Answer): void;
}
type Route = (call: Call, params: RouteParams) => Promise<void> | void;

export async function startFakeReplicate(options: FakeReplicateOptions = {}): Promise<FakeReplicate> {
  const token = options.token ?? DEFAULT_FAKE_TOKEN;
  const models: Record<string, FakeModelKind> = { ...BUILTIN_MODELS, ...options.models };
  const versions: Record<string, string> = {};
  for (const model of Object.keys(models)) versions[model] = fakeVersionId(model);
  const counts: FakeCounts = { requests: 0, predictionsCreated: 0, uploads: 0, polls: 0, cancels: 0, throttled: 0, serverErrors: 0, unauthorized: 0, notFound: 0 };
  const requests: FakeRequest[] = [];
  const files = new Map<string, FakeFile>();
  // Faults are served in order: a request takes the first rule that matches it.
  const faults = new FaultScript<FakeFault>((options.script ?? []).map((fault) => ({ ...fault })));
  const live: FakeReplicate['options'] = {
    ...options,
    get script() {
      return faults.rules;
    },
    set script(rules) {
      faults.replace(rules);
    },
  };
  const scratch = await mkdtemp(join(tmpdir(), 'spx-fake-replicate-'));
  let baseURL = '';
  let fileSeq = 0;
  const ctx: ReplicateContext = { live, models, versions, counts, files, salt: randomBytes(8).toString('hex'), baseURL: () => baseURL, scratch, nextFileSeq: () => ++fileSeq };
  const predictions = new FakePredictions(ctx);

  const notFound = (reply: Call['reply']) => {
    counts.notFound++;
    reply(problemAnswer(404, 'Not found', 'Not found.'));
  };
  const modelOf = (params: RouteParams) => `${decodeURIComponent(params.owner!)}/${decodeURIComponent(params.name!)}`;
  const showModel =
    (listVersions: boolean): Route =>
    ({ reply }, params) => {
      const model = modelOf(params);
      if (!models[model]) return notFound(reply);
      const version = { id: versions[model], created_at: '2026-01-01T00:00:00.000Z', cog_version: '0.16.0', openapi_schema: {} };
      if (listVersions) return reply({ status: 200, json: { next: null, previous: null, results: [version] } });
      const [owner, name] = model.split('/');
      reply({ status: 200, json: { url: `https://replicate.com/${model}`, owner, name, visibility: 'public', latest_version: version } });
    };
  const routes = new Router<Route>()
    .on('POST', '/v1/predictions', async ({ ex, json, reply }) => reply(await predictions.create(undefined, json, ex.req.headers.prefer)))
    .on('POST', '/v1/models/:owner/:name/predictions', async ({ ex, json, reply }, params) => {
      const model = modelOf(params);
      if (!models[model]) return notFound(reply);
      reply(await predictions.create(model, json, ex.req.headers.prefer));
    })
    .on('GET', '/v1/models/:owner/:name', showModel(false))
    .on('GET', '/v1/models/:owner/:name/versions', showModel(true))
    .on('GET', '/v1/predictions', ({ reply }) => reply({ status: 200, json: { next: null, previous: null, results: predictions.list() } }))
    .on('GET', '/v1/predictions/:id', ({ reply }, { id }) => {
      const state = predictions.states.get(decodeURIComponent(id!));
      if (!state) return notFound(reply);
      const view = predictions.poll(state);
      counts.polls++;
      reply({ status: 200, json: view });
    })
    .on('POST', '/v1/predictions/:id/cancel', ({ reply }, { id }) => {
      const state = predictions.states.get(decodeURIComponent(id!));
      if (!state) return notFound(reply);
      counts.cancels++;
      reply({ status: 200, json: predictions.cancel(state) });
    })
    .on('POST', '/v1/files', async ({ ex, raw, reply }) => reply(await uploadFile(ctx, ex.req.headers['content-type'] ?? '', raw)))
    .on('*', '/v1/files/:id', ({ ex, reply }, { id }) => {
      const file = files.get(decodeURIComponent(id!));
      if (!file) return notFound(reply);
      if (ex.method === 'DELETE') {
        files.delete(file.id);
        return reply({ status: 204 });
      }
      if (ex.method === 'GET') return reply({ status: 200, json: fileObject(ctx, file) });
      notFound(reply);
    });

  /** Sends an answer; with `echoToken`, error answers name the token the request presented. */
  const replier = (ex: Exchange) => {
    const presented = /^(?:Bearer|Token)\s+(.+)$/i.exec(ex.req.headers.authorization ?? '')?.[1];
    return (answer: Answer) => {
      if (answer.status === 204) return sendAnswer(ex.res, { status: 204, ...(answer.headers ? { headers: answer.headers } : {}) });
      const body = answer.json;
      if (answer.status >= 400 && live.echoToken && presented && body && typeof body === 'object' && !Array.isArray(body)) {
        const fields = body as Record<string, unknown>;
        return sendAnswer(ex.res, { ...answer, json: { ...fields, detail: `${typeof fields.detail === 'string' ? fields.detail : 'Request failed'} (token ${presented})` } });
      }
      sendAnswer(ex.res, answer);
    };
  };

  const handle = async (ex: Exchange) => {
    ex.res.on('finish', () => {
      const entry: FakeRequest = { seq: requests.length + 1, method: ex.method, path: ex.path, status: ex.res.statusCode, ...(typeof ex.req.headers.prefer === 'string' ? { prefer: ex.req.headers.prefer } : {}) };
      requests.push(entry);
      live.onRequest?.(entry, fake);
    });
    const raw = await ex.body();
    counts.requests++;
    const reply = replier(ex);

    const fault = faults.take(ex.method, ex.path);
    if (fault) {
      if (fault.status === 429) counts.throttled++;
      if (fault.status >= 500) counts.serverErrors++;
      const body = fault.body ?? (fault.status === 429 ? { detail: 'Request was throttled. Expected available in 1 second.' } : { title: 'Server error', detail: 'Internal server error', status: fault.status });
      await serveFault({ kind: 'answer', answer: { status: fault.status, json: body, headers: fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {} } }, ex.res, reply);
      return;
    }

    const auth = /^(?:Bearer|Token)\s+(.+)$/i.exec(ex.req.headers.authorization ?? '');
    if (!auth || auth[1] !== token) {
      counts.unauthorized++;
      return reply(problemAnswer(401, 'Unauthenticated', 'You did not pass a valid authentication token'));
    }

    let json: Record<string, unknown> = {};
    if (ex.method === 'POST' && raw.length > 0 && (ex.req.headers['content-type'] ?? '').includes('json')) {
      const parsed = parseJson(raw);
      if (!parsed.ok) return reply(problemAnswer(400, 'Bad request', 'The request body is not valid JSON.'));
      if (typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)) json = parsed.value as Record<string, unknown>;
    }
    const route = routes.match(ex.method, ex.path);
    if (!route) return notFound(reply);
    await route.handler({ ex, json, raw, reply }, route.params);
  };

  const http = await startFakeHttp({
    handle,
    onError: (error, ex) => {
      if (!ex.res.headersSent) replier(ex)(problemAnswer(500, 'Server error', error instanceof Error ? error.message : String(error)));
    },
  });
  baseURL = http.origin;
  const fake: FakeReplicate = {
    baseURL,
    token,
    versions,
    counts,
    requests,
    received: http.received,
    predictions: predictions.states,
    files,
    options: live,
    close: async () => {
      await http.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
  return fake;
}
