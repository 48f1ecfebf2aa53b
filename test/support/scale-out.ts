// One batch of the standard pipeline through queue workers against the fake APIs, shared by
// bench/scale-out.ts and test/fault/scale-out.test.ts: short distinct inputs cut from the sample,
// N `spx worker` processes (optionally every other one on another hostname) on one Redis that
// holds the queue and the store, one shared work dir, optionally a worker SIGKILLed (with its run
// processes) every so often and restarted. Counts paid calls repeated after their checkpoint was
// saved: before each kill the store's saved chunk hashes and job ids are read, and every later
// paid answer for one of them is a duplicate. (An answer in flight at a kill, never saved, may be
// paid again; it is counted apart.)
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { spx } from './cli.js';
import { startWorker, type WorkerProcess } from './queue.js';
import type { RedisServer } from './redis.js';
import { SAMPLE, STANDARD, paidState, readOutputs, type Fakes } from './standard.js';

/** Real-looking fakes: the transcription answers after LATENCY, diarization after a few polls a second apart. */
export const SCALE_LATENCY_MS = 1500;
export const SCALE_SETS = ['--set', 'transcribe.maxDuration=6', '--set', 'diarize.pollIntervalMs=1000', '--set', 'diarize.maxPollIntervalMs=1000'];

/** `count` distinct inputs of `seconds` each, cut from the sample at different offsets. */
export async function makeInputs(dir: string, count: number, seconds = 4): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(dir, `in-${String(i).padStart(3, '0')}.wav`);
    const offset = ((i * 0.137) % 28).toFixed(3);
    const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-ss', offset, '-t', String(seconds), '-i', SAMPLE, '-ac', '1', '-ar', '16000', path]);
    if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr.toString()}`);
    paths.push(path);
  }
  return paths;
}

export interface ScaleRunOptions {
  dir: string;
  inputs: string[];
  workers: number;
  redis: RedisServer;
  fakes: Fakes;
  /** SIGKILL a random worker this often, then start a new one (0: never). */
  killEveryMs?: number;
  /** Every other worker on another hostname (unshare --uts). */
  hostnames?: boolean;
}

export interface ScaleRunResult {
  wallMs: number;
  code: number | null;
  stdout: string;
  stderr: string;
  completed: number;
  kills: number;
  /** Paid answers for work whose checkpoint was already saved (must be 0). */
  duplicatePaid: number;
  /** What each of those was, and every worker's log, to find out why. */
  duplicateReport: string;
  /** Paid answers repeated because they were in flight at a kill. */
  inFlightRepeats: number;
  /** Export file name → bytes. */
  outputs: Map<string, Buffer>;
  hosts: Set<string>;
}

export async function scaleRun(options: ScaleRunOptions): Promise<ScaleRunResult> {
  const { redis, fakes } = options;
  redis.flush();
  const work = join(options.dir, 'work');
  const out = join(options.dir, 'out');
  await rm(work, { recursive: true, force: true });
  await rm(out, { recursive: true, force: true });
  const env = { ...fakes.env, SPX_LEASE_STALE_MS: '3000' };
  let started = 0;
  const hosts = new Set<string>();
  const launch = () => {
    const hostname = options.hostnames && started++ % 2 === 1 ? 'spx-worker-b' : undefined;
    return startWorker({ queue: redis.url, store: redis.url, workDir: work, cwd: options.dir, env, lockDurationS: 8, graceS: 10, ...(hostname ? { hostname } : {}) });
  };
  const pool: WorkerProcess[] = Array.from({ length: options.workers }, launch);
  const all = [...pool];
  await Promise.all(pool.map((w) => w.ready));
  const requestsAt0 = fakes.openai.requests.length;
  const jobsAt0 = fakes.pyannote.jobs().length;
  const snapshots: Array<{ requests: number; jobs: number; hashes: Set<string>; jobIds: Set<string> }> = [];
  const t0 = Date.now();
  const submitted = spx(['run', STANDARD, ...options.inputs, '--queue', redis.url, '--out', out, ...SCALE_SETS], { cwd: options.dir, env });
  let done = false;
  let kills = 0;
  const killer = (async () => {
    while (options.killEveryMs && !done) {
      await new Promise((r) => setTimeout(r, options.killEveryMs! * (0.7 + 0.6 * Math.random())));
      if (done) break;
      // The saved work first, then how many calls the fakes have seen: everything the scan found saved
      // was paid for by a call counted here, so a call past these counts for saved work is a repeat.
      // (Counted the other way round, a call made and saved while the scan ran looked like one.)
      const saved = await paidState(redis.url);
      const requests = fakes.openai.requests.length;
      const jobs = fakes.pyannote.jobs().length;
      snapshots.push({ requests, jobs, hashes: saved.chunkHashes, jobIds: saved.jobIds });
      const index = Math.floor(Math.random() * pool.length);
      pool[index]!.kill();
      await pool[index]!.exited;
      kills++;
      const next = launch();
      pool[index] = next;
      all.push(next);
      await next.ready;
    }
  })();
  const result = await submitted;
  const wallMs = Date.now() - t0;
  done = true;
  await killer;
  for (const w of pool) w.term();
  await Promise.all(all.map((w) => w.exited));
  for (const line of result.stdout.split('\n')) {
    const m = /\(worker ([^/]+)\/\d+\)/.exec(line);
    if (m) hosts.add(m[1]!);
  }

  // Paid answers after a snapshot for work that snapshot saw saved.
  let duplicatePaid = 0;
  const answers = fakes.openai.requests.slice(requestsAt0).map((r, i) => ({ index: requestsAt0 + i, ok: r.status === 200 && Boolean(r.sha256), hash: r.sha256 ?? '' }));
  const repeats: string[] = [];
  for (const a of answers) {
    if (a.ok && snapshots.some((s) => s.requests <= a.index && s.hashes.has(a.hash))) {
      duplicatePaid++;
      repeats.push(`transcription of chunk sha256 ${a.hash} (request ${a.index})`);
    }
  }
  const jobs = fakes.pyannote.jobs().slice(jobsAt0);
  const jobUrl = new Map(jobs.map((j) => [j.jobId, `${j.type} ${j.url}`]));
  for (const [i, job] of jobs.entries()) {
    const index = jobsAt0 + i;
    const earlier = snapshots.find((s) => s.jobs <= index && [...s.jobIds].some((id) => id !== job.jobId && jobUrl.get(id) === `${job.type} ${job.url}`));
    if (earlier) {
      duplicatePaid++;
      repeats.push(`${job.type} job ${job.jobId} for ${job.url}, after a snapshot holding ${[...earlier.jobIds].filter((id) => id !== job.jobId && jobUrl.get(id) === `${job.type} ${job.url}`).join(', ')}`);
    }
  }
  const okAnswers = answers.filter((a) => a.ok);
  const inFlightRepeats = okAnswers.length - new Set(okAnswers.map((a) => a.hash)).size;
  const names = await readdir(out).catch(() => [] as string[]);
  const completed = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.replace(/\.json$/, ''))).size;
  const duplicateReport = repeats.length ? [...repeats, ...all.map((w, i) => `--- worker ${i}\n${w.output()}`)].join('\n') : '';
  return { wallMs, code: result.code, stdout: result.stdout, stderr: result.stderr, completed, kills, duplicatePaid, duplicateReport, inFlightRepeats, outputs: await readOutputs(out), hosts };
}

/** The exports of the same inputs run locally (one `spx run` batch, SQLite store). */
export async function localExports(dir: string, inputs: string[], fakes: Fakes): Promise<Map<string, Buffer>> {
  const out = join(dir, 'local-out');
  const r = await spx(['run', STANDARD, ...inputs, '--out', out, '--concurrency', '4', '--store', `sqlite://${join(dir, 'local.sqlite')}`, '--work-dir', join(dir, 'local-work'), ...SCALE_SETS], { cwd: dir, env: fakes.env });
  if (r.code !== 0) throw new Error(`local run failed (${r.code}): ${r.stderr.slice(-500)}`);
  return readOutputs(out);
}
