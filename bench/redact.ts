// What redaction costs on the hot path: every store write passes its value through redactValue.
// Median time of redacting a large run state (a 200-stage state with a long transcript in its
// outputs, a few registered secrets) and of writing it to SQLite with and without redaction,
// for sizes from 0.1 to 10 MB, to show the cost stays linear and small beside the write.
// Run: node --import tsx bench/redact.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactValue, registerSecret } from '@spx/core/redact';
import { openStore } from '@spx/core/engine';

// Keyv and its SQLite adapter as core uses them (same pragmas), for the write without redaction.
interface KeyvLike {
  set(key: string, value: unknown): Promise<unknown>;
  disconnect(): Promise<void>;
}
const fromCore = createRequire(new URL('../packages/core/package.json', import.meta.url));
const { default: Keyv } = (await import(fromCore.resolve('keyv'))) as { default: new (options: object) => KeyvLike };
const { default: KeyvSqlite } = (await import(fromCore.resolve('@keyv/sqlite'))) as { default: new (options: object) => { query(sql: string): Promise<unknown> } };

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

async function timed(runs: number, fn: () => unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** A run state of about `words` × 60 bytes: 200 stage records and a transcript's segments. */
function runState(words: number) {
  const segments = Array.from({ length: Math.ceil(words / 10) }, (_, i) => ({
    start: i * 3.1,
    end: i * 3.1 + 2.9,
    speaker: `SPEAKER_0${i % 3}`,
    text: 'alpha bravo charlie delta echo foxtrot golf hotel india juliet',
    words: Array.from({ length: 10 }, (_, w) => ({ text: ['alpha', 'bravo', 'charlie', 'delta', 'echo'][w % 5], start: i * 3.1 + w * 0.29, end: i * 3.1 + w * 0.29 + 0.25 })),
  }));
  const stages = Object.fromEntries(
    Array.from({ length: 200 }, (_, i) => [`stage-${i}`, { status: 'completed', fingerprint: 'f'.repeat(64), params: { model: 'whisper-1', baseURL: 'https://api.openai.com/v1' }, artifacts: [{ name: 'out.json', path: `/tmp/spx/runs/abc/stage-${i}/out.json`, bytes: 1234, sha256: 'a'.repeat(64) }], error_message: null }]),
  );
  return { schema: 'spx-run-state', schemaVersion: 1, id: 'abc123def456', stages, outputs: { transcript: { segments } } };
}

registerSecret('sk-proj-BENCHsecret0123456789abcdef', 'OPENAI_API_KEY');
registerSecret('pk-BENCH-pyannote-secret-42', 'PYANNOTEAI_API_KEY');
registerSecret('r8_BENCHreplicateToken0123456789', 'REPLICATE_API_TOKEN');

const dir = await mkdtemp(join(tmpdir(), 'spx-bench-redact-'));
const store = await openStore({ url: `sqlite://${join(dir, 'with.sqlite')}`, ttlMs: 0 });
const adapter = new KeyvSqlite({ uri: `sqlite://${join(dir, 'without.sqlite')}`, busyTimeout: 10_000 });
await adapter.query('PRAGMA journal_mode=WAL');
await adapter.query('PRAGMA synchronous=NORMAL');
const raw = new Keyv({ store: adapter, namespace: 'spx', useKeyPrefix: true });
console.log('| run state | redactValue | SQLite write with redaction | without | redaction share |');
console.log('|---|---|---|---|---|');
for (const words of [2_000, 20_000, 200_000]) {
  const state = runState(words);
  const mb = JSON.stringify(state).length / 1e6;
  const redactMs = await timed(7, () => redactValue(state));
  // Alternating, so both see the same machine load.
  const withTimes: number[] = [];
  const withoutTimes: number[] = [];
  for (let i = 0; i < 7; i++) {
    withTimes.push(await timed(1, () => store.set('run:bench', state)));
    withoutTimes.push(await timed(1, () => raw.set('run:bench', state)));
  }
  const [withMs, withoutMs] = [median(withTimes), median(withoutTimes)];
  console.log(`| ${mb.toFixed(1)} MB | ${redactMs.toFixed(1)} ms | ${withMs.toFixed(1)} ms | ${withoutMs.toFixed(1)} ms | ${((redactMs / withMs) * 100).toFixed(0)} % |`);
}
await store.close();
await raw.disconnect();
await rm(dir, { recursive: true, force: true });
