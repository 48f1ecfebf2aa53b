// Everything the UI takes from @spx/core and its entries, in one place.
export { canonicalJson, redact, sha256File, SpxError, toSpxError } from '@spx/core';
export { redactValue } from '@spx/core/redact';
export { applyEdits, combineEdits, utteranceKey, type MergedTranscript, type TranscriptEdits, type UtteranceEdit } from '@spx/core/formats';
export {
  deleteRun,
  editsSummary,
  exportRun,
  findRun,
  isRunArtifactPath,
  isRunId,
  leaseIsStale,
  liveLease,
  readSavedEdits,
  recordedPipelineUnsafe,
  rerunPlan,
  resolveRunId,
  runArtifacts,
  runDetail,
  runRow,
  runTranscript,
  saveEdits,
  scanRuns,
  storeKeys,
  verifyRun,
  type ArtifactRecord,
  type Lease,
  type PipelineOpener,
  type RunDetail,
  type RunRow,
  type RunState,
  type Store,
} from '@spx/core/engine';
