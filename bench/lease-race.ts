// Lease race, full size: 8 processes × 500 attempts on one run id on each store backend (SQLite,
// Redis, a real Postgres 15 server), half the processes on another hostname where `unshare --uts`
// is allowed, each crashing once while it holds the lease. Prints holds, distinct holders and
// overlapping holds per backend (test/support/lease-race.ts).
// Run: node --import tsx bench/lease-race.ts [--processes 8] [--attempts 500]
// Target: 0 overlapping holds on every backend.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canSetHostname, describeOverlap, leaseRace } from '../test/support/lease-race.js';
import { startPostgres } from '../test/support/postgres.js';
import { startRedis } from '../test/support/redis.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const processes = Number(flag('processes', '8'));
const attempts = Number(flag('attempts', '500'));
const twoHosts = canSetHostname();
const dir = await mkdtemp(join(tmpdir(), 'spx-race-bench-'));
const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
let failed = false;
console.log(`${processes} processes × ${attempts} attempts on one run id${twoHosts ? ', on two hostnames' : ' (one hostname: unshare --uts is not allowed here)'}`);
try {
  for (const [backend, url] of [['sqlite', `sqlite://${join(dir, 'race.sqlite')}`], ['redis', redis.url], ['postgres', postgres.url]] as const) {
    const started = Date.now();
    const r = await leaseRace({ url, log: join(dir, `${backend}.log`), processes, attempts, twoHosts });
    const holders = new Set(r.holds.map((h) => h.pid)).size;
    const hosts = new Set(r.holds.map((h) => h.host)).size;
    console.log(`${backend.padEnd(8)} ${r.holds.length} holds by ${holders} processes on ${hosts} hostname(s), ${r.overlaps.length} overlapping, ${r.problems.length} failed contenders, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const o of r.overlaps.slice(0, 3)) console.log(`  ${describeOverlap(o)}`);
    for (const p of r.problems.slice(0, 3)) console.log(`  ${p}`);
    if (r.overlaps.length || r.problems.length) failed = true;
  }
} finally {
  await Promise.all([redis.stop(), postgres.stop()]);
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
