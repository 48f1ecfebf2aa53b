// A lease per run in the store, so two processes never work on the same run at once.
// The holder refreshes a heartbeat; a lease whose heartbeat is stale, or whose pid is dead
// on this host, is taken over. Acquisition writes then re-reads to confirm ownership.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SpxError } from '../errors/errors.js';
import { sleep } from '../util/sleep.js';
import { keys } from './keys.js';
import type { Store } from './store.js';
import { processAlive } from '../util/process.js';

export interface Lease {
  token: string;
  pid: number;
  host: string;
  since: string;
  heartbeat: number;
}

export interface LockOptions {
  /** How long to wait for a live holder before refusing (ms). 0 refuses at once. */
  waitMs?: number;
  heartbeatMs?: number;
  staleMs?: number;
  signal?: AbortSignal;
  onWait?: (holder: Lease) => void;
}

export interface HeldLock {
  release(): Promise<void>;
}

export function leaseIsStale(lease: Lease, staleMs: number, now = Date.now()): boolean {
  if (now - lease.heartbeat > staleMs) return true;
  return lease.host === hostname() && lease.pid !== process.pid && !processAlive(lease.pid);
}

export async function acquireRunLock(store: Store, runId: string, options: LockOptions = {}): Promise<HeldLock> {
  const key = keys.lock(runId);
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const staleMs = options.staleMs ?? 15_000;
  const deadline = Date.now() + (options.waitMs ?? 0);
  const token = randomUUID();
  let waited = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const holder = await store.get<Lease>(key);
    if (!holder || holder.token === token || leaseIsStale(holder, staleMs)) {
      const lease: Lease = { token, pid: process.pid, host: hostname(), since: new Date().toISOString(), heartbeat: Date.now() };
      await store.set(key, lease);
      await sleep(30 + Math.random() * 40);
      const confirmed = await store.get<Lease>(key);
      if (confirmed?.token === token) return hold(store, key, lease, heartbeatMs);
      continue;
    }
    if (Date.now() >= deadline) {
      const age = Math.round((Date.now() - Date.parse(holder.since)) / 1000);
      throw new SpxError('RUN_LOCKED', `Run ${runId} is in use by pid ${holder.pid} on ${holder.host} (started ${age}s ago).`, {
        hint: 'Wait for it to finish (or pass --wait), or stop that process; a dead holder is taken over automatically.',
        retryable: true,
      });
    }
    if (!waited) options.onWait?.(holder);
    waited = true;
    await sleep(Math.min(500, heartbeatMs), options.signal);
  }
}

function hold(store: Store, key: string, lease: Lease, heartbeatMs: number): HeldLock {
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped) return;
    store.set(key, { ...lease, heartbeat: Date.now() }).catch(() => undefined);
  }, heartbeatMs);
  timer.unref();
  return {
    async release() {
      stopped = true;
      clearInterval(timer);
      const current = await store.get<Lease>(key).catch(() => undefined);
      if (current?.token === lease.token) await store.delete(key).catch(() => undefined);
    },
  };
}
