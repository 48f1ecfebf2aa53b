// A lease per run in the store, so two processes never work on the same run at once, on one host
// or many. A holder on this host keeps its lease for as long as its process lives (a paused or busy
// process is not a dead one); a holder on another host keeps it while its heartbeat is fresh.
// Taking, renewing and releasing a lease are compare-and-set operations done by the store itself
// (store.cas): a lease is taken only if the entry read is still there unchanged, so of two
// processes that both saw a free or dead lease exactly one gets it, and a heartbeat or release
// never touches a lease another process took meanwhile. Every checkpoint write is fenced by the
// lease (fenced-store.ts): the backend writes it only while the lease is still this holder's,
// checked in the same operation, so a holder that lost its lease stops without writing.
// Runs of one process that share a run id (identical inputs in a batch) wait for each other here.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SpxError } from '../errors/errors.js';
import { sleep } from '../util/sleep.js';
import { processAlive, selfIdentity } from '../util/process.js';
import { keys } from './keys.js';
import type { CasEntry, Fence } from './cas/index.js';
import type { Store } from './store.js';

export interface Lease {
  token: string;
  pid: number;
  host: string;
  since: string;
  heartbeat: number;
  /** The holder's start time (clock ticks since boot), so a reused pid is not taken for it. */
  startTicks?: number;
  /** The pipeline file the holder runs. */
  pipeline?: string;
}

export interface LockOptions {
  /** How long to wait for a live holder before refusing (ms). 0 refuses at once. */
  waitMs?: number;
  heartbeatMs?: number;
  /** Heartbeat age after which a holder on another host is taken for dead (default SPX_LEASE_STALE_MS or 15 s). */
  staleMs?: number;
  signal?: AbortSignal;
  /** Called once when the run is held by another process and we wait for it. */
  onWait?: (holder: Lease) => void;
  /** Called when another process took the lease while we held it. */
  onLost?: (error: SpxError) => void;
  /** Recorded in the lease for messages. */
  pipeline?: string;
}

export interface HeldLock {
  readonly token: string;
  /** What a write fenced by this lease checks (store.cas.setFenced). */
  readonly fence: Fence;
  /** Resolves while this process holds the lease; throws LEASE_LOST once another process holds it. */
  assertHeld(): Promise<void>;
  release(): Promise<void>;
}

const DEFAULT_STALE_MS = 15_000;

/** Heartbeat age after which a holder on another host is taken for dead. */
export function defaultStaleMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.SPX_LEASE_STALE_MS);
  return env.SPX_LEASE_STALE_MS && Number.isFinite(value) && value >= 100 ? value : DEFAULT_STALE_MS;
}

/** Leases held by this process, by store and run: runs of one batch that share an id queue here. */
const heldHere = new Map<string, { token: string; released: Promise<void> }>();

export function leaseIsStale(lease: Lease, staleMs = defaultStaleMs(), now = Date.now()): boolean {
  if (!lease || typeof lease !== 'object' || typeof lease.token !== 'string') return true;
  if (lease.host === hostname()) {
    if (lease.pid === process.pid) return ![...heldHere.values()].some((h) => h.token === lease.token);
    return !processAlive(lease.pid, typeof lease.startTicks === 'number' ? lease.startTicks : undefined);
  }
  return !(now - lease.heartbeat <= staleMs);
}

function lockedError(runId: string, holder: Lease): SpxError {
  const age = Math.round((Date.now() - Date.parse(holder.since)) / 1000);
  return new SpxError('RUN_LOCKED', `Run ${runId} is in use by pid ${holder.pid} on ${holder.host} (started ${Number.isFinite(age) ? age : '?'}s ago).`, {
    hint: 'Wait for it to finish (or pass --wait SECONDS), or stop that process; a dead holder is taken over automatically.',
    retryable: true,
  });
}

export async function acquireRunLock(store: Store, runId: string, options: LockOptions = {}): Promise<HeldLock> {
  const key = keys.lock(runId);
  const local = `${store.url}\n${runId}`;
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const staleMs = options.staleMs ?? defaultStaleMs();
  const deadline = Date.now() + (options.waitMs ?? 0);
  const token = randomUUID();
  let waited = false;
  const wait = async (holder: Lease) => {
    if (Date.now() >= deadline) throw lockedError(runId, holder);
    if (!waited) options.onWait?.(holder);
    waited = true;
  };
  // Our own process first: identical inputs of one batch take turns instead of refusing each other.
  let mine: () => void = () => undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const held = heldHere.get(local);
    if (!held) break;
    if (!waited) options.onWait?.((await store.get<Lease>(key)) ?? { token: held.token, pid: process.pid, host: hostname(), since: new Date().toISOString(), heartbeat: Date.now() });
    waited = true;
    await abortable(held.released, options.signal);
  }
  heldHere.set(local, { token, released: new Promise<void>((resolve) => (mine = resolve)) });
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const current = await store.cas.read<Lease>(key);
      const holder = current && !current.expired ? current.value : undefined;
      if (!holder || leaseIsStale(holder, staleMs)) {
        const lease: Lease = { token, ...selfIdentity(), host: hostname(), since: new Date().toISOString(), heartbeat: Date.now(), ...(options.pipeline ? { pipeline: options.pipeline } : {}) };
        const taken = await store.cas.swap(key, current, lease);
        if (taken) return hold(store, key, taken, heartbeatMs, options.onLost, () => release());
        // Another process wrote the lease between our read and our write: look again.
        continue;
      }
      await wait(holder);
      await sleep(Math.min(500, heartbeatMs), options.signal);
    }
  } catch (error) {
    release();
    throw error;
  }

  function release() {
    if (heldHere.get(local)?.token === token) heldHere.delete(local);
    mine();
  }
}

function hold(store: Store, key: string, taken: CasEntry<Lease>, heartbeatMs: number, onLost: LockOptions['onLost'], releaseHere: () => void): HeldLock {
  const lease = taken.value!;
  let current: CasEntry<unknown> = taken;
  let stopped = false;
  let lost: SpxError | undefined;
  let beating: Promise<void> | undefined;
  const lose = (holder: Lease | undefined) => {
    if (lost) return lost;
    lost = new SpxError('LEASE_LOST', `Another process${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''} took over this run while this one was paused or cut off; this one stopped without writing.`, {
      hint: 'Let the other process finish (spx checkpoints show <id> tells its state), then run the same command again if needed.',
    });
    clearInterval(timer);
    onLost?.(lost);
    return lost;
  };
  /** The lease as stored now, when it is still ours (a write whose answer was lost still counts). */
  const ours = async () => {
    const seen = await store.cas.read<Lease>(key);
    return seen && !seen.expired && seen.value?.token === lease.token ? seen : undefined;
  };
  const beat = async () => {
    const renewed = await store.cas.swap(key, current, { ...lease, heartbeat: Date.now() });
    if (renewed) return void (current = renewed);
    const seen = await ours();
    if (seen) current = seen;
    else if (!stopped) lose((await store.cas.read<Lease>(key))?.value);
  };
  const timer = setInterval(() => {
    if (stopped || beating || lost) return;
    beating = beat()
      .catch(() => undefined)
      .finally(() => (beating = undefined));
  }, heartbeatMs);
  timer.unref();
  return {
    token: lease.token,
    fence: { key, token: lease.token },
    async assertHeld() {
      if (lost) throw lost;
      if (!(await ours())) throw lose((await store.cas.read<Lease>(key))?.value);
    },
    async release() {
      stopped = true;
      clearInterval(timer);
      await beating;
      releaseHere();
      if (lost) return;
      if (await store.cas.remove(key, current).catch(() => false)) return;
      const seen = await ours().catch(() => undefined);
      if (seen) await store.cas.remove(key, seen).catch(() => undefined);
    },
  };
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
