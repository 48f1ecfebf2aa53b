// A fake pyannoteAI v1 server on 127.0.0.1 that follows the API contract (see the package
// README): bearer auth, temporary media storage with a presigned PUT served by the same
// server, diarize / voiceprint / identify jobs whose status goes pending → running → a
// terminal status as they are polled, deterministic outputs derived from the uploaded audio,
// scripted 429 / 5xx / dropped connections, expiry, and counters for tests to assert on.
import { randomUUID } from 'node:crypto';
import { FaultScript, Router, asJsonObject, parseJson, sendAnswer, serveFault, startFakeHttp, type Answer, type Exchange, type Fault, type FaultRule, type ReceivedRequest, type RouteParams } from '@spx/core/testing';
import { FakeJobs, MEDIA_PATTERN, validateJob, type FakeJobType, type FakeJobView, type FakeOutcome, type JobCounts, type Problem } from './jobs.js';

export type { FakeJobType, FakeJobStatus, FakeJobView, FakeOutcome } from './jobs.js';
export { readAudio } from './analysis.js';

/** A scripted fault: answer matching requests with an error instead of serving them. */
export interface FakeFault {
  /** "METHOD /path-prefix" (e.g. "POST /v1/diarize", "GET /v1/jobs", "PUT /upload") or "*" (default). */
  route?: string;
  /** 1-based index, among requests matching `route`, of the first faulty one (default 1). */
  nth?: number;
  /** How many consecutive matching requests fail (default 1). */
  times?: number;
  /** HTTP status to answer (429, 500, 502, 503, 402, …). Ignored with `drop`. */
  status?: number;
  /** Retry-After header, seconds; omitted when undefined. */
  retryAfter?: number;
  /** JSON body; default ApiError {requestId, message}. */
  body?: unknown;
  /** Destroy the connection without answering (a network error). */
  drop?: boolean;
}

export interface FakePyannoteOptions {
  /** Accepted bearer token (default "test-key"). */
  apiKey?: string;
  /** Polls a job answers as pending/running before its terminal status (default 2). */
  jobSteps?: number;
  /** Scripted faults, checked in order for every request. */
  script?: FakeFault[];
  /** Decides a job's terminal status at creation; undefined = the normal outcome. */
  outcome?: (job: FakeJobView) => FakeOutcome | undefined;
  /** Start with jobs (or jobs of the listed types) held in "running" (see `pause()` / `resume()`). */
  paused?: boolean | FakeJobType[];
  /** X-RateLimit-Limit per sliding minute (default 100). */
  rateLimit?: number;
  /** Answer 429 when the limit is exceeded (default false: headers only, so fast-polling tests do not stall). */
  enforceRateLimit?: boolean;
  /** Longest accepted voiceprint sample, seconds (default: no limit). */
  voiceprintMaxSeconds?: number;
  /** Echo the bearer token the request presented, in full, in the message of every error answer. */
  echoKey?: boolean;
}

export interface FakeCounts extends JobCounts {
  requests: number;
  unauthorized: number;
  faults: number;
  mediaInputs: number;
  uploads: number;
  polls: number;
  notFound: number;
  validationErrors: number;
}

export interface FakeRequestRecord {
  method: string;
  path: string;
  status: number;
  /** Whether the request carried the right bearer token (never the token itself). */
  authorized: boolean;
  /** Parsed JSON body of POST requests. */
  body?: unknown;
}

export interface FakePyannote {
  /** e.g. http://127.0.0.1:PORT — clients append /v1/… */
  readonly baseURL: string;
  readonly apiKey: string;
  readonly counts: FakeCounts;
  readonly requests: FakeRequestRecord[];
  /** Every request as it arrived: headers (the key included) and body bytes. */
  readonly received: readonly ReceivedRequest[];
  /** Jobs by creation order. */
  jobs(): FakeJobView[];
  /** Makes a job (default: all jobs) unknown from now on: GET answers 404. */
  expireJob(jobId?: string): void;
  /** Deletes uploaded media (default: all); jobs created afterwards on it fail. */
  expireMedia(mediaUrl?: string): void;
  /** Holds jobs (default: all types) in "running" however often they are polled. */
  pause(...types: FakeJobType[]): void;
  /** Lets held jobs progress again. */
  resume(): void;
  /** Adds faults at run time. */
  addFaults(...faults: FakeFault[]): void;
  close(): Promise<void>;
}

/** One request on its way through the fake: what routes read and write. */
interface Call {
  ex: Exchange;
  record: FakeRequestRecord;
  /** Body bytes (uploads). */
  body: Buffer;
  /** Parsed JSON object of POST requests. */
  json: Record<string, unknown>;
  reply(status: number, payload: unknown, headers?: Record<string, string>): void;
}
type Route = (call: Call, params: RouteParams) => Promise<void> | void;

export async function startFakePyannote(options: FakePyannoteOptions = {}): Promise<FakePyannote> {
  const apiKey = options.apiKey ?? 'test-key';
  const rateLimit = options.rateLimit ?? 100;
  // Every fault counts every request its route matches: `nth` is an index among those.
  const script = new FaultScript<FaultRule & { fault: FakeFault }>([], 'every-match');
  const addFaults = (faults: FakeFault[]) => script.add(...faults.map((fault) => ({ ...routeRule(fault.route), nth: fault.nth, times: fault.times, fault })));
  addFaults(options.script ?? []);
  const media = new Map<string, Buffer>();
  const pendingUploads = new Map<string, string>();
  const hits: number[] = [];
  const counts: FakeCounts = { requests: 0, unauthorized: 0, faults: 0, mediaInputs: 0, uploads: 0, jobsCreated: 0, diarizations: 0, voiceprints: 0, identifications: 0, polls: 0, notFound: 0, validationErrors: 0 };
  const jobs = new FakeJobs({ ...options, jobSteps: Math.max(0, options.jobSteps ?? 2) }, media, counts);
  const requests: FakeRequestRecord[] = [];
  let baseURL = '';

  /** Requests in the sliding minute. */
  const pruneHits = (): number => {
    const now = Date.now();
    while (hits.length && hits[0]! <= now - 60_000) hits.shift();
    return hits.length;
  };
  const rateHeaders = (): Record<string, string> => {
    hits.push(Date.now());
    pruneHits();
    return { 'x-ratelimit-limit': String(rateLimit), 'x-ratelimit-remaining': String(Math.max(0, rateLimit - hits.length)) };
  };
  const notFound = (reply: Call['reply'], message: string) => reply(404, { requestId: randomUUID(), message });
  const invalid = (reply: Call['reply'], errors: Problem[]) => {
    counts.validationErrors++;
    reply(400, { message: 'Invalid request', errors });
  };

  // The presigned upload URL: no auth header, raw bytes.
  const upload = ({ ex, body, reply }: Call, token: string) => {
    const key = pendingUploads.get(token);
    if (ex.method !== 'PUT' || !key) return reply(403, { message: 'Invalid or expired signature' });
    media.set(key, body);
    counts.uploads++;
    reply(200, {});
  };
  const createJob: Route = async ({ ex, json, reply }) => {
    const type = ex.path.slice('/v1/'.length) as FakeJobType;
    const problems = validateJob(type, json);
    if (problems.length) return invalid(reply, problems);
    const job = await jobs.create(type, json);
    reply(200, { jobId: job.jobId, status: 'created' });
  };
  const routes = new Router<Route>()
    .on('GET', '/v1/test', ({ reply }) => reply(200, { status: 'OK', message: 'Test connection successful' }))
    .on('POST', '/v1/media/input', ({ json, reply }) => {
      const key = json.url;
      if (typeof key !== 'string' || key.length > 255 || !MEDIA_PATTERN.test(key)) return invalid(reply, [{ field: 'url', message: 'Must match ^media://[a-zA-Z0-9-_./]+$ (max 255 chars)' }]);
      const token = randomUUID();
      pendingUploads.set(token, key);
      counts.mediaInputs++;
      reply(201, { url: `${baseURL}/upload/${token}` });
    })
    .on('POST', '/v1/media/output', ({ json, reply }) => {
      const key = json.url;
      if (typeof key !== 'string' || !media.has(key)) return notFound(reply, 'Media not found');
      reply(201, { url: `${baseURL}/download/${encodeURIComponent(key)}` });
    })
    .on('GET', '/download/*key', ({ ex, record, reply }, { key }) => {
      const data = media.get(decodeURIComponent(key!));
      if (!data) return reply(404, { message: 'Not found' });
      record.status = 200;
      sendAnswer(ex.res, { status: 200, headers: { 'content-type': 'application/octet-stream' }, raw: data });
    })
    .on('POST', '/v1/diarize', createJob)
    .on('POST', '/v1/voiceprint', createJob)
    .on('POST', '/v1/identify', createJob)
    .on('GET', '/v1/jobs/:id', ({ reply }, { id }) => {
      counts.polls++;
      const job = jobs.find(decodeURIComponent(id!));
      if (!job) {
        counts.notFound++;
        return notFound(reply, 'Job not found');
      }
      reply(200, jobs.poll(job));
    })
    .on('GET', '/v2/jobs', ({ reply }) => reply(200, { items: jobs.listing(), nextCursor: null }));

  const handle = async (ex: Exchange): Promise<void> => {
    const body = await ex.body();
    counts.requests++;
    const authorized = ex.req.headers.authorization === `Bearer ${apiKey}`;
    const record: FakeRequestRecord = { method: ex.method, path: ex.path, status: 0, authorized };
    requests.push(record);
    const presented = /^Bearer (.+)$/.exec(ex.req.headers.authorization ?? '')?.[1];
    const send = (answer: Answer) => {
      record.status = answer.status;
      const json = answer.status >= 400 && options.echoKey && presented ? echoed(answer.json, presented) : answer.json;
      sendAnswer(ex.res, { ...answer, json, declareLength: true, headers: { ...rateHeaders(), ...answer.headers } });
    };
    const reply: Call['reply'] = (status, payload, headers = {}) => send({ status, json: payload, headers });
    const call: Call = { ex, record, body, json: {}, reply };

    // Scripted faults come first, as a gateway in front of the API would answer them.
    const rule = script.take(ex.method, ex.path);
    if (rule) {
      counts.faults++;
      const fault = toFault(rule.fault);
      if (fault.kind === 'drop') record.status = -1;
      await serveFault(fault, ex.res, send);
      return;
    }
    if (ex.path.startsWith('/upload/')) return upload(call, ex.path.slice('/upload/'.length));
    if (!authorized) {
      counts.unauthorized++;
      return reply(401, { requestId: randomUUID(), message: 'Invalid API key' });
    }
    if (options.enforceRateLimit && pruneHits() >= rateLimit) {
      const retry = Math.max(1, Math.ceil((hits[0]! + 60_000 - Date.now()) / 1000));
      return reply(429, { requestId: randomUUID(), message: 'Too many requests' }, { 'retry-after': String(retry), 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + retry) });
    }
    if (ex.method === 'POST') {
      const parsed = parseJson(body);
      const json = asJsonObject(parsed.ok ? parsed.value : undefined);
      record.body = json;
      if (json === undefined) return invalid(reply, [{ field: 'body', message: 'Expected a JSON object' }]);
      call.json = json;
    }
    const route = routes.match(ex.method, ex.path);
    if (!route) return notFound(reply, `No route ${ex.method} ${ex.path}`);
    await route.handler(call, route.params);
  };

  const http = await startFakeHttp({
    handle,
    onError: (error, ex) => {
      if (!ex.res.headersSent) sendAnswer(ex.res, { status: 500, declareLength: true, json: { requestId: randomUUID(), message: `fake server error: ${error instanceof Error ? error.message : String(error)}` } });
    },
  });
  baseURL = http.origin;
  return {
    baseURL,
    apiKey,
    counts,
    requests,
    received: http.received,
    jobs: () => jobs.views(),
    expireJob: (jobId) => jobs.expire(jobId),
    expireMedia(mediaUrl) {
      if (mediaUrl) media.delete(mediaUrl);
      else media.clear();
    },
    pause: (...types) => jobs.pause(types),
    resume: () => jobs.resume(),
    addFaults: (...more) => addFaults(more),
    close: () => http.close(),
  };
}

/** "METHOD /path-prefix" or "*" as a fault rule. */
function routeRule(route = '*'): FaultRule {
  if (route === '*') return {};
  const space = route.indexOf(' ');
  return space < 0 ? { method: route } : { method: route.slice(0, space), path: route.slice(space + 1) };
}

function toFault(fault: FakeFault): Fault {
  if (fault.drop) return { kind: 'drop' };
  const status = fault.status ?? 503;
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  if (status === 429) headers['x-ratelimit-reset'] = String(Math.ceil(Date.now() / 1000) + (fault.retryAfter ?? 1));
  const message = status === 429 ? 'Too many requests' : status === 402 ? 'Subscription is required' : 'Internal server error';
  return { kind: 'answer', answer: { status, headers, json: fault.body ?? { requestId: randomUUID(), message } } };
}

/** An ApiError / ValidationErrorResponse body whose message names the key it was asked with. */
function echoed(payload: unknown, key: string): unknown {
  const body = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
  const message = typeof body.message === 'string' ? body.message : 'Request failed';
  return { ...body, message: `API key ${key}: ${message}` };
}
