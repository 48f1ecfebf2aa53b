// The same resume tests on both store backends: SQLite (default) and Redis (a redis-server
// started here on a free loopback port, no persistence). Kill -9 at random moments on the
// test-plugin pipeline and on the standard pipeline against the fake servers, key listing by
// prefix past one SCAN page, and a store that goes away mid-run failing with a clear message.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openStore } from '@spx/core/engine';
import { textPipeline } from '../../packages/core/test/helpers.js';
import { REPO, startSpx } from '../support/cli.js';
import { firstMessageLine } from '../support/bad-inputs.js';
import { killTrial, referenceRun } from '../support/kill9.js';
import { redisAvailable, startRedis, type RedisServer } from '../support/redis.js';
import { TEXT_EXPECTED, textKillTrial } from '../support/text-kill.js';

const TEXT_TRIALS = Number(process.env.SPX_BACKEND_TRIALS ?? 1);

describe('fault: store backends', function () {
  this.timeout(300_000);
  let redis: RedisServer | undefined;
  let reference: Awaited<ReturnType<typeof referenceRun>>;

  before(async function () {
    if (!redisAvailable()) throw new Error('redis-server is not installed: run scripts/setup.sh');
    redis = await startRedis();
    reference = await referenceRun();
  });
  after(async () => {
    await redis?.stop();
  });

  for (const backend of ['sqlite', 'redis'] as const) {
    describe(backend, () => {
      const url = () => (backend === 'redis' ? redis!.url : undefined);
      beforeEach(() => redis?.flush());

      it(`kill -9 and resume, test-plugin pipeline (${TEXT_TRIALS} trial${TEXT_TRIALS === 1 ? "" : "s"}): same output, no saved work repeated`, async () => {
        for (let i = 0; i < TEXT_TRIALS; i++) {
          redis?.flush();
          const r = await textKillTrial({ ...(url() ? { storeUrl: url()! } : {}) });
          expect(r.failures, `trial ${i}`).to.deep.equal([]);
          expect(r.repeated, `trial ${i}: saved work ran again`).to.deep.equal([]);
          expect(r.output, `trial ${i}`).to.equal(TEXT_EXPECTED);
        }
      });

      it('kill -9 and resume, standard pipeline against the fakes: identical exports, no paid call repeated', async () => {
        const r = await killTrial({ reference: reference.outputs, windowMs: reference.wallMs, maxKills: 2, ...(url() ? { storeUrl: url()! } : {}) });
        expect(r.failures).to.deep.equal([]);
        expect(r.corrupt).to.deep.equal([]);
        expect(r.duplicatePaid).to.equal(0);
        expect(r.differing, `${r.kills} kills, ${r.runs} runs; last ${r.last}`).to.deep.equal([]);
      });

      it('lists every key of a prefix, past one iterator page', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'spx-keys-'));
        const store = await openStore({ url: url() ?? `sqlite://${join(dir, 'state.sqlite')}` });
        try {
          await Promise.all(Array.from({ length: 1200 }, (_, i) => store.set(`step:r1:s:${i}`, { i })));
          await store.set('run:r1', { id: 'r1' });
          await store.set('step-other', 1);
          const found: string[] = [];
          for await (const key of store.keys('step:r1:')) found.push(key);
          expect(found).to.have.length(1200);
          expect(new Set(found).size).to.equal(1200);
          expect(await store.get('step:r1:s:1199')).to.deep.equal({ i: 1199 });
        } finally {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        }
      });
    });
  }

  it('a closed Redis store leaves no timer holding the process open', async () => {
    // @keyv/redis's connectionTimeout option leaks an uncleared 3 s timer per connection, which
    // kept every finished `spx run --store redis://…` alive 3 s longer; spx no longer uses it.
    const script = `import { openStore } from '@spx/core/engine';
      const store = await openStore({ url: ${JSON.stringify(redis!.url)} });
      await store.set('probe:x', 1);
      await store.close();
      setImmediate(() => console.log(JSON.stringify(process.getActiveResourcesInfo())));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, encoding: 'utf8' });
    expect(child.status, child.stderr).to.equal(0);
    const resources = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as string[];
    expect(resources.filter((r) => r === 'Timeout')).to.deep.equal([]);
  });

  it('an empty --store / SPX_STORE means the default SQLite store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spx-empty-store-'));
    try {
      const store = await openStore({ url: '', cwd: dir });
      expect(store.url).to.equal(`sqlite://${join(dir, '.spx', 'state.sqlite')}`);
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a Redis store that goes away mid-run fails the run with a clear message (exit 3) within seconds, not a hang', async () => {
    const own = await startRedis();
    const dir = await mkdtemp(join(tmpdir(), 'spx-redis-gone-'));
    try {
      await writeFile(join(dir, 'pipeline.yaml'), textPipeline({ delayMs: 400, steps: 8 }));
      await writeFile(join(dir, 'talk.md'), 'store going away\n');
      await writeFile(join(dir, 'ledger.txt'), '');
      const { done } = startSpx(['run', 'pipeline.yaml', 'talk.md', '--store', own.url], { cwd: dir, env: { SPX_TEST_LEDGER: join(dir, 'ledger.txt') } });
      // Stop the server once the run is under way.
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const keys = Number(spawnSync('redis-cli', ['-p', String(own.port), 'dbsize']).stdout.toString().trim()) || 0;
        if (keys >= 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await own.stop();
      const result = await done;
      expect(result.code, result.stderr + result.stdout).to.equal(3);
      expect(firstMessageLine(result)).to.match(/STORE_UNREACHABLE.*redis:\/\/127\.0\.0\.1:\d+/);
      expect(result.stderr).to.not.match(/^\s+at .+:\d+:\d+\)?$/m);
    } finally {
      await own.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
