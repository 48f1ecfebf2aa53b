// Run management for `spx checkpoints`: list runs, resolve ids by unique prefix (like git),
// delete a run with its sub-steps and artifact directory (export and import: transfer.ts).
// Store entries are untrusted: entries with ids that are not ids are skipped, and only
// directories provably a run's are deleted.
import { readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { confinePath, isRunId, isStageId } from '../artifacts/paths.js';
import { SpxError, isSpxError } from '../errors/errors.js';
import type { Json } from '../plugins/types.js';
import type { TranscriptEdits } from '../stages/edits.js';
import { keys } from './keys.js';
import { leaseIsStale, type Lease } from './lock.js';
import { printable, runDirOwnership, storeIdentity } from './ownership.js';
import type { ArtifactRecord, RunState } from './state.js';
import { displayStoreUrl, type Store } from './store.js';


/** What `spx checkpoints export` writes: the run state plus its finished sub-steps. */
export interface RunExport extends RunState {
  /** Sub-step values by key after `step:<id>:` (`<stage>:<fingerprint16>:<key>`). */
  steps?: Record<string, Json>;
  /** The run's saved transcript edits. */
  edits?: TranscriptEdits;
}

/** A `run:` entry that is not a run state spx could have written, with the reason. */
export interface InvalidRunEntry {
  key: string;
  reason: string;
}

/**
 * Why a stored (or imported) value under `key` is not a run state that is safe to act on, or
 * undefined: its id must be a run id equal to the key's, its stage ids stage ids, its artifact
 * records well formed. Paths built from such a state cannot leave the run's directory.
 */
export function runStateProblem(key: string, value: unknown): string | undefined {
  const keyId = key.startsWith(keys.runPrefix) ? key.slice(keys.runPrefix.length) : key;
  if (!isRunId(keyId)) return `its key holds ${quoted(keyId)}, not a run id`;
  if (!isObject(value)) return 'it is not a run state';
  if (value.id !== keyId) return `its id ${quoted(String(value.id))} differs from its key`;
  if (!isObject(value.stages)) return 'it has no stages';
  for (const [stage, record] of Object.entries(value.stages)) {
    if (!isStageId(stage)) return `stage id ${quoted(stage)} is not a stage id`;
    if (!isObject(record) || record.stage !== stage) return `the record of stage "${stage}" names another stage`;
    if (!Array.isArray(record.artifacts) || !record.artifacts.every(isArtifactRecord)) return `stage "${stage}" has malformed artifact records`;
  }
  const lists = [value.completed_stages, isObject(value.pipeline) ? value.pipeline.stages : []];
  if (!lists.every(Array.isArray)) return 'its stage lists are not lists';
  for (const stage of [...(lists as unknown[][]).flat(), value.current_stage ?? null, value.failed_stage ?? null]) {
    if (stage !== null && !isStageId(stage)) return `stage id ${quoted(String(stage))} is not a stage id`;
  }
  return undefined;
}

/** Every run in the store, most recently updated first, and the entries skipped as invalid. */
export async function scanRuns(store: Store): Promise<{ runs: RunState[]; invalid: InvalidRunEntry[] }> {
  const runs: RunState[] = [];
  const invalid: InvalidRunEntry[] = [];
  const found: string[] = [];
  for await (const key of store.keys(keys.runPrefix)) found.push(key);
  // Read in batches: one round trip per few hundred runs, not one per run.
  for (let i = 0; i < found.length; i += 500) {
    const batch = found.slice(i, i + 500);
    const values = await store.getMany<unknown>(batch);
    batch.forEach((key, k) => {
      const value = values[k];
      if (value === undefined) return;
      const reason = runStateProblem(key, value);
      if (reason) invalid.push({ key, reason });
      else runs.push(value as RunState);
    });
  }
  runs.sort((a, b) => String(b.last_updated).localeCompare(String(a.last_updated)) || a.id.localeCompare(b.id));
  return { runs, invalid };
}

/** Every valid run in the store, most recently updated first (see scanRuns for the others). */
export async function listRuns(store: Store): Promise<RunState[]> {
  return (await scanRuns(store)).runs;
}

/** Resolves a full id or a unique prefix of one; throws CHECKPOINT_NOT_FOUND or CHECKPOINT_AMBIGUOUS. */
export async function resolveRunId(store: Store, prefix: string): Promise<string> {
  const wanted = prefix.trim();
  if (!wanted) throw new SpxError('USAGE', 'Empty run id.', { hint: 'Pass a run id or a unique prefix of one (spx checkpoints list).' });
  const ids: string[] = [];
  for await (const key of store.keys(keys.runPrefix)) {
    const id = key.slice(keys.runPrefix.length);
    if (isRunId(id)) ids.push(id);
  }
  if (ids.includes(wanted)) return wanted;
  const matches = ids.filter((id) => id.startsWith(wanted)).sort();
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new SpxError('CHECKPOINT_AMBIGUOUS', `Run id "${wanted}" is ambiguous: it matches ${matches.join(', ')}.`, { hint: 'Type more characters of the id.' });
  }
  throw new SpxError('CHECKPOINT_NOT_FOUND', `No run with id "${printable(wanted)}" in the store.`, {
    hint: ids.length ? 'List runs with `spx checkpoints list` (check --store).' : 'The store has no runs; check --store / SPX_STORE or run a pipeline first.',
  });
}

/** The run state for an id or unique prefix; CHECKPOINT_INVALID when the stored entry is not safe to use. */
export async function findRun(store: Store, prefix: string): Promise<RunState> {
  const id = await resolveRunId(store, prefix);
  const state = await store.get<RunState>(keys.run(id));
  if (!state) throw new SpxError('CHECKPOINT_NOT_FOUND', `Run "${id}" disappeared from the store.`, { hint: 'It may have expired or been deleted by another process.' });
  return checkedState(store, id, state);
}

export function checkedState(store: Store, id: string, state: unknown): RunState {
  const reason = runStateProblem(keys.run(id), state);
  if (reason) throw invalidEntry(store, { key: keys.run(id), reason });
  return state as RunState;
}

/** CHECKPOINT_INVALID for a store entry that is not a valid run state. */
export function invalidEntry(store: Store, entry: InvalidRunEntry): SpxError {
  return new SpxError('CHECKPOINT_INVALID', `The store entry ${printable(entry.key)} in ${displayStoreUrl(store.url)} is not a valid run state: ${entry.reason}.`, {
    hint: `Something other than spx wrote it; nothing was done with it. ${isRunId(entry.key.slice(keys.runPrefix.length)) ? `\`spx checkpoints delete ${entry.key.slice(keys.runPrefix.length)}\` removes its store entries.` : 'Remove it with the store\'s own tools.'}`,
  });
}

/** Keys of the run's sub-step checkpoints. */
export async function runStepKeys(store: Store, runId: string): Promise<string[]> {
  const found: string[] = [];
  for await (const key of store.keys(keys.stepPrefix(runId))) found.push(key);
  return found;
}

/** Every recorded artifact of a run, with the stage that produced it. */
export function runArtifacts(state: RunState): Array<ArtifactRecord & { stage: string }> {
  return Object.entries(state.stages ?? {}).flatMap(([stage, record]) => (record.artifacts ?? []).map((a) => ({ ...a, stage })));
}

/** Sum of recorded artifact sizes (each path counted once), of the files kept or of those pruned. */
export function runSize(state: RunState, which: 'kept' | 'pruned' = 'kept'): number {
  const seen = new Map<string, number>();
  for (const a of runArtifacts(state)) if ((a.pruned === true) === (which === 'pruned')) seen.set(a.path, a.bytes);
  return [...seen.values()].reduce((sum, n) => sum + n, 0);
}

/** The live lease on a run, if another process holds it. */
export async function liveLease(store: Store, runId: string, staleMs = 15_000): Promise<Lease | undefined> {
  const lease = await store.get<Lease>(keys.lock(runId));
  return lease && !leaseIsStale(lease, staleMs) ? lease : undefined;
}

/** A directory cleanup or delete found but did not remove, with the reason. */
export interface LeftAlone {
  dir: string;
  reason: string;
}

export interface DeleteRunResult {
  id: string;
  /** Store keys removed (run, sub-steps, stale lock). */
  keys: number;
  /** Artifact directories removed: `<workDir>/runs/<id>` when this store made it. */
  dirs: string[];
  /** The run's directory when it exists but is not provably this store's. */
  left: LeftAlone[];
  /** Bytes of recorded artifacts the run held. */
  bytes: number;
}

/**
 * Deletes a run's state and sub-steps, and `<workDir>/runs/<id>` when its ownership marker names
 * this run and this store. Recorded artifact paths never lead anywhere: they are untrusted.
 * Refuses (RUN_LOCKED) while a process holds the run.
 */
export async function deleteRun(store: Store, runId: string, options: { workDir?: string; dryRun?: boolean } = {}): Promise<DeleteRunResult> {
  if (!isRunId(runId)) throw new SpxError('CHECKPOINT_NOT_FOUND', `${printable(runId)} is not a run id.`, { hint: 'List runs with `spx checkpoints list`.' });
  const lease = await liveLease(store, runId);
  if (lease) {
    throw new SpxError('RUN_LOCKED', `Run ${runId} is in use by pid ${lease.pid} on ${lease.host}; not deleting it.`, { hint: 'Stop that process first, or wait for it to finish.' });
  }
  const state = await store.get<unknown>(keys.run(runId));
  const valid = state !== undefined && !runStateProblem(keys.run(runId), state);
  const stepKeys = await runStepKeys(store, runId);
  const hasEdits = (await store.get(keys.edits(runId))) !== undefined;
  const dirs: string[] = [];
  const left: LeftAlone[] = [];
  if (options.workDir) {
    const ownership = await runDirOwnership(await storeIdentity(store), options.workDir, runId);
    if (ownership.owner === 'this store') dirs.push(ownership.dir);
    else if (ownership.owner === 'other') left.push({ dir: ownership.dir, reason: ownership.reason });
  }
  const result = { id: runId, keys: (state !== undefined ? 1 : 0) + stepKeys.length + (hasEdits ? 1 : 0), dirs, left, bytes: valid ? runSize(state as RunState) : 0 };
  if (options.dryRun) return result;
  for (const key of stepKeys) await store.delete(key);
  await store.delete(keys.edits(runId));
  await store.delete(keys.lock(runId));
  await store.delete(keys.run(runId));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  return result;
}

export interface OrphanSweep {
  /** Directories this store made whose run it no longer has: safe to delete. */
  orphans: Array<{ id: string; dir: string; mtimeMs: number }>;
  /** Everything else under runs/ that belongs to no run of this store, and why it stays. */
  leftAlone: LeftAlone[];
}

/**
 * Directories under `<workDir>/runs/` whose run is not in the store (its state expired or was
 * removed) and that are provably this store's (see runDirOwnership). User data, directories of
 * older spx versions and other stores' runs are reported as left alone, never as orphans.
 */
export async function orphanRunDirs(store: Store, workDir: string): Promise<OrphanSweep> {
  const root = join(resolve(workDir), 'runs');
  const sweep: OrphanSweep = { orphans: [], leftAlone: [] };
  let names: string[];
  try {
    confinePath(resolve(workDir), root);
    names = await readdir(root);
  } catch (error) {
    if (isSpxError(error)) sweep.leftAlone.push({ dir: root, reason: error.message.replace(/;.*$/, '') });
    return sweep;
  }
  const identity = await storeIdentity(store);
  for (const name of names.sort()) {
    const dir = join(root, name);
    if (!isRunId(name)) {
      sweep.leftAlone.push({ dir, reason: 'not named like a run id' });
      continue;
    }
    if ((await store.get(keys.run(name))) !== undefined) continue;
    const ownership = await runDirOwnership(identity, workDir, name);
    if (ownership.owner === 'none') continue;
    if (ownership.owner === 'other') {
      sweep.leftAlone.push({ dir, reason: ownership.reason });
      continue;
    }
    const lease = await liveLease(store, name);
    if (lease) {
      sweep.leftAlone.push({ dir, reason: `in use by pid ${lease.pid} on ${lease.host}` });
      continue;
    }
    sweep.orphans.push({ id: name, dir, mtimeMs: (await stat(dir)).mtimeMs });
  }
  return sweep;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isArtifactRecord(value: unknown): boolean {
  return isObject(value) && typeof value.path === 'string' && typeof value.name === 'string' && typeof value.bytes === 'number' && typeof value.sha256 === 'string';
}

/** A value from a store or file, quoted and cut short for a message. */
export function quoted(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}
