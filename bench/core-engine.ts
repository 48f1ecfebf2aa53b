// Engine figures: median checkpoint write latency (SQLite via Keyv, a realistic run state) and
// the overhead of a 100-stage no-op pipeline (first run, and a fully reused resume), with the
// in-memory store as the baseline measured in the same run.
// Run: node --import tsx bench/core-engine.ts
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definePlugin } from '@spx/core';
import { loadPipeline, openStore, runPipeline, type Store } from '@spx/core/engine';

const noop = definePlugin({
  name: 'bench-noop',
  version: '1.0.0',
  apiVersion: 1,
  stages: {
    'noop/pass': {
      description: 'Does nothing but return a small JSON output.',
      params: { type: 'object', properties: { n: { type: 'integer' }, after: {} } },
      outputs: { value: { kind: 'json', description: 'n' } },
      run: async (ctx) => ({ outputs: { value: (ctx.params as { n: number }).n } }),
    },
  },
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function writeLatency(store: Store, count: number): Promise<number> {
  const state = { stages: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`s${i}`, { fingerprint: 'f'.repeat(64), artifacts: [{ path: `/tmp/x${i}`, bytes: 1, sha256: 'a'.repeat(64) }] }])) };
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await store.set(`run:bench${i % 10}`, { ...state, i });
    times.push(performance.now() - t);
  }
  return median(times);
}

async function pipelineOverhead(dir: string, url: string, stages: number): Promise<{ first: number; resume: number }> {
  const lines = ['spx: 1', 'name: noop', 'version: 1.0.0', 'inputs:', '  doc: { type: file }', 'stages:'];
  for (let i = 0; i < stages; i++) lines.push(`  s${i}:`, '    uses: noop/pass', `    with: { n: ${i}${i ? `, after: "\${{ stages.s${i - 1}.outputs.value }}"` : ''} }`);
  const file = join(dir, `noop-${stages}.yaml`);
  await writeFile(file, lines.join('\n'));
  await writeFile(join(dir, 'doc.txt'), 'x');
  const pipeline = await loadPipeline(file, { builtins: [noop] });
  const store = await openStore({ url });
  const options = { pipeline, inputs: { doc: join(dir, 'doc.txt') }, store, workDir: join(dir, 'work') };
  let t = performance.now();
  await runPipeline(options);
  const first = performance.now() - t;
  t = performance.now();
  const resumed = await runPipeline(options);
  const resume = performance.now() - t;
  if (resumed.reused.length !== stages) throw new Error('resume did not reuse every stage');
  await store.close();
  return { first, resume };
}

const dir = await mkdtemp(join(tmpdir(), 'spx-bench-'));
try {
  const sqlite = await openStore({ url: `sqlite://${join(dir, 'lat.sqlite')}` });
  const memory = await openStore({ url: 'memory://' });
  const sqliteMs = await writeLatency(sqlite, 300);
  const memoryMs = await writeLatency(memory, 300);
  await sqlite.close();
  console.log('checkpoint write (run state, median of 300)');
  console.log(`  sqlite  ${sqliteMs.toFixed(3)} ms   (target < 5 ms)`);
  console.log(`  memory  ${memoryMs.toFixed(3)} ms   baseline; ratio ${(sqliteMs / memoryMs).toFixed(1)}×`);
  await pipelineOverhead(dir, 'memory://', 10); // warm-up (JIT, module loading)
  const mem = await pipelineOverhead(dir, 'memory://', 100);
  const sql = await pipelineOverhead(dir, `sqlite://${join(dir, 'p.sqlite')}`, 100);
  console.log('100-stage no-op pipeline (target < 1 s)');
  console.log(`  sqlite  first run ${sql.first.toFixed(0)} ms, full resume ${sql.resume.toFixed(0)} ms`);
  console.log(`  memory  first run ${mem.first.toFixed(0)} ms, full resume ${mem.resume.toFixed(0)} ms   baseline; ratio ${(sql.first / mem.first).toFixed(1)}×`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
