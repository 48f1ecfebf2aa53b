// Which run directories belong to which store. spx writes `<workDir>/runs/<runId>/.spx-run.json`
// when it creates a run directory, naming the run and the store (a random id kept in the store,
// plus where the store is). Cleanup and delete remove a directory only when its marker names that
// run and this store: user data, directories of older spx versions and the runs of another store
// sharing the work dir are left alone.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../artifacts/atomic.js';
import { runArtifactsDir, stageArtifactsDir } from '../artifacts/paths.js';
import { SpxError, isSpxError } from '../errors/errors.js';
import { keys } from './keys.js';
import type { Store } from './store.js';
import { urlCredentials } from '../errors/redact.js';

export const RUN_MARKER = '.spx-run.json';
const MARKER_SCHEMA = 'spx-run-dir';
const STORE_ID = /^[0-9a-f]{24}$/;

export interface RunMarker {
  schema: typeof MARKER_SCHEMA;
  schemaVersion: 1;
  runId: string;
  /** The random id kept in the store under `meta:store-id`. */
  storeId: string;
  /** Where that store is (`sqlite:///abs/path`, `redis://host:port`), without credentials. */
  store: string;
  createdAt: string;
}

export interface StoreIdentity {
  /** Undefined while the store has never made a run directory. */
  id: string | undefined;
  location: string;
}

/**
 * Where a store is, as a marker records it: SQLite by absolute path, servers by host, port and
 * database, never with credentials. A marker names both this and the store's random id, so
 * writing another store's id into a shared store does not make its runs this store's.
 */
export function storeLocation(url: string): string {
  if (url === 'memory://' || url === 'memory') return 'memory://';
  if (/^[a-z]+:\/\//i.test(url) && !url.startsWith('sqlite://')) {
    // The userinfo ends at the last `@`: a raw `@` or `/` in a password must not become the host.
    const credentials = urlCredentials(url);
    const bare = credentials ? `${url.slice(0, url.indexOf('://') + 3)}${url.slice(credentials.at + 1)}` : url;
    try {
      const parsed = new URL(bare);
      return `${parsed.protocol}//${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname === '/' ? '' : parsed.pathname}`;
    } catch {
      return bare.replace(/[?#].*$/, '');
    }
  }
  return `sqlite://${resolve(url.startsWith('sqlite://') ? url.slice('sqlite://'.length) : url)}`;
}

const created = new WeakMap<Store, Promise<StoreIdentity>>();
/**
 * The store's identity; with `create`, one is made (kept without expiry) if it has none yet. Two
 * processes creating it at once race by compare-and-set: exactly one id is written, and both go on
 * with it.
 */
export async function storeIdentity(store: Store, options: { create?: boolean } = {}): Promise<StoreIdentity> {
  const location = storeLocation(store.url);
  const existing = await store.get<unknown>(keys.storeId);
  if (typeof existing === 'string' && STORE_ID.test(existing)) return { id: existing, location };
  if (!options.create) return { id: undefined, location };
  let pending = created.get(store);
  if (!pending) {
    pending = (async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        const current = await store.cas.read<unknown>(keys.storeId);
        const value = current && !current.expired ? current.value : undefined;
        if (typeof value === 'string' && STORE_ID.test(value)) return { id: value, location };
        // None yet, or junk: replace exactly what was read; if another process wrote first, read theirs.
        const taken = await store.cas.swap(keys.storeId, current, randomBytes(12).toString('hex'), 0);
        if (taken) return { id: taken.value, location };
      }
      return { id: undefined, location };
    })();
    created.set(store, pending);
  }
  return pending;
}

/**
 * Makes `<workDir>/runs/<runId>` for a run about to work, refusing (PATH_UNSAFE) a symlink at
 * runs/, runs/<id> or any of its stage directories, and writes the ownership marker when this call
 * created the directory (or found it empty, as a process killed right after creating it leaves it).
 */
export async function claimRunDir(store: Store, workDir: string, runId: string, stageIds: readonly string[]): Promise<string> {
  const dir = runArtifactsDir(workDir, runId);
  for (const stage of stageIds) stageArtifactsDir(workDir, runId, stage);
  await mkdir(dirname(dir), { recursive: true });
  let created = false;
  try {
    await mkdir(dir);
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  runArtifactsDir(workDir, runId);
  if (!(await lstat(dir)).isDirectory()) {
    throw new SpxError('PATH_UNSAFE', `${dir} is not a directory.`, { hint: `Move it out of the way; spx keeps the artifacts of run ${runId} there.` });
  }
  if (created || (await readdir(dir)).length === 0) await writeMarker(store, dir, runId);
  return dir;
}

/** Claims an existing run directory that has no marker yet (an imported run's copied directory). */
export async function adoptRunDir(store: Store, workDir: string, runId: string): Promise<boolean> {
  const dir = runArtifactsDir(workDir, runId);
  const info = await lstat(dir).catch(() => undefined);
  if (!info?.isDirectory() || (await lstat(join(dir, RUN_MARKER)).catch(() => undefined))) return false;
  await writeMarker(store, dir, runId);
  return true;
}

async function writeMarker(store: Store, dir: string, runId: string): Promise<void> {
  const identity = await storeIdentity(store, { create: true });
  if (!identity.id) return;
  const marker: RunMarker = { schema: MARKER_SCHEMA, schemaVersion: 1, runId, storeId: identity.id, store: identity.location, createdAt: new Date().toISOString() };
  await writeFileAtomic(join(dir, RUN_MARKER), `${JSON.stringify(marker, null, 2)}\n`);
}

/** The marker of a run directory, when it is a small regular file holding one. */
export async function readRunMarker(dir: string): Promise<RunMarker | undefined> {
  const path = join(dir, RUN_MARKER);
  try {
    const info = await lstat(path);
    if (!info.isFile() || info.size > 4096) return undefined;
    const value = JSON.parse(await readFile(path, 'utf8')) as Partial<RunMarker> | null;
    if (value?.schema !== MARKER_SCHEMA || typeof value.runId !== 'string' || typeof value.storeId !== 'string' || typeof value.store !== 'string') return undefined;
    return value as RunMarker;
  } catch {
    return undefined;
  }
}

export type RunDirOwnership = { dir: string; owner: 'this store' } | { dir: string; owner: 'none' } | { dir: string; owner: 'other'; reason: string };

/** Whether `<workDir>/runs/<runId>` exists and is provably this store's run directory (and why not). */
export async function runDirOwnership(identity: StoreIdentity, workDir: string, runId: string): Promise<RunDirOwnership> {
  const lexical = join(resolve(workDir), 'runs', runId);
  let dir: string;
  try {
    dir = runArtifactsDir(workDir, runId);
  } catch (error) {
    if (!isSpxError(error)) throw error;
    return { dir: lexical, owner: 'other', reason: error.message.replace(/\.$/, '').replace(/;.*$/, '') };
  }
  const info = await lstat(dir).catch(() => undefined);
  if (!info) return { dir, owner: 'none' };
  if (!info.isDirectory()) return { dir, owner: 'other', reason: 'not a directory' };
  const marker = await readRunMarker(dir);
  if (!marker) return { dir, owner: 'other', reason: 'no ownership marker (not made by spx, or by a version before markers)' };
  if (marker.runId !== runId) return { dir, owner: 'other', reason: `its marker names run ${printable(marker.runId)}` };
  if (!identity.id || marker.storeId !== identity.id || marker.store !== identity.location) return { dir, owner: 'other', reason: `made by another store (${printable(marker.store)})` };
  return { dir, owner: 'this store' };
}

/** A string from a file or store, safe to print on one terminal line. */
export function printable(value: string): string {
  return value.length <= 120 && !/[\u0000-\u001f\u007f-\u009f]/.test(value) ? value : JSON.stringify(value.slice(0, 120));
}
