// Leases under contention, on every store backend (SQLite, Redis, a real Postgres server): 8
// processes on one run id, half of them on another hostname where the kernel allows it, each
// crashing once while it holds the lease (test/support/lease-race.ts). Every hold is logged; no two
// may overlap. A quick version (SPX_RACE_ATTEMPTS, default 40 attempts each); bench/lease-race.ts
// runs 500. Then fenced writes on each backend: a takeover that comes between a holder's decision
// to write and the write reaching the store never lets the write land after the takeover.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fencedStore } from '../../packages/core/src/checkpoints/fenced-store.js';
import { keys } from '../../packages/core/src/checkpoints/keys.js';
import { acquireRunLock, type Lease } from '../../packages/core/src/checkpoints/lock.js';
import { openStore, type Store } from '../../packages/core/src/checkpoints/store.js';
import { isSpxError } from '../../packages/core/src/errors/errors.js';
import { canSetHostname, describeOverlap, leaseRace, overlaps, type Hold } from '../support/lease-race.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { startRedis, type RedisServer } from '../support/redis.js';

const PROCESSES = Number(process.env.SPX_RACE_PROCESSES ?? 8);
const ATTEMPTS = Number(process.env.SPX_RACE_ATTEMPTS ?? 40);

describe(`fault: lease race (${PROCESSES} processes × ${ATTEMPTS} attempts on one run)`, function () {
  this.timeout(300_000);
  let redis: RedisServer;
  let postgres: PostgresServer;
  let dir: string;
  const twoHosts = canSetHostname();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-race-'));
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  });
  after(async () => {
    await Promise.all([redis?.stop(), postgres?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('logs overlapping holds as overlapping (the check can fail)', () => {
    const hold = (start: number, end: number): Hold => ({ start, end, pid: 1, host: 'h' });
    expect(overlaps([hold(0, 2), hold(3, 4), hold(5, 9)])).to.have.length(0);
    expect(overlaps([hold(0, 10), hold(3, 4), hold(5, 9)])).to.have.length(2);
  });

  for (const backend of ['sqlite', 'redis', 'postgres'] as const) {
    it(`${backend}: never two holders at once${twoHosts ? ', on two hostnames' : ''}, and dead holders are taken over`, async () => {
      const url = backend === 'sqlite' ? `sqlite://${join(dir, 'race.sqlite')}` : backend === 'redis' ? redis.url : postgres.url;
      const { holds, overlaps: bad, problems } = await leaseRace({ url, log: join(dir, `${backend}.log`), processes: PROCESSES, attempts: ATTEMPTS, twoHosts });
      expect(problems).to.deep.equal([]);
      expect(bad.slice(0, 3).map(describeOverlap), `${bad.length} overlapping holds of ${holds.length}`).to.deep.equal([]);
      // The race was real: many holds, by many processes, on both hostnames.
      expect(holds.length, 'holds logged').to.be.greaterThan(PROCESSES * 5);
      // (On a loaded machine some contenders may never win; half of them must.)
      expect(new Set(holds.map((h) => h.pid)).size, 'distinct holders').to.be.at.least(PROCESSES / 2);
      if (twoHosts) expect(new Set(holds.map((h) => h.host)).size, 'hostnames holding').to.equal(2);
    });
  }

  for (const backend of ['memory', 'sqlite', 'redis', 'postgres'] as const) {
    it(`${backend}: a write fenced by a lease never lands after another process took the lease over`, async () => {
      const url = backend === 'memory' ? 'memory://' : backend === 'sqlite' ? `sqlite://${join(dir, 'fence.sqlite')}` : backend === 'redis' ? redis.url : postgres.url;
      const store = await openStore({ url });
      const other = backend === 'memory' ? store : await openStore({ url });
      try {
        for (const runId of ['fence-set', 'fence-delete']) {
          const key = `test:${runId}`;
          await store.set(key, 'before');
          // The takeover lands right after the holder's next store operation has completed: with a
          // check and a write as two operations, between them.
          let armed = false;
          let seenAtTakeover: unknown = 'no takeover';
          const takeOver = async () => {
            const thief: Lease = { token: `thief-${runId}`, pid: 1, host: 'another-host', since: new Date().toISOString(), heartbeat: Date.now() + 60_000 };
            await other.set(keys.lock(runId), thief);
            seenAtTakeover = await other.get(key);
          };
          const hooked = hookAfterEachOperation(store, async () => {
            if (!armed) return;
            armed = false;
            await takeOver();
          });
          const lock = await acquireRunLock(hooked, runId, { heartbeatMs: 60_000 });
          const fenced = fencedStore(hooked, lock);
          armed = true;
          const first = await (runId === 'fence-set' ? fenced.set(key, 'after') : fenced.delete(key)).then(
            () => 'written',
            (e: unknown) => (isSpxError(e) ? e.code : String(e)),
          );
          expect(seenAtTakeover, 'the takeover happened').to.not.equal('no takeover');
          expect(await other.get(key), `${runId}: what the store holds after the takeover (the first write was ${first})`).to.deep.equal(seenAtTakeover);
          const late = await fenced.set(key, 'late').then(
            () => 'written',
            (e: unknown) => (isSpxError(e) ? e.code : String(e)),
          );
          expect(late, 'a write after the takeover').to.equal('LEASE_LOST');
          expect(await other.get(key)).to.deep.equal(seenAtTakeover);
          await lock.release();
          expect((await other.get<Lease>(keys.lock(runId)))?.token, 'the new holder keeps its lease').to.equal(`thief-${runId}`);
        }
      } finally {
        await store.close();
        if (other !== store) await other.close();
      }
    });
  }

  for (const backend of ['sqlite', 'redis', 'postgres'] as const) {
    it(`${backend}: a holder writing as fast as it can while another connection takes its lease over writes nothing after the takeover`, async () => {
      const url = backend === 'sqlite' ? `sqlite://${join(dir, 'fence-race.sqlite')}` : backend === 'redis' ? redis.url : postgres.url;
      const [holderStore, other] = await Promise.all([openStore({ url }), openStore({ url })]);
      try {
        for (let round = 0; round < 15; round++) {
          const runId = `fence-race-${round}`;
          const key = `test:${runId}`;
          const lock = await acquireRunLock(holderStore, runId, { heartbeatMs: 60_000 });
          const fenced = fencedStore(holderStore, lock);
          let n = 0;
          const writer = (async () => {
            for (;;) await fenced.set(key, ++n);
          })().catch((e: unknown) => (isSpxError(e) ? e.code : String(e)));
          await new Promise((r) => setTimeout(r, 5 + Math.random() * 25));
          // A takeover as another host's acquirer makes it: read the lease, swap it for its own.
          const seen = await other.cas.read<Lease>(keys.lock(runId));
          const thief: Lease = { token: `thief-${round}`, pid: 1, host: 'another-host', since: new Date().toISOString(), heartbeat: Date.now() + 60_000 };
          expect(await other.cas.swap(keys.lock(runId), seen, thief), 'the takeover').to.not.equal(undefined);
          const atTakeover = await other.get<number>(key);
          expect(await writer, 'how the holder stopped').to.equal('LEASE_LOST');
          expect(await other.get<number>(key), `round ${round}: the value after the holder stopped`).to.equal(atTakeover);
          await lock.release();
        }
      } finally {
        await Promise.all([holderStore.close(), other.close()]);
      }
    });
  }
});

/** The store, with `after` awaited once each of its operations (reads, writes, compare-and-set) has completed. */
function hookAfterEachOperation(store: Store, after: () => Promise<void>): Store {
  const hook =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const result = await fn(...args);
      await after();
      return result;
    };
  const { cas } = store;
  return {
    ...store,
    get: hook(store.get) as Store['get'],
    set: hook(store.set),
    delete: hook(store.delete),
    cas: { read: hook(cas.read) as Store['cas']['read'], swap: hook(cas.swap), remove: hook(cas.remove), setFenced: hook(cas.setFenced), deleteFenced: hook(cas.deleteFenced) },
  };
}
