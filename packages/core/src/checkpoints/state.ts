// Run state as stored under run:<id>. Field names of the top level and of checkpoints[]
// follow the seed system's format, so its users recognise them; the rest is what resume needs.
import type { FileRef, Json } from '../plugins/types.js';

export type RunStatus = 'not_started' | 'in_progress' | 'completed' | 'failed';

export interface ArtifactRecord {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
  /** mtime at write time: an unchanged (size, mtime) skips re-hashing on resume. */
  mtimeMs?: number;
  /** A user-facing file the stage published (an export): the user's to edit, move or delete. */
  export?: boolean;
  /** The stage declared it cheap to make again (retention `cheap`): removed when the run completes. */
  cheap?: boolean;
  /**
   * The file was removed after its run completed; `bytes` and `sha256` are what it held. A stage
   * that runs and needs it has its producing stage run again first, which writes it back.
   */
  pruned?: boolean;
}

export interface StageRecord {
  stage: string;
  uses: string;
  plugin: string;
  pluginVersion: string;
  stageVersion?: string;
  fingerprint: string;
  /** Canonical params (references kept symbolic) — lets spx explain a rerun. */
  params: Json;
  /** Upstream stage id → output digest used in the fingerprint. */
  upstream: Record<string, string>;
  /** Input name → content sha256 used in the fingerprint. */
  inputs: Record<string, string>;
  /** Export destination, for stages that publish user-facing files. */
  destination?: { outDir: string; stem: string };
  status: 'completed' | 'failed';
  outputs: Record<string, unknown>;
  /** Digest of the outputs (file sha256s included); downstream fingerprints use it. */
  outputDigest: string;
  artifacts: ArtifactRecord[];
  metadata?: Record<string, Json>;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Billable units consumed when the stage ran (see plugin pricing). */
  usage: number;
  /** Paid sub-steps the stage's work comprises (run + reused). */
  paidCalls: number;
  error?: { code: string; message: string; hint?: string };
}

/** One entry per stage completion or failure, in order (seed-compatible). */
export interface CheckpointEntry {
  stage: string;
  timestamp: string;
  input_file: string;
  output_file: string | null;
  output_files: string[];
  metadata: { sizes: Record<string, number>; duration_ms: number; fingerprint: string; [key: string]: Json };
  success: boolean;
  error_message: string | null;
}

/** One `spx run` of the run, in `metadata.history`. */
export type RunAttempt = {
  at: string;
  pipelineVersion: string;
  status: RunStatus;
  ran: string[];
  reused: string[];
  /** Reused stages whose pruned files were made again for a stage that ran. */
  remade?: string[];
  durationMs: number;
};

export interface RunState {
  schema: 'spx-run-state';
  schemaVersion: 1;
  id: string;
  input_file: string;
  /** Content hashes of the run's inputs (name → sha256). */
  input_hashes: Record<string, string>;
  pipeline_id: string;
  /** `overrides`: the `--set` values of the latest run (what running "the same command again" repeats). */
  pipeline: { name: string; version: string; file: string; stages: string[]; overrides?: string[] };
  created_at: string;
  last_updated: string;
  status: RunStatus;
  completed_stages: string[];
  current_stage: string | null;
  failed_stage: string | null;
  error_message: string | null;
  checkpoints: CheckpointEntry[];
  stages: Record<string, StageRecord>;
  out_dir: string;
  metadata: { spx_version: string; history: RunAttempt[]; [key: string]: Json };
}

/** The artifacts whose files are meant to exist (not pruned). */
export function keptArtifacts<A extends ArtifactRecord>(artifacts: readonly A[]): A[] {
  return artifacts.filter((a) => a.pruned !== true);
}

export function fileRefsIn(value: unknown, found: FileRef[] = []): FileRef[] {
  if (Array.isArray(value)) for (const item of value) fileRefsIn(item, found);
  else if (value && typeof value === 'object') {
    const ref = value as FileRef;
    if (ref.kind === 'file' && typeof ref.path === 'string' && typeof ref.sha256 === 'string') found.push(ref);
    else for (const v of Object.values(value)) fileRefsIn(v, found);
  }
  return found;
}
