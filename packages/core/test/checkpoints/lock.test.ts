import { hostname } from 'node:os';
import { expect } from 'chai';
import { acquireRunLock, leaseIsStale, type Lease } from '../../src/checkpoints/lock.js';
import { keys } from '../../src/checkpoints/keys.js';
import { isSpxError } from '../../src/errors/errors.js';
import { workspace, type Workspace } from '../helpers.js';

describe('checkpoints/lock', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(() => ws.cleanup());

  it('refuses a second holder with the holder pid, host and age', async () => {
    const held = await acquireRunLock(ws.store, 'r1');
    const error = await acquireRunLock(ws.store, 'r1').catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('RUN_LOCKED');
    expect(isSpxError(error) && error.exitCode).to.equal(4);
    expect((error as Error).message).to.contain(`pid ${process.pid}`).and.contain(hostname());
    await held.release();
    const again = await acquireRunLock(ws.store, 'r1');
    await again.release();
  });

  it('waits for a holder that releases within --wait', async () => {
    const held = await acquireRunLock(ws.store, 'r2');
    setTimeout(() => void held.release(), 150);
    let waited = false;
    const second = await acquireRunLock(ws.store, 'r2', { waitMs: 3000, onWait: () => (waited = true) });
    expect(waited).to.equal(true);
    await second.release();
  });

  it('takes over the lease of a dead process or a stale heartbeat', async () => {
    const dead: Lease = { token: 'x', pid: 2 ** 22 + 12345, host: hostname(), since: new Date().toISOString(), heartbeat: Date.now() };
    expect(leaseIsStale(dead, 15_000)).to.equal(true);
    await ws.store.set(keys.lock('r3'), dead);
    const taken = await acquireRunLock(ws.store, 'r3');
    await taken.release();
    const remote: Lease = { token: 'y', pid: 1, host: 'another-host', since: new Date().toISOString(), heartbeat: Date.now() - 60_000 };
    expect(leaseIsStale(remote, 15_000)).to.equal(true);
    expect(leaseIsStale({ ...remote, heartbeat: Date.now() }, 15_000)).to.equal(false);
  });
});
