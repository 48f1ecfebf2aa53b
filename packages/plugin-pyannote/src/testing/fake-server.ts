// A fake pyannoteAI v1 server on 127.0.0.1 that follows the API contract (see the package
// README): bearer auth, temporary media storage with a presigned PUT served by the same
// server, diarize / voiceprint / identify jobs whose status goes pending → running → a
// terminal status as they are polled, deterministic outputs derived from the uploaded audio,
// scripted 429 / 5xx / dropped connections, expiry, and counters for tests to assert on.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWavHeader } from '../wav.js';
import { clusterByPitch, decodePcm16, medianPitch, pitchSimilarity, speechRegions, type Region } from './voice.js';

export type FakeJobType = 'diarize' | 'voiceprint' | 'identify';
export type FakeJobStatus = 'created' | 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled';

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

export interface FakeJobView {
  jobId: string;
  type: FakeJobType;
  status: FakeJobStatus;
  /** The request body as received. */
  request: Record<string, unknown>;
  /** Media key or URL the job reads. */
  url: string;
  /** Seconds of audio the job saw (0 when it could not read it). */
  duration: number;
  polls: number;
  expired: boolean;
}

export interface FakeOutcome {
  status: 'failed' | 'canceled';
  error?: string;
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

export interface FakeCounts {
  requests: number;
  unauthorized: number;
  faults: number;
  mediaInputs: number;
  uploads: number;
  jobsCreated: number;
  diarizations: number;
  voiceprints: number;
  identifications: number;
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

interface Job extends FakeJobView {
  createdAt: string;
  updatedAt: string;
  /** Non-terminal polls answered so far. */
  progressed: number;
  outcome?: FakeOutcome;
  output?: Record<string, unknown>;
}

const MEDIA_PATTERN = /^media:\/\/[a-zA-Z0-9\-_./]+$/;
const MODELS: Record<FakeJobType, string[]> = { diarize: ['precision-2', 'community-1'], voiceprint: ['precision-2'], identify: ['precision-2'] };
const VOICEPRINT_PREFIX = 'spx-fake-voiceprint:';

export async function startFakePyannote(options: FakePyannoteOptions = {}): Promise<FakePyannote> {
  const apiKey = options.apiKey ?? 'test-key';
  const jobSteps = Math.max(0, options.jobSteps ?? 2);
  const rateLimit = options.rateLimit ?? 100;
  const faults = (options.script ?? []).map((fault) => ({ fault, seen: 0 }));
  const media = new Map<string, Buffer>();
  const pendingUploads = new Map<string, string>();
  const jobs = new Map<string, Job>();
  const hits: number[] = [];
  const allTypes: FakeJobType[] = ['diarize', 'voiceprint', 'identify'];
  let held = new Set<FakeJobType>(options.paused === true ? allTypes : Array.isArray(options.paused) ? options.paused : []);
  const counts: FakeCounts = { requests: 0, unauthorized: 0, faults: 0, mediaInputs: 0, uploads: 0, jobsCreated: 0, diarizations: 0, voiceprints: 0, identifications: 0, polls: 0, notFound: 0, validationErrors: 0 };
  const requests: FakeRequestRecord[] = [];
  let baseURL = '';

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { requestId: randomUUID(), message: `fake server error: ${error instanceof Error ? error.message : String(error)}` });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const body = await readBody(req);
    counts.requests++;
    const authorized = req.headers.authorization === `Bearer ${apiKey}`;
    const record: FakeRequestRecord = { method, path, status: 0, authorized };
    requests.push(record);
    const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      send(res, status, status >= 400 && options.echoKey && presented ? echoed(payload, presented) : payload, { ...rateHeaders(), ...headers });
    };

    // Scripted faults come first, as a gateway in front of the API would answer them.
    const fault = nextFault(`${method} ${path}`);
    if (fault) {
      counts.faults++;
      if (fault.drop) {
        record.status = -1;
        res.socket?.destroy();
        return;
      }
      const status = fault.status ?? 503;
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      if (status === 429) headers['x-ratelimit-reset'] = String(Math.ceil(Date.now() / 1000) + (fault.retryAfter ?? 1));
      reply(status, fault.body ?? { requestId: randomUUID(), message: status === 429 ? 'Too many requests' : status === 402 ? 'Subscription is required' : 'Internal server error' }, headers);
      return;
    }

    // Presigned upload URL: no auth header, raw bytes.
    if (path.startsWith('/upload/')) {
      const key = pendingUploads.get(path.slice('/upload/'.length));
      if (method !== 'PUT' || !key) return reply(403, { message: 'Invalid or expired signature' });
      media.set(key, body);
      counts.uploads++;
      return reply(200, {});
    }

    if (!authorized) {
      counts.unauthorized++;
      return reply(401, { requestId: randomUUID(), message: 'Invalid API key' });
    }
    if (options.enforceRateLimit && pruneHits() >= rateLimit) {
      const retry = Math.max(1, Math.ceil((hits[0]! + 60_000 - Date.now()) / 1000));
      return reply(429, { requestId: randomUUID(), message: 'Too many requests' }, { 'retry-after': String(retry), 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + retry) });
    }

    const json = method === 'POST' ? parseJson(body) : undefined;
    if (method === 'POST') record.body = json;
    if (method === 'POST' && json === undefined) return invalid(reply, [{ field: 'body', message: 'Expected a JSON object' }]);

    if (method === 'GET' && path === '/v1/test') return reply(200, { status: 'OK', message: 'Test connection successful' });
    if (method === 'POST' && path === '/v1/media/input') {
      const key = json!.url;
      if (typeof key !== 'string' || key.length > 255 || !MEDIA_PATTERN.test(key)) return invalid(reply, [{ field: 'url', message: 'Must match ^media://[a-zA-Z0-9-_./]+$ (max 255 chars)' }]);
      const token = randomUUID();
      pendingUploads.set(token, key);
      counts.mediaInputs++;
      return reply(201, { url: `${baseURL}/upload/${token}` });
    }
    if (method === 'POST' && path === '/v1/media/output') {
      const key = json!.url;
      if (typeof key !== 'string' || !media.has(key)) return reply(404, { requestId: randomUUID(), message: 'Media not found' });
      return reply(201, { url: `${baseURL}/download/${encodeURIComponent(key)}` });
    }
    if (method === 'GET' && path.startsWith('/download/')) {
      const data = media.get(decodeURIComponent(path.slice('/download/'.length)));
      if (!data) return reply(404, { message: 'Not found' });
      record.status = 200;
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(data);
      return;
    }
    if (method === 'POST' && (path === '/v1/diarize' || path === '/v1/voiceprint' || path === '/v1/identify')) {
      const type = path.slice('/v1/'.length) as FakeJobType;
      const problems = validateJob(type, json!);
      if (problems.length) return invalid(reply, problems);
      const job = await createJob(type, json!);
      return reply(200, { jobId: job.jobId, status: 'created' });
    }
    const jobMatch = /^\/v1\/jobs\/([^/]+)$/.exec(path);
    if (method === 'GET' && jobMatch) {
      counts.polls++;
      const job = jobs.get(decodeURIComponent(jobMatch[1]!));
      if (!job || job.expired) {
        counts.notFound++;
        return reply(404, { requestId: randomUUID(), message: 'Job not found' });
      }
      job.polls++;
      advance(job);
      return reply(200, jobBody(job));
    }
    if (method === 'GET' && path === '/v2/jobs') {
      const items = [...jobs.values()].filter((j) => !j.expired).map((j) => ({ id: j.jobId, status: j.status, createdAt: j.createdAt }));
      return reply(200, { items, nextCursor: null });
    }
    reply(404, { requestId: randomUUID(), message: `No route ${method} ${path}` });
  }

  function nextFault(route: string): FakeFault | undefined {
    let chosen: FakeFault | undefined;
    for (const entry of faults) {
      const want = entry.fault.route ?? '*';
      if (want !== '*' && !route.startsWith(want)) continue;
      entry.seen++;
      const first = entry.fault.nth ?? 1;
      const times = entry.fault.times ?? 1;
      if (!chosen && entry.seen >= first && entry.seen < first + times) chosen = entry.fault;
    }
    return chosen;
  }

  /** Requests in the sliding minute. */
  function pruneHits(): number {
    const now = Date.now();
    while (hits.length && hits[0]! <= now - 60_000) hits.shift();
    return hits.length;
  }

  function rateHeaders(): Record<string, string> {
    hits.push(Date.now());
    pruneHits();
    return { 'x-ratelimit-limit': String(rateLimit), 'x-ratelimit-remaining': String(Math.max(0, rateLimit - hits.length)) };
  }

  async function createJob(type: FakeJobType, request: Record<string, unknown>): Promise<Job> {
    const url = request.url as string;
    const now = new Date().toISOString();
    const audio = await loadAudio(url);
    const job: Job = { jobId: randomUUID(), type, status: 'created', request, url, duration: audio.ok ? audio.duration : 0, polls: 0, expired: false, createdAt: now, updatedAt: now, progressed: 0 };
    counts.jobsCreated++;
    if (type === 'diarize') counts.diarizations++;
    else if (type === 'voiceprint') counts.voiceprints++;
    else counts.identifications++;
    if (!audio.ok) job.outcome = { status: 'failed', error: audio.error };
    else if (type === 'voiceprint' && options.voiceprintMaxSeconds !== undefined && audio.duration > options.voiceprintMaxSeconds) {
      job.outcome = { status: 'failed', error: `Voiceprint audio must be at most ${options.voiceprintMaxSeconds} s long (got ${audio.duration.toFixed(1)} s)` };
    }
    job.outcome ??= options.outcome?.(view(job));
    if (!job.outcome && audio.ok) job.output = makeOutput(type, request, audio);
    jobs.set(job.jobId, job);
    return job;
  }

  async function loadAudio(url: string): Promise<AudioRead> {
    let data: Buffer | undefined;
    if (url.startsWith('media://')) {
      data = media.get(url);
      if (!data) return { ok: false, error: `Media ${url} was not found (never uploaded, or removed after 24 h)` };
    } else {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        if (!response.ok) return { ok: false, error: `Could not download ${url} (HTTP ${response.status})` };
        data = Buffer.from(await response.arrayBuffer());
      } catch {
        return { ok: false, error: `Could not download ${url}` };
      }
    }
    return readAudio(data);
  }

  function advance(job: Job): void {
    if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'canceled') return;
    if (held.has(job.type)) {
      job.status = job.progressed === 0 && job.status === 'created' ? 'pending' : 'running';
    } else if (job.progressed < jobSteps) {
      job.progressed++;
      job.status = job.progressed === 1 ? 'pending' : 'running';
    } else {
      job.status = job.outcome?.status ?? 'succeeded';
    }
    job.updatedAt = new Date().toISOString();
  }

  function jobBody(job: Job): Record<string, unknown> {
    const base = { jobId: job.jobId, status: job.status, createdAt: job.createdAt, updatedAt: job.updatedAt };
    if (job.status === 'succeeded') return { ...base, output: job.output };
    if (job.status === 'failed' && job.outcome?.error) return { ...base, output: { error: job.outcome.error } };
    return base;
  }

  function makeOutput(type: FakeJobType, request: Record<string, unknown>, audio: Extract<AudioRead, { ok: true }>): Record<string, unknown> {
    if (type === 'voiceprint') {
      return { voiceprint: Buffer.from(`${VOICEPRINT_PREFIX}${audio.sha256}:${audio.duration.toFixed(2)}:${audio.f0 ?? 0}`).toString('base64') };
    }
    const count = speakerCount(request);
    const { regular, exclusive, pitch } = turnsFor(audio, count);
    const withConfidence = request.turnLevelConfidence === true;
    const speakers = [...new Set(regular.map((t) => t.speaker))];
    const decorate = (list: FakeTurn[]) =>
      list.map((t, i) => (withConfidence ? { ...t, confidence: Object.fromEntries(speakers.map((s) => [s, s === t.speaker ? 80 + ((i * 7) % 16) : 4 + ((i * 5) % 13)])) } : { ...t }));
    const output: Record<string, unknown> = { diarization: decorate(regular) };
    if (request.exclusive === true) output.exclusiveDiarization = decorate(exclusive);
    if (request.confidence === true) {
      const resolution = 0.02;
      const frames = Math.min(50_000, Math.ceil(audio.duration / resolution));
      output.confidence = { score: Array.from({ length: frames }, (_, i) => 70 + ((i * 13) % 30)), resolution };
    }
    if (type === 'identify') Object.assign(output, identify(request, speakers, regular, pitch));
    return output;
  }

  function identify(request: Record<string, unknown>, speakers: string[], regular: FakeTurn[], pitch: Map<string, number>): Record<string, unknown> {
    const voiceprints = request.voiceprints as Array<{ label: string; voiceprint: string }>;
    const matching = (request.matching ?? {}) as { exclusive?: boolean; threshold?: number };
    const threshold = typeof matching.threshold === 'number' ? matching.threshold : 0;
    const vpPitch = voiceprints.map((vp) => Number(Buffer.from(vp.voiceprint, 'base64').toString().split(':')[3]) || undefined);
    // Confidence by pitch similarity where both pitches are known; otherwise the n-th speaker
    // to appear resembles the n-th voiceprint.
    const table = speakers.map((speaker, i) => {
      const f0 = pitch.get(speaker);
      const confidence = Object.fromEntries(voiceprints.map((vp, j) => [vp.label, f0 && vpPitch[j] ? pitchSimilarity(f0, vpPitch[j]!) : i === j ? 86 : 8 + ((i * 11 + j * 7) % 17)]));
      return { speaker, match: null as string | null, confidence };
    });
    // Greedy assignment, best pairs first. Threshold 0 means "always match" in the API; the fake
    // still leaves a speaker anonymous when no voiceprint is at least 30 similar.
    const pairs = table.flatMap((row) => Object.entries(row.confidence).map(([label, value]) => ({ row, label, value }))).sort((a, b) => b.value - a.value);
    const used = new Set<string>();
    for (const { row, label, value } of pairs) {
      if (row.match || value < Math.max(threshold, 30) || (matching.exclusive !== false && used.has(label))) continue;
      row.match = label;
      used.add(label);
    }
    const matchOf = new Map(table.map((r) => [r.speaker, r.match]));
    return {
      voiceprints: table,
      identification: regular.map((t) => ({ speaker: matchOf.get(t.speaker) ?? t.speaker, start: t.start, end: t.end, diarizationSpeaker: t.speaker, match: matchOf.get(t.speaker) ?? null })),
    };
  }

  function validateJob(type: FakeJobType, body: Record<string, unknown>): Problem[] {
    const problems: Problem[] = [];
    if (typeof body.url !== 'string' || !(MEDIA_PATTERN.test(body.url) || /^https?:\/\//.test(body.url))) problems.push({ field: 'url', message: 'Invalid URL' });
    if (body.model !== undefined && body.model !== null && !MODELS[type].includes(body.model as string)) problems.push({ field: 'model', message: `Must be one of ${MODELS[type].join(', ')}` });
    for (const field of ['numSpeakers', 'minSpeakers', 'maxSpeakers']) {
      const v = body[field];
      if (v !== undefined && v !== null && !(Number.isInteger(v) && (v as number) >= 1)) problems.push({ field, message: 'Must be an integer >= 1' });
    }
    if (typeof body.minSpeakers === 'number' && typeof body.maxSpeakers === 'number' && body.minSpeakers > body.maxSpeakers) problems.push({ field: 'minSpeakers', message: 'Must be <= maxSpeakers' });
    if (type === 'identify') {
      const vps = body.voiceprints;
      if (!Array.isArray(vps) || vps.length < 1 || vps.length > 50) problems.push({ field: 'voiceprints', message: 'Between 1 and 50 voiceprints are required' });
      else
        vps.forEach((vp: { label?: unknown; voiceprint?: unknown }, i) => {
          if (typeof vp?.label !== 'string' || !vp.label || vp.label.length > 100 || /^speaker_/i.test(vp.label)) problems.push({ field: `voiceprints[${i}].label`, message: 'Must be 1-100 chars and not start with SPEAKER_' });
          if (typeof vp?.voiceprint !== 'string' || vp.voiceprint.length > 20_000 || !Buffer.from(vp.voiceprint, 'base64').toString().startsWith(VOICEPRINT_PREFIX)) problems.push({ field: `voiceprints[${i}].voiceprint`, message: 'Invalid voiceprint' });
        });
      const threshold = (body.matching as { threshold?: unknown } | undefined)?.threshold;
      if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 100)) problems.push({ field: 'matching.threshold', message: 'Must be between 0 and 100' });
    }
    return problems;
  }

  function invalid(reply: (status: number, payload: unknown) => void, errors: Problem[]): void {
    counts.validationErrors++;
    reply(400, { message: 'Invalid request', errors });
  }

  const view = (job: Job): FakeJobView => ({ jobId: job.jobId, type: job.type, status: job.status, request: job.request, url: job.url, duration: job.duration, polls: job.polls, expired: job.expired });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseURL,
    apiKey,
    counts,
    requests,
    jobs: () => [...jobs.values()].map(view),
    expireJob(jobId) {
      for (const job of jobs.values()) if (!jobId || job.jobId === jobId) job.expired = true;
    },
    expireMedia(mediaUrl) {
      if (mediaUrl) media.delete(mediaUrl);
      else media.clear();
    },
    pause(...types) {
      held = new Set(types.length ? types : allTypes);
    },
    resume() {
      held = new Set();
    },
    addFaults(...more) {
      faults.push(...more.map((fault) => ({ fault, seen: 0 })));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Problem {
  field: string;
  message: string;
}

interface FakeTurn {
  speaker: string;
  start: number;
  end: number;
}

type AudioRead = { ok: true; duration: number; sha256: string; regions?: Region[]; f0?: number } | { ok: false; error: string };

/** Longest WAV the fake analyses (longer ones get rhythm-based turns). */
const ANALYSE_MAX_SECONDS = 900;

const analysed = new Map<string, AudioRead>();

/** Recognises common audio containers; anything else is rejected as the real API would fail it. */
export function readAudio(data: Buffer): AudioRead {
  const sha256 = createHash('sha256').update(data).digest('hex');
  // The analysis is deterministic: keep the last few results (benches resubmit the same audio).
  const known = analysed.get(sha256);
  if (known) return known;
  const result = analyseAudio(data, sha256);
  if (analysed.size >= 16) analysed.delete(analysed.keys().next().value!);
  analysed.set(sha256, result);
  return result;
}

function analyseAudio(data: Buffer, sha256: string): AudioRead {
  if (data.length < 16) return { ok: false, error: 'Could not decode audio: file is empty or truncated' };
  const wav = parseWavHeader(data);
  if (wav) {
    if (wav.duration <= 0) return { ok: false, error: 'Could not decode audio: no samples' };
    if (wav.formatTag !== 1 || wav.bitsPerSample !== 16 || wav.duration > ANALYSE_MAX_SECONDS) return { ok: true, duration: round2(wav.duration), sha256 };
    const pcm = decodePcm16(data, wav.dataOffset, wav.dataBytes, wav.sampleRate, wav.channels);
    const regions = speechRegions(pcm).map((r) => ({ ...r, f0: medianPitch(pcm, r.start, r.end) }));
    const f0s = regions.map((r) => r.f0).filter((f): f is number => f !== undefined).sort((a, b) => a - b);
    return { ok: true, duration: round2(wav.duration), sha256, regions, ...(f0s.length ? { f0: f0s[Math.floor(f0s.length / 2)]! } : {}) };
  }
  const head = data.subarray(0, 12);
  const ascii = head.toString('latin1');
  const known = ascii.startsWith('ID3') || (head[0] === 0xff && (head[1]! & 0xe0) === 0xe0) || ascii.startsWith('fLaC') || ascii.startsWith('OggS') || ascii.slice(4, 8) === 'ftyp' || ascii.startsWith('\x1aE\xdf\xa3');
  if (!known) return { ok: false, error: 'Could not decode audio: unsupported or corrupt media file' };
  // Compressed formats: estimate ~128 kbit/s.
  return { ok: true, duration: round2(Math.max(1, data.length / 16_000)), sha256 };
}

function speakerCount(request: Record<string, unknown>): number {
  const num = request.numSpeakers;
  if (typeof num === 'number') return num;
  const min = typeof request.minSpeakers === 'number' ? request.minSpeakers : 1;
  const max = typeof request.maxSpeakers === 'number' ? request.maxSpeakers : Number.POSITIVE_INFINITY;
  return Math.max(min, Math.min(2, max));
}

/**
 * Turns. For an analysed WAV: speech regions grouped into speakers by pitch, neighbouring
 * regions of one speaker (under 1 s apart) joined into one turn. For other media: a fixed
 * rhythm of 1.5–3.75 s turns, alternating speakers. Regular turns overlap the next speaker a
 * little at every third change of speaker; exclusive turns never overlap.
 */
function turnsFor(audio: Extract<AudioRead, { ok: true }>, count: number): { regular: FakeTurn[]; exclusive: FakeTurn[]; pitch: Map<string, number> } {
  const label = (i: number) => `SPEAKER_${String(i % count).padStart(2, '0')}`;
  const pitch = new Map<string, number>();
  const exclusive: FakeTurn[] = [];
  if (audio.regions) {
    const clusters = clusterByPitch(audio.regions, count);
    const f0s = new Map<string, number[]>();
    audio.regions.forEach((region, i) => {
      const speaker = label(clusters[i]!);
      if (region.f0) f0s.set(speaker, [...(f0s.get(speaker) ?? []), region.f0]);
      const last = exclusive[exclusive.length - 1];
      if (last && last.speaker === speaker && region.start - last.end < 1) last.end = region.end;
      else exclusive.push({ speaker, start: region.start, end: region.end });
    });
    for (const [speaker, values] of f0s) pitch.set(speaker, values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!);
  } else {
    let t = Math.min(0.2, audio.duration / 10);
    for (let i = 0; t < audio.duration - 0.3; i++) {
      const end = Math.min(t + 1.5 + ((i * 7919) % 10) / 4, audio.duration - 0.1);
      if (end - t < 0.2) break;
      exclusive.push({ speaker: label(i), start: round2(t), end: round2(end) });
      t = end + 0.3;
    }
  }
  const regular = exclusive.map((turn, i) => {
    const next = exclusive[i + 1];
    if (next && i % 3 === 2 && next.speaker !== turn.speaker) return { ...turn, end: round2(Math.min(next.end, Math.max(turn.end, next.start) + 0.3)) };
    return { ...turn };
  });
  return { regular, exclusive, pitch };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** An ApiError / ValidationErrorResponse body whose message names the key it was asked with. */
function echoed(payload: unknown, key: string): unknown {
  const body = payload && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : {};
  const message = typeof body.message === 'string' ? body.message : 'Request failed';
  return { ...body, message: `API key ${key}: ${message}` };
}

function send(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
