// A tiny async job API on 127.0.0.1 for the remote-job kit's tests and the docs example: upload
// a text file, submit a job that upper-cases it, poll it, cancel it. Jobs are counted, can be
// held running, made to fail, or forgotten (404), as a real service might.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeShoutJob {
  id: string;
  status: 'queued' | 'running' | 'done' | 'error' | 'canceled';
  upload: string;
  polls: number;
  text?: string;
  error?: string;
}

export interface FakeShoutOptions {
  /** Polls a job answers `running` before it ends (default 2). */
  steps?: number;
  /** How jobs end (default 'done'). */
  outcome?: 'done' | 'error';
  /** Jobs stay `running` while true. */
  hold?: boolean;
  /** How long an upload is kept, ms (default one day). */
  uploadTtlMs?: number;
  /** Every job is unknown (404) from its first poll on. */
  forgetAll?: boolean;
  /** Called before each request is answered (e.g. to interrupt a client at its n-th poll). */
  onRequest?: (method: string, path: string, fake: FakeShout) => void;
}

export interface FakeShout {
  baseURL: string;
  apiKey: string;
  options: FakeShoutOptions;
  jobs: FakeShoutJob[];
  counts: { requests: number; uploads: number; jobs: number; polls: number; cancels: number };
  /** The job answers 404 from now on. */
  forget(id: string): void;
  close(): Promise<void>;
}

export async function startFakeShout(options: FakeShoutOptions = {}): Promise<FakeShout> {
  const uploads = new Map<string, { text: string; expiresAt: number }>();
  const forgotten = new Set<string>();
  const fake: FakeShout = {
    baseURL: '',
    apiKey: 'shout-test-key',
    options,
    jobs: [],
    counts: { requests: 0, uploads: 0, jobs: 0, polls: 0, cancels: 0 },
    forget: (id) => void forgotten.add(id),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const send = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0]!;
    fake.counts.requests++;
    options.onRequest?.(method, path, fake);
    if (req.headers.authorization !== `Bearer ${fake.apiKey}`) return send(res, 401, { error: 'invalid API key' });
    const jobPath = /^\/v1\/jobs\/([\w-]+)(\/cancel)?$/.exec(path);
    if (method === 'POST' && path === '/v1/uploads') {
      fake.counts.uploads++;
      const url = `upload://${randomUUID()}`;
      const expiresAt = Date.now() + (options.uploadTtlMs ?? 86_400_000);
      uploads.set(url, { text: body, expiresAt });
      return send(res, 200, { url, expiresAt });
    }
    if (method === 'POST' && path === '/v1/jobs') {
      const upload = (JSON.parse(body || '{}') as { url?: string }).url ?? '';
      const job: FakeShoutJob = { id: randomUUID(), status: 'queued', upload, polls: 0 };
      fake.jobs.push(job);
      fake.counts.jobs++;
      return send(res, 200, { id: job.id, status: job.status });
    }
    const job = jobPath ? fake.jobs.find((j) => j.id === jobPath[1]) : undefined;
    if (jobPath && (!job || forgotten.has(job.id) || options.forgetAll)) return send(res, 404, { error: 'no such job' });
    if (job && method === 'POST' && jobPath?.[2]) {
      fake.counts.cancels++;
      if (job.status === 'queued' || job.status === 'running') job.status = 'canceled';
      return send(res, 200, job);
    }
    if (job && method === 'GET' && !jobPath?.[2]) {
      fake.counts.polls++;
      advance(job, uploads.get(job.upload), options);
      return send(res, 200, job);
    }
    send(res, 404, { error: `no route ${method} ${path}` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function advance(job: FakeShoutJob, upload: { text: string; expiresAt: number } | undefined, options: FakeShoutOptions): void {
  if (job.status !== 'queued' && job.status !== 'running') return;
  job.polls++;
  job.status = 'running';
  if (options.hold || job.polls <= (options.steps ?? 2)) return;
  if (!upload || upload.expiresAt < Date.now()) Object.assign(job, { status: 'error', error: `upload ${job.upload} is unknown or expired` });
  else if (options.outcome === 'error') Object.assign(job, { status: 'error', error: 'the text could not be shouted' });
  else Object.assign(job, { status: 'done', text: upload.text.toUpperCase() });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
