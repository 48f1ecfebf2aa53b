// The lease race, shared by test/fault/lease-race.test.ts (a quick version) and
// bench/lease-race.ts (8 processes × 500 attempts): N contender processes
// (test/support/lease-race-worker.ts) on one run id, half of them on another hostname (a UTS
// namespace of their own, where the kernel allows it), so a holder is judged by its pid on its own
// host and by its heartbeat elsewhere. Each contender kills itself once while holding the lease and
// is restarted for its remaining attempts: the others must take the dead holder's lease over, and
// only one of them may get it. Every hold is logged; no two may overlap.
import { spawn, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from './cli.js';

const WORKER = join(REPO, 'test', 'support', 'lease-race-worker.ts');
const OTHER_HOST = 'spx-race-b';

export interface Hold {
  start: number;
  end: number;
  pid: number;
  host: string;
}

export interface RaceResult {
  holds: Hold[];
  overlaps: Array<[Hold, Hold]>;
  /** Contenders that failed other than by their own planned crash. */
  problems: string[];
}

/** Whether this process may give a child a hostname of its own (root in a kernel that allows it). */
export function canSetHostname(): boolean {
  return spawnSync('unshare', ['--uts', 'sh', '-c', `hostname ${OTHER_HOST}`], { stdio: 'ignore' }).status === 0;
}

function runWorker(args: string[], otherHost: boolean): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const node = [process.execPath, '--import', 'tsx', WORKER, ...args];
  const [command, ...rest] = otherHost ? ['unshare', '--uts', 'sh', '-c', `hostname ${OTHER_HOST} && exec "$@"`, 'sh', ...node] : node;
  const child = spawn(command!, rest, { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
}

const tail = (text: string) => text.trim().split('\n').slice(-3).join(' | ');

/** One contender: runs until its attempts are used up, restarted once after its own crash. */
async function contender(url: string, runId: string, attempts: number, log: string, index: number, otherHost: boolean): Promise<string[]> {
  const crashAt = Math.floor(attempts * (0.2 + 0.6 * Math.random()));
  const problems: string[] = [];
  const first = await runWorker([url, runId, String(attempts), String(crashAt), log], otherHost);
  // A worker that never got the lease by its crash attempt does not crash; both ends are fine.
  if (first.signal !== 'SIGKILL' && first.code !== 0) problems.push(`worker ${index} exited ${first.code}: ${tail(first.stderr)}`);
  if (first.signal === 'SIGKILL') {
    const rest = await runWorker([url, runId, String(attempts - crashAt - 1), '-1', log], otherHost);
    if (rest.code !== 0) problems.push(`worker ${index} (restarted) exited ${rest.code ?? rest.signal}: ${tail(rest.stderr)}`);
  }
  return problems;
}

/** Pairs of logged holds that overlap in time. */
export function overlaps(holds: Hold[]): Array<[Hold, Hold]> {
  const sorted = [...holds].sort((a, b) => a.start - b.start);
  const found: Array<[Hold, Hold]> = [];
  let latest: Hold | undefined;
  for (const hold of sorted) {
    if (latest && hold.start < latest.end) found.push([latest, hold]);
    if (!latest || hold.end > latest.end) latest = hold;
  }
  return found;
}

export async function leaseRace(options: { url: string; log: string; processes: number; attempts: number; twoHosts: boolean; runId?: string }): Promise<RaceResult> {
  await writeFile(options.log, '');
  const runId = options.runId ?? 'race0000run1';
  const problems = (await Promise.all(Array.from({ length: options.processes }, (_, i) => contender(options.url, runId, options.attempts, options.log, i, options.twoHosts && i % 2 === 1)))).flat();
  const holds = (await readFile(options.log, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line): Hold => {
      const [start, end, pid, host] = line.split(' ');
      return { start: Number(start), end: Number(end), pid: Number(pid), host: host! };
    });
  return { holds, overlaps: overlaps(holds), problems };
}

export function describeOverlap([a, b]: [Hold, Hold]): string {
  return `${a.host}/${a.pid} [${a.start}, ${a.end}] overlaps ${b.host}/${b.pid} [${b.start}, ${b.end}]`;
}
