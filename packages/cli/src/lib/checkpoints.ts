// Views of stored runs shared by the `spx checkpoints` commands: list rows, per-stage detail,
// the plan a rerun would follow, and artifact verification reports. The plan loads a pipeline
// file, and with it plugin code: only a file the user names, a shipped pipeline, or the file of a
// run this machine made in its own SQLite store (not imported); never one a store or import names.
import { existsSync, realpathSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { SpxError, toSpxError } from '@spx/core';
import { checkArtifacts, defaultStoreUrl, displayStoreUrl, liveLease, printable, runArtifacts, runPipeline, runSize, runStepKeys, type Lease, type PlannedStage, type RunState, type Store } from '@spx/core/engine';
import { openPipeline, resolvePipelineArg, shippedPipelines } from './pipelines.js';

export const runIdArg = Args.string({ description: 'Run id, or a unique prefix of one (like git).', required: true });

export const workDirFlag = Flags.string({ summary: 'Directory holding run artifacts (runs/<id>/); default .spx (or SPX_WORK_DIR, or workDir: in spx.config.yaml).' });

/**
 * The default store's path when no store is configured (--store / SPX_STORE) and none exists in
 * the working directory yet: read-only commands say so instead of creating an empty store.
 */
export function missingDefaultStore(url: string | undefined): string | undefined {
  if (url) return undefined;
  const path = defaultStoreUrl().slice('sqlite://'.length);
  return existsSync(path) ? undefined : path;
}

/** CHECKPOINT_NOT_FOUND for an id looked up where there is no store at all. */
export function noStoreError(id: string, path: string): SpxError {
  return new SpxError('CHECKPOINT_NOT_FOUND', `No run with id "${id}": there is no state store at ${path}.`, {
    hint: 'Run spx from the directory where the pipeline ran, or pass --store (or set SPX_STORE).',
  });
}

/** What a run is doing now: `in_progress` without a live holder means it was interrupted. */
export type RunDisplayStatus = 'not_started' | 'running' | 'interrupted' | 'completed' | 'failed';

export interface RunRow {
  id: string;
  input: string;
  pipeline: { name: string; version: string; file: string };
  status: RunDisplayStatus;
  stages: { completed: number; total: number };
  created: string;
  updated: string;
  bytes: number;
  artifacts: number;
  failedStage: string | null;
  error: string | null;
  holder?: { pid: number; host: string };
}

export function displayStatus(state: RunState, lease: Lease | undefined): RunDisplayStatus {
  if (lease) return 'running';
  if (state.status === 'in_progress') return 'interrupted';
  return state.status;
}

export async function runRow(store: Store, state: RunState): Promise<RunRow> {
  const lease = await liveLease(store, state.id);
  const total = state.pipeline?.stages?.length ?? Object.keys(state.stages).length;
  const completed = (state.completed_stages ?? []).filter((s) => !state.pipeline?.stages || state.pipeline.stages.includes(s)).length;
  return {
    id: state.id,
    input: state.input_file,
    pipeline: { name: state.pipeline?.name ?? state.pipeline_id, version: state.pipeline?.version ?? '?', file: state.pipeline?.file ?? '' },
    status: displayStatus(state, lease),
    stages: { completed, total },
    created: state.created_at,
    updated: state.last_updated,
    bytes: runSize(state),
    artifacts: runArtifacts(state).length,
    failedStage: state.failed_stage,
    error: state.error_message ?? null,
    ...(lease ? { holder: { pid: lease.pid, host: lease.host } } : {}),
  };
}

export type StageStatus = 'completed' | 'failed' | 'running' | 'pending';

export interface StageDetail {
  stage: string;
  uses: string | null;
  status: StageStatus;
  fingerprint: string | null;
  plugin: string | null;
  pluginVersion: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  artifacts: Array<{ path: string; bytes: number; sha256: string }>;
  /** Attempts in which this stage ran / was reused from its checkpoint / failed. */
  history: { ran: number; reused: number; failed: number };
  usage: number;
  paidCalls: number;
  subSteps: number;
  metadata: Record<string, unknown>;
  error: string | null;
  /** What a rerun would do now (when the pipeline file still loads). */
  next: { action: 'run' | 'reuse'; reason: string } | null;
}

export interface RunDetail extends RunRow {
  outDir: string;
  attempts: Array<{ at: string; status: string; ran: string[]; reused: string[]; durationMs: number }>;
  stageDetails: StageDetail[];
  /** Why the plan is missing or partial, when it is. */
  planNote: string | null;
  subSteps: number;
}

export async function runDetail(store: Store, state: RunState, options: { plan?: boolean; pipeline?: string } = {}): Promise<RunDetail> {
  const row = await runRow(store, state);
  const stepKeys = await runStepKeys(store, state.id);
  const order = state.pipeline?.stages?.length ? [...state.pipeline.stages] : Object.keys(state.stages);
  for (const id of Object.keys(state.stages)) if (!order.includes(id)) order.push(id);
  const history = state.metadata?.history ?? [];
  const { plan, note } = options.plan === false ? { plan: undefined, note: null } : await planFor(store, state, options.pipeline);
  const planned = new Map((plan ?? []).map((p) => [p.stage, p]));
  const stageDetails = order.map((id): StageDetail => {
    const record = state.stages[id];
    const failed = (state.checkpoints ?? []).filter((c) => c.stage === id && !c.success).length;
    const status: StageStatus =
      row.status === 'running' && state.current_stage === id ? 'running' : state.failed_stage === id && !state.completed_stages.includes(id) ? 'failed' : record?.status === 'completed' ? 'completed' : 'pending';
    const prefix = record ? `step:${state.id}:${id}:${record.fingerprint.slice(0, 16)}:` : `step:${state.id}:${id}:`;
    const lastFailure = [...(state.checkpoints ?? [])].reverse().find((c) => c.stage === id && !c.success);
    const next = planned.get(id);
    return {
      stage: id,
      uses: record?.uses ?? next?.uses ?? null,
      status,
      fingerprint: record?.fingerprint ?? null,
      plugin: record?.plugin ?? null,
      pluginVersion: record?.pluginVersion ?? null,
      finishedAt: record?.finishedAt ?? null,
      durationMs: record?.durationMs ?? null,
      artifacts: (record?.artifacts ?? []).map((a) => ({ path: a.path, bytes: a.bytes, sha256: a.sha256 })),
      history: { ran: history.filter((h) => h.ran?.includes(id)).length, reused: history.filter((h) => h.reused?.includes(id)).length, failed },
      usage: record?.usage ?? 0,
      paidCalls: record?.paidCalls ?? 0,
      subSteps: stepKeys.filter((k) => k.startsWith(prefix)).length,
      metadata: (record?.metadata ?? {}) as Record<string, unknown>,
      error: status === 'failed' ? (lastFailure?.error_message ?? state.error_message ?? null) : null,
      next: next ? { action: next.action, reason: next.reason } : null,
    };
  });
  return {
    ...row,
    outDir: state.out_dir,
    attempts: history.map((h) => ({ at: h.at, status: h.status, ran: h.ran, reused: h.reused, durationMs: h.durationMs })),
    stageDetails,
    planNote: note,
    subSteps: stepKeys.length,
  };
}

/**
 * Why the pipeline file a run records may not be loaded automatically (it names plugin code), or
 * undefined when it may: a shipped pipeline, or a run made here in a local SQLite store and not
 * imported. A shared store or an import file can name any file.
 */
export function recordedPipelineUnsafe(store: Store, state: RunState, file: string): string | undefined {
  if (isShipped(file)) return undefined;
  if (state.metadata?.imported) return 'the run was imported';
  if (!isLocalSqlite(store.url)) return `the run comes from a shared store (${displayStoreUrl(store.url)})`;
  return undefined;
}

function isShipped(file: string): boolean {
  try {
    const real = realpathSync(file);
    return shippedPipelines().some((shipped) => realpathSync(shipped) === real);
  } catch {
    return false;
  }
}

function isLocalSqlite(url: string): boolean {
  return url.startsWith('sqlite://') || !/^[a-z]+:\/\//i.test(url);
}

/** The plan a rerun of this run would follow now, computed with a dry run (nothing runs, nothing is called). */
async function planFor(store: Store, state: RunState, named?: string): Promise<{ plan?: PlannedStage[]; note: string | null }> {
  const file = named ? resolvePipelineArg(named) : state.pipeline?.file;
  if (named && !existsSync(file!)) return { note: `pipeline file ${file} (--pipeline) does not exist` };
  if (!file || !existsSync(file)) return { note: `pipeline file ${printable(file || '(unknown)')} no longer exists; showing recorded state only` };
  const unsafe = named ? undefined : recordedPipelineUnsafe(store, state, file);
  if (unsafe) {
    return { note: `${unsafe}, so its pipeline file ${printable(file)} and the plugins it names are not loaded; pass --pipeline FILE to see what a rerun would do` };
  }
  try {
    const pipeline = await openPipeline(file);
    const fileInputs = Object.entries(pipeline.spec.inputs ?? {}).filter(([, spec]) => spec.type === 'file');
    if (fileInputs.length !== 1) return { note: `the pipeline declares ${fileInputs.length} file inputs; the rerun plan needs exactly one` };
    const summary = await runPipeline({ pipeline, inputs: { [fileInputs[0]![0]]: state.input_file }, store, dryRun: true, outDir: state.out_dir });
    if (summary.runId !== state.id) {
      return { note: `the input or pipeline name changed since: running it now would start run ${summary.runId}, not this one` };
    }
    return { plan: summary.plan, note: null };
  } catch (error) {
    const e = toSpxError(error);
    return { note: `no rerun plan: ${e.code}: ${e.message.split('\n')[0]}` };
  }
}

export interface ArtifactReport {
  stage: string;
  path: string;
  bytes: number;
  ok: boolean;
  reason?: string;
  /** A user-facing export: changing, moving or deleting it is the user's right, not damage. */
  export?: boolean;
}

/**
 * Re-hashes every recorded artifact of a run (`full`) or checks size+mtime first (quick). Exports
 * are reported with `export: true`; a changed export never makes a run invalid (the next run
 * writes it again and keeps the changed file as a backup).
 */
export async function verifyRun(state: RunState, full: boolean): Promise<ArtifactReport[]> {
  const artifacts = runArtifacts(state);
  const checks = await checkArtifacts(artifacts, full);
  return checks.map((c, i) => {
    const artifact = artifacts[i]!;
    const exported = artifact.export === true || Boolean(state.stages[artifact.stage]?.destination);
    return { stage: artifact.stage, path: c.artifact.path, bytes: c.artifact.bytes, ok: c.ok, ...(c.ok ? {} : { reason: c.reason }), ...(exported ? { export: true } : {}) };
  });
}

/** Artifacts whose loss or change means the run's own checkpoints are damaged (exports excluded). */
export function damaged(reports: ArtifactReport[]): ArtifactReport[] {
  return reports.filter((a) => !a.ok && !a.export);
}

/** A path shown relative to the working directory when it lies inside it. */
export function shortPath(path: string): string {
  if (!path) return path;
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
