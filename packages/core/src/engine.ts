// @spx/core/engine — what runs pipelines: the loader, the runner, the state store, run management
// (list, show, delete, export, import, cleanup) and the views of stored runs that `spx checkpoints`
// and `spx ui` show, a run's saved transcript edits, leases, and the built-in core/merge and
// core/export stages. The CLI and tools built on spx use it; plugins need none of it.
export { loadPipeline, type LoadPipelineOptions } from './pipeline/load.js';
export { parseYaml, readPipelineFile } from './pipeline/parse.js';
export { findRefs, type Ref } from './pipeline/refs.js';
export type { LoadedPipeline, PipelineSpec, PipelineStageSpec, PipelineInputSpec, ResolvedStage, Locator } from './pipeline/types.js';
export { loadPlugin, resolvePlugin, type PluginLoadOptions } from './plugins/load.js';
export { runPipeline, computeRunId, runIdOf, type RunOptions, type RunSummary, type PlannedStage, type Savings } from './runner/run.js';
export type { RunEvent, RunEventListener, StageState } from './runner/events.js';
export { guardPluginFaults, type FaultGuard } from './runner/fault-guard.js';
export { openStore, defaultStoreUrl, displayStoreUrl, type Store, type StoreOptions } from './checkpoints/store.js';
export { keys as storeKeys } from './checkpoints/keys.js';
export { leaseIsStale, type Lease } from './checkpoints/lock.js';
export { checkArtifacts, type ArtifactCheck } from './checkpoints/verify.js';
export { listRuns, scanRuns, invalidEntry, resolveRunId, findRun, runStepKeys, runArtifacts, runSize, liveLease, deleteRun, orphanRunDirs, type RunExport, type DeleteRunResult, type InvalidRunEntry, type LeftAlone, type OrphanSweep } from './checkpoints/runs.js';
export { exportRun, parseRunExport, importRun, type ImportRunResult } from './checkpoints/transfer.js';
export { runRow, runDetail, editsSummary, rerunPlan, recordedPipelineUnsafe, verifyRun, damaged, runTranscript, type PipelineOpener, type RunRow, type RunDetail, type RunDisplayStatus, type StageDetail, type StageStatus, type EditsSummary, type DetailOptions, type RerunOptions, type ArtifactReport } from './checkpoints/views.js';
export { readSavedEdits, saveEdits, type SavedEdits } from './checkpoints/edits.js';
export { isRunId, isRunArtifactPath, isWithin } from './artifacts/paths.js';
export { storeIdentity, printable, RUN_MARKER, type RunMarker, type RunDirOwnership, type StoreIdentity } from './checkpoints/ownership.js';
export type { RunState, StageRecord, CheckpointEntry, ArtifactRecord, RunStatus, RunAttempt } from './checkpoints/state.js';
export { keptArtifacts } from './checkpoints/state.js';
export { pruneStoredRun, type PruneResult, type RetentionMap, type StoredPrune } from './checkpoints/prune.js';
export { writeFileAtomic } from './artifacts/atomic.js';
export { formatError } from './errors/format.js';
export { parseProviderLimits, type ProviderLimit } from './http/fleet-limit.js';
export { corePlugin, mergeStage, exportStage } from './stages/index.js';
