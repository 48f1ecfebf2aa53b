// Scale-out: a batch of short inputs through the standard pipeline against fakes that answer like
// the real APIs (transcription 1.5 s, diarization after two polls 1 s apart), run by 1, 2, 4 and 8
// `spx worker` processes (test/support/scale-out.ts) on one Redis holding queue and store. Prints
// throughput per worker count and its ratio to one worker's. Then the same batch with a worker
// SIGKILLed about every --kill-every ms and restarted, every other worker on another hostname
// where `unshare --uts` is allowed: every input must complete, its exports identical to the
// one-worker run (itself checked against a local run of the first inputs), with 0 paid calls
// repeated after their checkpoint was saved.
// Run: node --import tsx bench/scale-out.ts [--inputs 200] [--workers 1,2,4,8] [--kill-every 10000] [--kill-workers 4]
// Target: ratio ≥ 0.9 × N while neither the fakes nor the machine's cores are the bottleneck; 0 duplicates.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { canSetHostname } from '../test/support/lease-race.js';
import { startRedis } from '../test/support/redis.js';
import { SCALE_LATENCY_MS, localExports, makeInputs, scaleRun } from '../test/support/scale-out.js';
import { diffOutputs, startFakes } from '../test/support/standard.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const count = Number(flag('inputs', '200'));
const counts = flag('workers', '1,2,4,8').split(',').map(Number);
const killEveryMs = Number(flag('kill-every', '10000'));
const killWorkers = Number(flag('kill-workers', '4'));
const dir = await mkdtemp(join(tmpdir(), 'spx-scale-bench-'));
const [redis, fakes] = await Promise.all([startRedis(), startFakes({ openai: { latencyMs: SCALE_LATENCY_MS } })]);
let failed = false;
try {
  const inputs = await makeInputs(join(dir, 'in'), count);
  console.log(`${count} inputs of 4 s, standard pipeline, fakes at ${SCALE_LATENCY_MS} ms per transcription; ${availableParallelism()} cores`);
  let reference: Map<string, Buffer> | undefined;
  let base = 0;
  for (const workers of counts) {
    const r = await scaleRun({ dir, inputs, workers, redis, fakes });
    const perMinute = (r.completed / r.wallMs) * 60_000;
    if (!reference) {
      reference = r.outputs;
      base = perMinute;
      const sample = inputs.slice(0, Math.min(5, inputs.length));
      const local = await localExports(dir, sample, fakes);
      const differing = [...local.keys()].filter((name) => !r.outputs.get(name)?.equals(local.get(name)!));
      console.log(`local run of the first ${sample.length} inputs: ${differing.length ? `DIFFERS in ${differing.join(', ')}` : 'exports identical to the queued run'}`);
      if (differing.length) failed = true;
    }
    const differing = diffOutputs(reference, r.outputs);
    if (r.code !== 0 || r.completed !== count || differing.length) failed = true;
    if (r.code !== 0) await showProblems(r, `${workers}-workers`);
    console.log(`${String(workers).padStart(2)} worker(s): ${r.completed}/${count} in ${(r.wallMs / 1000).toFixed(1)} s = ${perMinute.toFixed(1)} inputs/min, ${(perMinute / base).toFixed(2)}× one worker (target ≥ ${(0.9 * workers).toFixed(1)}×)${differing.length ? `, ${differing.length} exports differ` : ''}${r.code !== 0 ? `, exit ${r.code}` : ''}`);
  }
  const twoHosts = canSetHostname();
  const r = await scaleRun({ dir, inputs, workers: killWorkers, redis, fakes, killEveryMs, hostnames: twoHosts });
  const differing = reference ? diffOutputs(reference, r.outputs) : [];
  if (r.code !== 0 || r.completed !== count || differing.length || r.duplicatePaid) failed = true;
  if (r.code !== 0) await showProblems(r, 'kills');
  if (r.duplicatePaid) {
    const file = join(tmpdir(), `spx-scale-out-repeats-${process.pid}.log`);
    await writeFile(file, r.duplicateReport);
    console.log(`   what was paid again, and every worker's log: ${file}`);
  }
  console.log(`${killWorkers} workers, one SIGKILLed about every ${killEveryMs / 1000} s and restarted (${r.kills} kills; hostnames ${[...r.hosts].join(', ')}): ${r.completed}/${count} completed in ${(r.wallMs / 1000).toFixed(1)} s, exports ${differing.length ? `DIFFER (${differing.length} files)` : 'identical'}, ${r.duplicatePaid} checkpointed paid calls repeated, ${r.inFlightRepeats} in-flight answers paid again${r.code !== 0 ? `, exit ${r.code}: ${r.stderr.slice(-300)}` : ''}`);
} finally {
  await Promise.all([redis.stop(), fakes.close()]);
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

/** Prints the report's lines for inputs that did not complete and keeps the whole output of the submitting process. */
async function showProblems(r: { stdout: string; stderr: string }, name: string): Promise<void> {
  for (const line of problemLines(r.stdout, r.stderr)) console.log(`   ${line}`);
  const file = join(tmpdir(), `spx-scale-out-${name}-${process.pid}.log`);
  await writeFile(file, `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n`);
  console.log(`   the submitting process's output: ${file}`);
}

/** The report's lines for inputs that did not complete, and the error output. */
function problemLines(stdout: string, stderr: string): string[] {
  const rows = stdout.split('\n').filter((l) => /^\S+\s+(failed|error|interrupted)\s/.test(l) || /^✖|^■/.test(l));
  return [...rows.slice(0, 5), ...stderr.trim().split('\n').slice(-3)].filter(Boolean);
}
