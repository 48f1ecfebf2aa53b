// Pruning: once a run has completed, the files of outputs their stage declared cheap (retention
// `cheap`: deterministic, free and quick to make again — converted audio, chunk files) are removed
// and only their records kept: path, size and sha256, marked `pruned`. A later run that needs one
// runs its stage again (runner/materialize.ts); one that does not needs nothing back.
//
// Crash order: the state marks the artifacts pruned and is saved first, the files go after. A kill
// in between leaves files that exist but are marked pruned — harmless: the next prune removes
// them, and a run that needs them takes them back if they still verify. The other order would
// leave a state naming files that are gone. Only files inside the run's own stage directories are
// ever deleted, and only in a run directory this store provably made: a recorded path is input.
import { lstat, unlink } from 'node:fs/promises';
import { confinePath, stageArtifactsDir } from '../artifacts/paths.js';
import { isSpxError } from '../errors/errors.js';
import type { Retention } from '../plugins/types.js';
import { keys } from './keys.js';
import { acquireRunLock } from './lock.js';
import { fencedStore } from './fenced-store.js';
import { runDirOwnership, storeIdentity } from './ownership.js';
import { runStateProblem } from './runs.js';
import { fileRefsIn, type ArtifactRecord, type RunState, type StageRecord } from './state.js';
import type { Store } from './store.js';

/** A stage's declared retention by output name (StageDefinition.retention). */
export type RetentionMap = Readonly<Record<string, Retention | undefined>>;

export interface PruneResult {
  /** Files removed now. */
  files: number;
  bytes: number;
}

/** The record with each artifact marked cheap exactly when `retention` declares its output cheap (exports never are). */
export function withRetention(record: StageRecord, retention: RetentionMap | undefined): StageRecord {
  const names = Object.entries(retention ?? {}).filter(([, r]) => r === 'cheap').map(([name]) => name);
  const cheap = new Set(record.destination ? [] : names.flatMap((name) => fileRefsIn(record.outputs?.[name]).map((ref) => ref.path)));
  const artifacts = record.artifacts.map((a): ArtifactRecord => {
    const isCheap = cheap.has(a.path) && !a.export;
    if (isCheap === (a.cheap === true)) return a;
    const { cheap: _, ...rest } = a;
    return isCheap ? { ...rest, cheap: true } : rest;
  });
  return { ...record, artifacts };
}

/** Marks the kept cheap artifacts of the run's completed stages pruned (in the state given); returns how many and their recorded bytes. */
export function markPruned(state: RunState): PruneResult {
  const marked: PruneResult = { files: 0, bytes: 0 };
  for (const [id, record] of Object.entries(state.stages)) {
    if (record.status !== 'completed' || record.destination || !record.artifacts.some((a) => a.cheap && !a.pruned && !a.export)) continue;
    state.stages[id] = {
      ...record,
      artifacts: record.artifacts.map((a) => {
        if (!a.cheap || a.pruned || a.export) return a;
        marked.files++;
        marked.bytes += a.bytes;
        const { mtimeMs: _, ...rest } = a;
        return { ...rest, pruned: true };
      }),
    };
  }
  return marked;
}

/** Deletes the files of pruned artifacts that still exist, only inside `<workDir>/runs/<id>/<stage>/` (with `dryRun`, counts them). */
export async function deletePrunedFiles(state: RunState, workDir: string, dryRun = false): Promise<PruneResult> {
  const removed: PruneResult = { files: 0, bytes: 0 };
  for (const [stage, record] of Object.entries(state.stages)) {
    const pruned = record.artifacts.filter((a) => a.pruned && !a.export);
    if (pruned.length === 0) continue;
    let dir: string;
    try {
      dir = stageArtifactsDir(workDir, state.id, stage);
    } catch {
      continue;
    }
    for (const artifact of pruned) {
      let path: string;
      try {
        path = confinePath(dir, artifact.path);
      } catch {
        continue; // recorded elsewhere: never deleted
      }
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isFile()) continue;
      if (!dryRun) await unlink(path);
      removed.files++;
      removed.bytes += info.size;
    }
  }
  return removed;
}

/** Why the run's directory may not be pruned by this store, or undefined when it may. */
export async function pruneRefusal(store: Store, workDir: string, runId: string): Promise<string | undefined> {
  const ownership = await runDirOwnership(await storeIdentity(store), workDir, runId);
  if (ownership.owner === 'other') return ownership.reason;
  return undefined;
}

/** What pruning a stored run did: files removed (and the records newly marked), or why not. */
export type StoredPrune = ({ pruned: true; recorded: PruneResult } & PruneResult) | { pruned: false; reason: string };

/**
 * Prunes a completed run held in the store (`spx checkpoints cleanup --prune`): takes the run's
 * lease (a run in use is left alone), marks and saves, then deletes. `retention` supplies the
 * declarations for records made before artifacts carried them. With `dryRun`, says what would go.
 */
export async function pruneStoredRun(store: Store, runId: string, options: { workDir: string; dryRun?: boolean; retention?: (stageId: string, record: StageRecord) => RetentionMap | undefined }): Promise<StoredPrune> {
  let lock;
  try {
    lock = options.dryRun ? undefined : await acquireRunLock(store, runId, { waitMs: 0 });
  } catch (error) {
    if (isSpxError(error) && error.code === 'RUN_LOCKED') return { pruned: false, reason: error.message.replace(/\.$/, '') };
    throw error;
  }
  try {
    const state = await store.get<RunState>(keys.run(runId));
    const problem = state === undefined ? 'it is no longer in the store' : runStateProblem(keys.run(runId), state);
    if (problem || !state) return { pruned: false, reason: problem ?? 'it is no longer in the store' };
    if (state.status !== 'completed') return { pruned: false, reason: `it is ${state.status.replace('_', ' ')}, not completed (a run keeps its files until it completes)` };
    const refusal = await pruneRefusal(store, options.workDir, runId);
    if (refusal) return { pruned: false, reason: refusal };
    for (const [id, record] of Object.entries(state.stages)) {
      const declared = options.retention?.(id, record);
      if (declared) state.stages[id] = withRetention(record, declared);
    }
    const recorded = markPruned(state);
    if (recorded.files > 0 && !options.dryRun) await fencedStore(store, lock!).set(keys.run(runId), state);
    return { pruned: true, ...(await deletePrunedFiles(state, options.workDir, options.dryRun)), recorded };
  } finally {
    await lock?.release();
  }
}

