// Views of stored runs, shared by `spx checkpoints` and `spx ui`: list rows, per-stage detail,
// the plan a rerun would follow, artifact verification reports and the saved edits. Working out a
// plan loads a pipeline file, and with it plugin code: only a file the user names, a shipped
// pipeline, or the file of a run this machine made in its own SQLite store (not imported); never
// one a store or import names. Loading is the caller's (it knows where plugins resolve from).
import { existsSync } from 'node:fs';
import { verifyFile } from '../artifacts/atomic.js';
import { SpxError, toSpxError } from '../errors/errors.js';
import { findRefs } from '../pipeline/refs.js';
import type { FileRef } from '../plugins/types.js';
import { MERGED, type MergedTranscript } from '../stages/merged.js';
import { readDocumentText } from '../transcript/read.js';
import type { LoadedPipeline } from '../pipeline/types.js';
import { runPipeline } from '../runner/run.js';
import type { PlannedStage } from '../runner/types.js';
import { isEmptyEdits } from '../stages/edits.js';
import { readSavedEdits } from './edits.js';
import type { Lease } from './lock.js';
import { printable } from './ownership.js';
import { liveLease, runArtifacts, runSize, runStepKeys } from './runs.js';
import { isFileRef } from '../artifacts/atomic.js';
import type { RunState } from './state.js';
import { displayStoreUrl, type Store } from './store.js';
import { checkArtifacts, strayRecordedFile } from './verify.js';

/** How views load a pipeline file: the caller knows the shipped pipelines and where plugins resolve. */
export interface PipelineOpener {
  /** Loads the file with its plugins (code), with `stage.param=value` overrides. */
  open(file: string, overrides?: string[]): Promise<LoadedPipeline>;
  /** True for a pipeline shipped with spx (safe to load whichever store names it). */
  isShipped(file: string): boolean;
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
  /** Bytes of the artifacts kept on disk. */
  bytes: number;
  artifacts: number;
  /** Artifacts pruned after the run completed (records kept, files made again when needed) and the bytes they held. */
  pruned: { artifacts: number; bytes: number };
  failedStage: string | null;
  error: string | null;
  holder?: { pid: number; host: string };
}

export function displayStatus(state: RunState, lease: Lease | undefined): RunDisplayStatus {
  if (lease) return 'running';
  if (state.status === 'in_progress') return 'interrupted';
  return state.status;
}

/** A list row; `lease` when the caller already knows it (undefined: looked up). */
export async function runRow(store: Store, state: RunState, lease?: Lease | null): Promise<RunRow> {
  const holder = lease === undefined ? await liveLease(store, state.id) : (lease ?? undefined);
  const total = state.pipeline?.stages?.length ?? Object.keys(state.stages).length;
  const completed = (state.completed_stages ?? []).filter((s) => !state.pipeline?.stages || state.pipeline.stages.includes(s)).length;
  return {
    id: state.id,
    input: state.input_file,
    pipeline: { name: state.pipeline?.name ?? state.pipeline_id, version: state.pipeline?.version ?? '?', file: state.pipeline?.file ?? '' },
    status: displayStatus(state, holder),
    stages: { completed, total },
    created: state.created_at,
    updated: state.last_updated,
    bytes: runSize(state),
    artifacts: runArtifacts(state).length,
    pruned: { artifacts: runArtifacts(state).filter((a) => a.pruned).length, bytes: runSize(state, 'pruned') },
    failedStage: state.failed_stage,
    error: state.error_message ?? null,
    ...(holder ? { holder: { pid: holder.pid, host: holder.host } } : {}),
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
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  artifacts: Array<{ path: string; bytes: number; sha256: string; pruned?: true }>;
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

/** The run's saved transcript edits, counted. */
export interface EditsSummary {
  updatedAt: string;
  speakers: Record<string, string>;
  utterances: number;
  texts: number;
  reassigned: number;
}

export interface RunDetail extends RunRow {
  outDir: string;
  attempts: Array<{ at: string; status: string; ran: string[]; reused: string[]; durationMs: number }>;
  stageDetails: StageDetail[];
  /** Why the plan is missing or partial, when it is. */
  planNote: string | null;
  subSteps: number;
  /** Saved transcript edits, applied by the next export. */
  edits: EditsSummary | null;
}

export interface DetailOptions {
  /** Loads the pipeline to work out the rerun plan; without it, only the recorded state is shown. */
  opener?: PipelineOpener;
  /** A pipeline file the user named for the plan, instead of the one the run records. */
  pipeline?: string;
}

export async function runDetail(store: Store, state: RunState, options: DetailOptions = {}): Promise<RunDetail> {
  const row = await runRow(store, state);
  const stepKeys = await runStepKeys(store, state.id);
  const order = state.pipeline?.stages?.length ? [...state.pipeline.stages] : Object.keys(state.stages);
  for (const id of Object.keys(state.stages)) if (!order.includes(id)) order.push(id);
  const history = state.metadata?.history ?? [];
  const { plan, note } = options.opener ? await rerunPlan(store, state, { opener: options.opener, pipeline: options.pipeline }) : { plan: undefined, note: null };
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
      startedAt: record?.startedAt ?? null,
      finishedAt: record?.finishedAt ?? null,
      durationMs: record?.durationMs ?? null,
      artifacts: (record?.artifacts ?? []).map((a) => ({ path: a.path, bytes: a.bytes, sha256: a.sha256, ...(a.pruned ? { pruned: true as const } : {}) })),
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
    edits: await editsSummary(store, state.id),
  };
}

export async function editsSummary(store: Store, runId: string): Promise<EditsSummary | null> {
  const saved = await readSavedEdits(store, runId).catch(() => undefined);
  if (!saved || isEmptyEdits(saved.edits)) return null;
  const utterances = saved.edits.utterances ?? [];
  return {
    updatedAt: saved.updatedAt,
    speakers: { ...(saved.edits.speakers ?? {}) },
    utterances: utterances.length,
    texts: utterances.filter((u) => u.text !== undefined).length,
    reassigned: utterances.filter((u) => u.assign !== undefined).length,
  };
}

/**
 * Why the pipeline file a run records may not be loaded automatically (it names plugin code), or
 * undefined when it may: a shipped pipeline, or a run made here in a local SQLite store and not
 * imported. A shared store or an import file can name any file.
 */
export function recordedPipelineUnsafe(store: Store, state: RunState, file: string, opener: Pick<PipelineOpener, 'isShipped'>): string | undefined {
  if (opener.isShipped(file)) return undefined;
  if (state.metadata?.imported) return 'the run was imported';
  if (!isLocalSqlite(store.url)) return `the run comes from a shared store (${displayStoreUrl(store.url)})`;
  return undefined;
}

function isLocalSqlite(url: string): boolean {
  return url.startsWith('sqlite://') || !/^[a-z]+:\/\//i.test(url);
}

export interface RerunOptions {
  opener: PipelineOpener;
  /** A pipeline file the user named, instead of the one the run records. */
  pipeline?: string | undefined;
  /** `stage.param=value` overrides (e.g. the `--set` values the run recorded). */
  overrides?: string[];
  fromStage?: string;
  forceRestart?: boolean;
  workDir?: string;
}

/** The plan a rerun of this run would follow now, computed with a dry run (nothing runs, nothing is called). */
export async function rerunPlan(store: Store, state: RunState, options: RerunOptions): Promise<{ plan?: PlannedStage[]; note: string | null }> {
  const named = options.pipeline;
  const file = named ?? state.pipeline?.file;
  if (named && !existsSync(named)) return { note: `pipeline file ${named} (--pipeline) does not exist` };
  if (!file || !existsSync(file)) return { note: `pipeline file ${printable(file || '(unknown)')} no longer exists; showing recorded state only` };
  const unsafe = named ? undefined : recordedPipelineUnsafe(store, state, file, options.opener);
  if (unsafe) {
    return { note: `${unsafe}, so its pipeline file ${printable(file)} and the plugins it names are not loaded; pass --pipeline FILE to see what a rerun would do` };
  }
  try {
    const pipeline = await options.opener.open(file, options.overrides);
    const fileInputs = Object.entries(pipeline.spec.inputs ?? {}).filter(([, spec]) => spec.type === 'file');
    if (fileInputs.length !== 1) return { note: `the pipeline declares ${fileInputs.length} file inputs; the rerun plan needs exactly one` };
    const summary = await runPipeline({
      pipeline,
      inputs: { [fileInputs[0]![0]]: state.input_file },
      store,
      dryRun: true,
      outDir: state.out_dir,
      ...(options.fromStage ? { fromStage: options.fromStage } : {}),
      ...(options.forceRestart ? { forceRestart: true } : {}),
      ...(options.workDir ? { workDir: options.workDir } : {}),
    });
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
  /** Removed after the run completed (a cheap intermediate): not checked, made again when a run needs it. */
  pruned?: boolean;
}

/**
 * Re-hashes every recorded artifact of a run (`full`) or checks size+mtime first (quick). Exports
 * are reported with `export: true`; a changed export never makes a run invalid (the next run
 * writes it again and keeps the changed file as a backup). Pruned artifacts are reported as such,
 * unchecked: their files are gone on purpose.
 */
export async function verifyRun(state: RunState, full: boolean): Promise<ArtifactReport[]> {
  const artifacts = runArtifacts(state);
  const kept = artifacts.filter((a) => !a.pruned);
  const checks = new Map((await checkArtifacts(kept, full)).map((c, i) => [kept[i]!, c]));
  return artifacts.map((artifact): ArtifactReport => {
    const base = { stage: artifact.stage, path: artifact.path, bytes: artifact.bytes };
    const c = checks.get(artifact);
    if (!c) return { ...base, ok: true, pruned: true };
    const exported = artifact.export === true || Boolean(state.stages[artifact.stage]?.destination);
    return { ...base, ok: c.ok, ...(c.ok ? {} : { reason: c.reason }), ...(exported ? { export: true } : {}) };
  });
}

/** Artifacts whose loss or change means the run's own checkpoints are damaged (exports excluded). */
export function damaged(reports: ArtifactReport[]): ArtifactReport[] {
  return reports.filter((a) => !a.ok && !a.export);
}

/**
 * The merged transcript a run's exports are made from: the file its editable (export) stage's
 * `transcript` param references, else the output of a core/merge stage. The store is untrusted:
 * the file must lie in the run's stage directories and hash as recorded before it is read.
 */
export async function runTranscript(state: RunState): Promise<{ stage: string; ref: FileRef; merged: MergedTranscript }> {
  const source = transcriptSource(state);
  if (!source) {
    throw new SpxError('INPUT_INVALID', `Run ${state.id} has no merged transcript (no core/merge stage has completed).`, { hint: 'Transcript edits need a run of a pipeline that merges and exports a transcript; run it to the end first.' });
  }
  const record = state.stages[source.stage]!;
  const check = strayRecordedFile({ artifacts: [], outputs: { t: source.ref } }, state.id) ? { ok: false, reason: 'it is outside the run directory' } : await verifyFile(source.ref);
  if (!check.ok || !record.artifacts.some((a) => a.path === source.ref.path && a.sha256 === source.ref.sha256)) {
    throw new SpxError('CHECKPOINT_INVALID', `The merged transcript of run ${state.id} (stage "${source.stage}") cannot be used: ${check.ok ? 'it is not one of the stage\'s recorded artifacts' : check.reason}.`, {
      hint: `Run the pipeline again to rebuild it (spx run … --from-stage ${source.stage}).`,
    });
  }
  const { value } = await readDocumentText(MERGED, source.ref.path);
  return { stage: source.stage, ref: source.ref, merged: value };
}

function transcriptSource(state: RunState): { stage: string; ref: FileRef } | undefined {
  // The export stage's record (a publishing stage) names its transcript by reference.
  for (const record of Object.values(state.stages)) {
    const given = record.destination && record.params && typeof record.params === 'object' && !Array.isArray(record.params) ? record.params.transcript : undefined;
    const ref = typeof given === 'string' ? findRefs(given)[0]?.ref : undefined;
    if (ref?.kind !== 'stage') continue;
    const file = state.stages[ref.stage]?.outputs?.[ref.output];
    if (isFileRef(file) && Object.hasOwn(state.stages, ref.stage)) return { stage: ref.stage, ref: file };
  }
  for (const [stage, record] of Object.entries(state.stages)) {
    const file = record.outputs?.transcript;
    if (record.uses === 'core/merge' && record.status === 'completed' && isFileRef(file)) return { stage, ref: file };
  }
  return undefined;
}
