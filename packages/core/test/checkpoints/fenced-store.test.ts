import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { fencedStore } from '../../src/checkpoints/fenced-store.js';
import { keys } from '../../src/checkpoints/keys.js';
import { acquireRunLock, type Lease } from '../../src/checkpoints/lock.js';
import { openStore, type Store } from '../../src/checkpoints/store.js';
import { isSpxError } from '../../src/errors/errors.js';

const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: unknown) => (isSpxError(e) ? e.code : String(e)),
  );

describe('checkpoints/fenced-store', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-fence-'));
    // Entries live 400 ms unless a write says otherwise; the lease's heartbeat keeps renewing it.
    store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}`, ttlMs: 400 });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes with the store time-to-live or the one a write asks for, deletes, and reports what it deleted', async () => {
    const lock = await acquireRunLock(store, 'f1', { heartbeatMs: 50 });
    const fenced = fencedStore(store, lock);
    await fenced.set('test:short', 'a');
    await fenced.set('test:kept', 'b', { ttlMs: 0 });
    expect(await store.get('test:short')).to.equal('a');
    await new Promise((r) => setTimeout(r, 700));
    expect(await store.get('test:short'), 'expired with the store TTL').to.equal(undefined);
    expect(await store.get('test:kept'), 'kept forever').to.equal('b');
    expect(await fenced.delete('test:kept')).to.equal(true);
    expect(await fenced.delete('test:kept'), 'nothing left to delete').to.equal(false);
    await lock.release();
  });

  it('refuses writes and deletes with LEASE_LOST once another process holds the lease, and leaves its entries alone', async () => {
    const lock = await acquireRunLock(store, 'f2', { heartbeatMs: 60_000 });
    const fenced = fencedStore(store, lock);
    await fenced.set('test:mine', 'v1');
    await store.set(keys.lock('f2'), { token: 'thief', pid: 1, host: 'another-host', since: new Date().toISOString(), heartbeat: Date.now() } satisfies Lease);
    expect(await codeOf(fenced.set('test:mine', 'v2'))).to.equal('LEASE_LOST');
    expect(await codeOf(fenced.delete('test:mine'))).to.equal('LEASE_LOST');
    expect(await store.get('test:mine')).to.equal('v1');
    await lock.release();
    expect((await store.get<Lease>(keys.lock('f2')))?.token).to.equal('thief');
  });
});
