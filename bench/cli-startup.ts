// CLI cold start: wall time of `spx --version` (tsx registration + oclif, no command loaded)
// and of `spx checkpoints list` on an empty store (loads @spx/core and opens SQLite), each
// against a bare `node -e 0`. Runs are interleaved so machine load hits all alike; medians
// and the ratio to bare node are printed, with CPU time (user+sys, from /usr/bin/time when
// present), which a busy machine inflates far less than wall time. The load average is printed too.
// By default it times the workspace's bin (TypeScript through tsx); --bin times another, e.g. the
// compiled one of an npm install of the packed tarballs (scripts/pack.ts).
//   node --import tsx bench/cli-startup.ts          # 15 runs each
//   node --import tsx bench/cli-startup.ts --runs 5
//   node --import tsx bench/cli-startup.ts --bin /tmp/prefix/node_modules/@spx/cli/bin/run.js
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const binArg = process.argv.indexOf('--bin');
const SPX = binArg > 0 ? resolve(process.argv[binArg + 1]!) : fileURLToPath(new URL('../packages/cli/bin/run.js', import.meta.url));
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Math.max(1, Number(process.argv[runsArg + 1]) || 15) : 15;

interface Case {
  name: string;
  args: string[];
}

const cwd = mkdtempSync(join(tmpdir(), 'spx-bench-startup-'));
const cases: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'spx --version', args: [SPX, '--version'] },
  { name: 'spx checkpoints list', args: [SPX, 'checkpoints', 'list', '--store', `sqlite://${join(cwd, 'state.sqlite')}`] },
];

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

function once(c: Case): { wall: number; cpu?: number } {
  const [command, args] = TIME ? [TIME, ['-f', 'cpu %U %S', process.execPath, ...c.args]] : [process.execPath, c.args];
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OCLIF_COLUMNS: '80' } });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${c.name} exited ${result.status}: ${result.stderr.toString()}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr.toString());
  return cpu ? { wall, cpu: (Number(cpu[1]) + Number(cpu[2])) * 1000 } : { wall };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

try {
  for (const c of cases) once(c); // warm the file system cache; not counted
  const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  const cpuTimes = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const c of cases) {
      const { wall, cpu } = once(c);
      times.get(c.name)!.push(wall);
      if (cpu !== undefined) cpuTimes.get(c.name)!.push(cpu);
    }
  }
  const cpuOf = (name: string) => (cpuTimes.get(name)!.length ? `${median(cpuTimes.get(name)!).toFixed(0)} ms` : 'n/a');
  const base = median(times.get('node -e 0')!);
  process.stdout.write(`${SPX}\n`);
  process.stdout.write(`CLI startup, median of ${RUNS} runs each (Node ${process.version}, ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(2)})\n\n`);
  process.stdout.write(`${'command'.padEnd(24)} ${'median'.padStart(10)} ${'min'.padStart(10)} ${'max'.padStart(10)} ${'× node'.padStart(8)} ${'cpu'.padStart(9)}\n`);
  for (const c of cases) {
    const values = times.get(c.name)!;
    const m = median(values);
    process.stdout.write(`${c.name.padEnd(24)} ${`${m.toFixed(0)} ms`.padStart(10)} ${`${Math.min(...values).toFixed(0)} ms`.padStart(10)} ${`${Math.max(...values).toFixed(0)} ms`.padStart(10)} ${(m / base).toFixed(1).padStart(8)} ${cpuOf(c.name).padStart(9)}\n`);
  }
  const spx = median(times.get('spx --version')!);
  process.stdout.write(`\nspx --version: ${spx.toFixed(0)} ms vs node -e 0: ${base.toFixed(0)} ms (ratio ${(spx / base).toFixed(1)}×, overhead ${(spx - base).toFixed(0)} ms)\n`);
} finally {
  rmSync(cwd, { recursive: true, force: true });
}
