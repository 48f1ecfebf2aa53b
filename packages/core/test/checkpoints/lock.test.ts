import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { expect } from 'chai';
import { acquireRunLock, leaseIsStale, type Lease } from '../../src/checkpoints/lock.js';
import { keys } from '../../src/checkpoints/keys.js';
import { isSpxError } from '../../src/errors/errors.js';
import { processAlive, selfIdentity } from '../../src/util/process.js';
import { workspace, type Workspace } from '../helpers.js';

/** A process that stays alive until killed, and a zombie: a child its (alive) parent never reaps. */
async function liveAndZombie(): Promise<{ live: ChildProcess; zombiePid: number; stop(): void }> {
  const live = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const zombiePid = await new Promise<number>((resolve) => live.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  // Give the short-lived child time to exit (it stays a zombie: `sleep 30` never waits for it).
  for (let i = 0; i < 100 && processAlive(zombiePid); i++) await new Promise((r) => setTimeout(r, 20));
  return { live, zombiePid, stop: () => void live.kill('SIGKILL') };
}

describe('checkpoints/lock', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(() => ws.cleanup());

  it('refuses while another live process on this host holds the run, whatever its heartbeat age', async () => {
    const { live, stop } = await liveAndZombie();
    try {
      const paused: Lease = { token: 'other', pid: live.pid!, host: hostname(), since: new Date(Date.now() - 60_000).toISOString(), heartbeat: Date.now() - 60_000 };
      await ws.store.set(keys.lock('r1'), paused);
      const error = await acquireRunLock(ws.store, 'r1', { staleMs: 1000 }).catch((e: unknown) => e);
      expect(isSpxError(error) && error.code).to.equal('RUN_LOCKED');
      expect(isSpxError(error) && error.exitCode).to.equal(4);
      expect((error as Error).message).to.contain(`pid ${live.pid}`).and.contain(hostname());
    } finally {
      stop();
    }
  });

  it('takes over from a zombie holder (killed, not yet reaped) and from a reused pid', async () => {
    const { zombiePid, live, stop } = await liveAndZombie();
    try {
      expect(processAlive(zombiePid), 'a zombie is not alive').to.equal(false);
      await ws.store.set(keys.lock('r2'), { token: 'z', pid: zombiePid, host: hostname(), since: new Date().toISOString(), heartbeat: Date.now() } satisfies Lease);
      const taken = await acquireRunLock(ws.store, 'r2');
      await taken.release();
      // The pid is alive but it is not the process that took the lease (another start time).
      const startTicks = (selfIdentity().startTicks ?? 0) + 12345;
      await ws.store.set(keys.lock('r2'), { token: 'r', pid: live.pid!, startTicks, host: hostname(), since: new Date().toISOString(), heartbeat: Date.now() } satisfies Lease);
      const again = await acquireRunLock(ws.store, 'r2');
      await again.release();
    } finally {
      stop();
    }
  });

  it('queues runs of this process that share a run id, and waits for a holder within --wait', async () => {
    const held = await acquireRunLock(ws.store, 'r3');
    let released = false;
    setTimeout(() => void held.release().then(() => (released = true)), 150);
    let waited = false;
    const second = await acquireRunLock(ws.store, 'r3', { onWait: () => (waited = true) });
    expect(waited).to.equal(true);
    expect(released).to.equal(true);
    await second.release();
  });

  it('stops a holder whose lease another process took: assertHeld throws LEASE_LOST', async () => {
    const held = await acquireRunLock(ws.store, 'r4', { heartbeatMs: 50 });
    let lost: unknown;
    const watched = await acquireRunLock(ws.store, 'r5', { heartbeatMs: 50, onLost: (e) => (lost = e) });
    await ws.store.set(keys.lock('r4'), { token: 'thief', pid: 1, host: 'another-host', since: new Date().toISOString(), heartbeat: Date.now() } satisfies Lease);
    const error = await held.assertHeld().catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('LEASE_LOST');
    await ws.store.set(keys.lock('r5'), { token: 'thief', pid: 1, host: 'another-host', since: new Date().toISOString(), heartbeat: Date.now() } satisfies Lease);
    for (let i = 0; i < 400 && !lost; i++) await new Promise((r) => setTimeout(r, 25));
    expect(isSpxError(lost) && lost.code, 'the heartbeat notices').to.equal('LEASE_LOST');
    // A holder that lost the lease never deletes the new holder's.
    await held.release();
    await watched.release();
    expect((await ws.store.get<Lease>(keys.lock('r4')))?.token).to.equal('thief');
  });

  it('judges a holder on another host by its heartbeat', () => {
    const remote: Lease = { token: 'y', pid: 1, host: 'another-host', since: new Date().toISOString(), heartbeat: Date.now() - 60_000 };
    expect(leaseIsStale(remote, 15_000)).to.equal(true);
    expect(leaseIsStale({ ...remote, heartbeat: Date.now() }, 15_000)).to.equal(false);
    const dead: Lease = { token: 'x', pid: 2 ** 22 + 12345, host: hostname(), since: new Date().toISOString(), heartbeat: Date.now() };
    expect(leaseIsStale(dead, 15_000)).to.equal(true);
  });
});
