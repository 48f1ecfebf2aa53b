// Remaking pruned files. A reused stage whose cheap files were pruned after an earlier run needs
// nothing back, and its downstream stages are reused as before: its recorded outputDigest stays
// valid for their fingerprints. Only when a stage that runs references a pruned output is the
// producing stage run again (its own pruned inputs first), once for all the stages that need it.
//
// Never repay: remaking never changes the producing stage's fingerprint or outputDigest, so no
// completed stage downstream runs again because of it — even when the new bytes differ from the
// record (another ffmpeg build). The outputs and artifact records take the new files' size and
// sha256, the stages that run now use them, and the run warns, naming both sha256s.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stageArtifactsDir } from '../artifacts/paths.js';
import { toSpxError } from '../errors/errors.js';
import { fileRefsIn, type StageRecord } from '../checkpoints/state.js';
import { checkArtifacts } from '../checkpoints/verify.js';
import { findRefs } from '../pipeline/refs.js';
import type { ResolvedStage } from '../pipeline/types.js';
import type { RunProgress, RunScope } from './execute.js';
import { partsOf } from './fingerprint.js';
import { runStage } from './invoke.js';
import { withStage } from './plan.js';

export interface Materializer {
  /** Makes every pruned file the stage's params reference exist again (before the stage runs). */
  inputsOf(stage: ResolvedStage): Promise<void>;
}

export function createMaterializer(scope: RunScope, progress: RunProgress): Materializer {
  const pending = new Map<string, Promise<void>>();
  const inputsOf = async (stage: ResolvedStage): Promise<void> => {
    const needed = new Set<string>();
    for (const site of findRefs(stage.spec.with ?? {})) {
      if (site.ref?.kind !== 'stage') continue;
      const record = progress.done.get(site.ref.stage);
      if (record && prunedFilesIn(record, record.outputs?.[site.ref.output]).length > 0) needed.add(site.ref.stage);
    }
    await Promise.all([...needed].map((id) => remake(id, stage.id)));
  };
  // Concurrent consumers share one remake; a failed one fails each of them.
  const remake = (id: string, forStage: string): Promise<void> => {
    let job = pending.get(id);
    if (!job) {
      job = remakeStage(scope, progress, id, forStage, inputsOf);
      pending.set(id, job);
    }
    return job;
  };
  return { inputsOf };
}

async function remakeStage(scope: RunScope, progress: RunProgress, id: string, forStage: string, inputsOf: (stage: ResolvedStage) => Promise<void>): Promise<void> {
  const stage = scope.pipeline.stages.get(id)!;
  const record = progress.done.get(id)!;
  await inputsOf(stage);
  const next = (await takenBack(record)) ?? (await rerun(scope, progress, stage, record, forStage));
  progress.done.set(id, next);
  scope.state.stages[id] = next;
  progress.remade.push(id);
  await scope.saver.save();
}

/** The record with its pruned files taken back, when all of them are still there and verify (a kill before they were deleted). */
async function takenBack(record: StageRecord): Promise<StageRecord | undefined> {
  const pruned = record.artifacts.filter((a) => a.pruned);
  const checks = await checkArtifacts(pruned, true);
  if (!checks.every((c) => c.ok)) return undefined;
  const artifacts = await Promise.all(
    record.artifacts.map(async (a) => {
      if (!a.pruned) return a;
      const { pruned: _, ...rest } = a;
      return { ...rest, mtimeMs: (await stat(a.path)).mtimeMs };
    }),
  );
  return { ...record, artifacts };
}

/** Runs the stage again into its checkpoint directory; the record keeps its fingerprint and outputDigest. */
async function rerun(scope: RunScope, progress: RunProgress, stage: ResolvedStage, record: StageRecord, forStage: string): Promise<StageRecord> {
  const pruned = record.artifacts.filter((a) => a.pruned);
  scope.emit({ type: 'run-log', level: 'info', message: `stage "${stage.id}": making ${describe(pruned.map((a) => a.name))} again for stage "${forStage}" (pruned after an earlier run)` });
  const dir = join(stageArtifactsDir(scope.workDir, scope.run.id, stage.id), record.fingerprint.slice(0, 12));
  let fresh: StageRecord;
  try {
    fresh = await runStage(scope, stage, { action: 'run', reason: 'remake pruned files', fingerprint: record.fingerprint, parts: partsOf(record) }, dir, new Date(), progress);
  } catch (error) {
    if (scope.signal.aborted) throw error;
    throw withStage(toSpxError(error, 'STAGE_FAILED'), stage, 'failed while making its pruned files again');
  }
  const changed = record.artifacts.flatMap((old) => {
    const now = fresh.artifacts.find((a) => a.path === old.path);
    return now?.sha256 === old.sha256 ? [] : [`${old.name}: sha256 ${old.sha256.slice(0, 12)} → ${now ? now.sha256.slice(0, 12) : 'not written'}`];
  });
  if (changed.length > 0) {
    scope.emit({
      type: 'run-log',
      level: 'warn',
      message: `stage "${stage.id}" made its files again with other bytes than recorded (${changed.join('; ')}); the completed stages downstream stay reused, the stages that run now use the new files`,
    });
  }
  return { ...record, outputs: fresh.outputs, artifacts: fresh.artifacts };
}

/** Paths of pruned artifacts of the record that a value (one of its outputs) names. */
function prunedFilesIn(record: StageRecord, value: unknown): string[] {
  const pruned = new Set(record.artifacts.filter((a) => a.pruned).map((a) => a.path));
  return fileRefsIn(value).map((ref) => ref.path).filter((path) => pruned.has(path));
}

function describe(names: string[]): string {
  return names.length === 1 ? names[0]! : `${names.length} files`;
}
