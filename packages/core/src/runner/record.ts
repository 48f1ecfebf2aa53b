// Recording: the run state a run starts from, its saves (one at a time, in order), the entry each
// stage completion or failure adds, the artifacts a stage's outputs name, and how the run ends.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { SpxError } from '../errors/errors.js';
import { keys } from '../checkpoints/keys.js';
import { fileRefsIn, type ArtifactRecord, type CheckpointEntry, type RunAttempt, type RunState, type RunStatus, type StageRecord } from '../checkpoints/state.js';
import type { Store } from '../checkpoints/store.js';
import type { LoadedPipeline } from '../pipeline/types.js';
import { SPX_VERSION } from '../version.js';

/** The state this run writes: the prior one's stages (still in the pipeline), history and failure. */
export function freshState(prior: RunState | undefined, id: string, pipeline: LoadedPipeline, inputFile: string, inputHashes: Record<string, string>, outDir: string): RunState {
  const now = new Date().toISOString();
  const stages = Object.fromEntries(Object.entries(prior?.stages ?? {}).filter(([sid]) => pipeline.stages.has(sid)));
  const metadata: RunState['metadata'] = { ...(prior?.metadata ?? {}), spx_version: SPX_VERSION, history: prior?.metadata.history ?? [] };
  delete metadata.imported; // run here now: its pipeline file is the one named to spx run
  return {
    schema: 'spx-run-state',
    schemaVersion: 1,
    id,
    input_file: inputFile,
    input_hashes: inputHashes,
    pipeline_id: pipeline.spec.name,
    pipeline: { name: pipeline.spec.name, version: pipeline.spec.version, file: pipeline.file, stages: pipeline.order, ...(pipeline.overrides ? { overrides: pipeline.overrides } : {}) },
    created_at: prior?.created_at ?? now,
    last_updated: now,
    status: prior?.status ?? 'not_started',
    completed_stages: [],
    current_stage: null,
    failed_stage: prior?.failed_stage ?? null,
    error_message: null,
    checkpoints: prior?.checkpoints.slice(-500) ?? [],
    stages,
    out_dir: outDir,
    metadata,
  };
}

export interface Saver {
  /** Writes the state as it is now, after every earlier save. */
  save(): Promise<void>;
}

export function createSaver(store: Store, runId: string, state: RunState): Saver {
  let chain: Promise<void> = Promise.resolve();
  return {
    save(): Promise<void> {
      chain = chain.then(async () => {
        state.last_updated = new Date().toISOString();
        await store.set(keys.run(runId), state);
      });
      return chain;
    },
  };
}

export function completedEntry(record: StageRecord, inputFile: string): CheckpointEntry {
  const files = record.artifacts.map((a) => a.path);
  return {
    stage: record.stage,
    timestamp: record.finishedAt,
    input_file: inputFile,
    output_file: files[0] ?? null,
    output_files: files,
    metadata: { sizes: Object.fromEntries(record.artifacts.map((a) => [a.name, a.bytes])), duration_ms: record.durationMs, fingerprint: record.fingerprint },
    success: true,
    error_message: null,
  };
}

export function failedEntry(stage: string, inputFile: string, startedAt: Date, fingerprint: string, error: SpxError): CheckpointEntry {
  const finishedAt = new Date();
  return {
    stage,
    timestamp: finishedAt.toISOString(),
    input_file: inputFile,
    output_file: null,
    output_files: [],
    metadata: { sizes: {}, duration_ms: finishedAt.getTime() - startedAt.getTime(), fingerprint, code: error.code },
    success: false,
    error_message: error.message,
  };
}

/** Size, sha256 and mtime of every file the outputs name; exports are marked as the user's. */
export async function recordArtifacts(outputs: Record<string, unknown>, exported: boolean): Promise<ArtifactRecord[]> {
  return Promise.all(
    fileRefsIn(outputs).map(async (ref) => {
      const info = await stat(ref.path).catch(() => undefined);
      if (!info || info.size !== ref.bytes) throw new SpxError('ARTIFACT_INVALID', `Artifact "${ref.path}" is missing or its size differs from what the stage reported.`, { hint: 'The stage must write files atomically and return their FileRefs.' });
      return { name: basename(ref.path), path: ref.path, bytes: ref.bytes, sha256: ref.sha256, mtimeMs: info.mtimeMs, ...(exported ? { export: true } : {}) };
    }),
  );
}

/** Files a stage published in its last completed checkpoint: path → sha256 (rewriting them needs no backup). */
export function publishedBy(record: StageRecord | undefined): Map<string, string> {
  return new Map(record?.destination ? record.artifacts.map((a) => [a.path, a.sha256]) : []);
}

/** Sets the final status and adds the attempt to the history (the last 50 are kept). */
export function finishState(state: RunState, outcome: 'completed' | 'failed' | 'interrupted', attempt: Omit<RunAttempt, 'at' | 'status'>): void {
  const status: RunStatus = outcome === 'interrupted' ? 'in_progress' : outcome;
  state.status = status;
  if (outcome === 'completed') {
    state.failed_stage = null;
    state.error_message = null;
  }
  if (outcome === 'interrupted') state.metadata.interrupted_at = new Date().toISOString();
  state.current_stage = null;
  state.metadata.history.push({ at: new Date().toISOString(), status, ...attempt });
  if (state.metadata.history.length > 50) state.metadata.history.splice(0, state.metadata.history.length - 50);
}
