// Executing one stage: reuse its checkpoint (its own, or another run's by copy) or run it (see
// invoke.ts), after making any pruned file it needs exist again, then record it and save. A
// failure records why and keeps every completed checkpoint, including the one this attempt would
// have replaced; an interruption records nothing.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SpxError, toSpxError } from '../errors/errors.js';
import type { HeldLock } from '../checkpoints/lock.js';
import type { RunState, StageRecord } from '../checkpoints/state.js';
import type { Store } from '../checkpoints/store.js';
import { stageArtifactsDir } from '../artifacts/paths.js';
import type { LoadedPipeline, ResolvedStage } from '../pipeline/types.js';
import type { RunInfo } from '../plugins/types.js';
import { faultOf } from './abort.js';
import type { RunEvent } from './events.js';
import type { RunInputs } from './inputs.js';
import { runStage } from './invoke.js';
import { createMaterializer } from './materialize.js';
import { withStage, type Decide, type Decision } from './plan.js';
import { completedEntry, failedEntry, type Saver } from './record.js';
import { adoptSharedResult, publishResult, type SharedResult } from './shared-results.js';
import type { RunOptions, Savings } from './types.js';

/** Everything a running pipeline shares between its stages. */
export interface RunScope {
  pipeline: LoadedPipeline;
  options: RunOptions;
  run: RunInfo;
  workDir: string;
  /** The fenced store: every write checks the lease. */
  store: Store;
  lock: HeldLock;
  signal: AbortSignal;
  emit(event: RunEvent): void;
  inputs: RunInputs;
  prior: RunState | undefined;
  state: RunState;
  saver: Saver;
  decide: Decide;
  /** Exports of the run this one took the out dir over from (path → sha256). */
  inheritedExports: ReadonlyMap<string, string>;
}

/** What the stages of a run did, as they finish. */
export interface RunProgress {
  done: Map<string, StageRecord>;
  ran: string[];
  reused: string[];
  /** Reused stages whose pruned files were made again for a stage that ran. */
  remade: string[];
  saved: Savings;
  failure?: { stage: string; error: SpxError };
}

export function createStageExecutor(scope: RunScope, progress: RunProgress): (id: string) => Promise<void> {
  const { pipeline, run, signal, state, saver } = scope;
  const materializer = createMaterializer(scope, progress);
  return async (id) => {
    const stage = pipeline.stages.get(id)!;
    const startedAt = new Date();
    let fingerprintUsed = '';
    try {
      const decision = await scope.decide(id, (dep) => progress.done.get(dep)?.outputDigest);
      fingerprintUsed = decision.fingerprint;
      const stageDir = stageArtifactsDir(scope.workDir, run.id, id);
      const checkpointDir = join(stageDir, decision.fingerprint.slice(0, 12));
      const reusable = decision.action === 'reuse' ? (decision.shared ? await adopt(scope, decision.shared, id, checkpointDir) : scope.prior?.stages[id]) : undefined;
      if (reusable) return await reuse(scope, progress, stage, reusable, decision);
      scope.emit({ type: 'stage-start', stage: id, uses: stage.uses });
      state.current_stage = id;
      state.completed_stages = state.completed_stages.filter((s) => s !== id);
      await materializer.inputsOf(stage);
      const record = await runStage(scope, stage, decision, checkpointDir, startedAt, progress);
      progress.done.set(id, record);
      state.stages[id] = record;
      state.completed_stages.push(id);
      state.checkpoints.push(completedEntry(record, state.input_file));
      if (state.current_stage === id) state.current_stage = null;
      progress.ran.push(id);
      await saver.save();
      await publishResult(scope.store, record, run.id);
      // The replaced checkpoint's files go only now that the new one is saved.
      await removeSuperseded(stageDir, decision.fingerprint.slice(0, 12));
      scope.emit({ type: 'stage-done', stage: id, durationMs: record.durationMs });
    } catch (thrown) {
      const fault = faultOf(signal);
      const interrupted = signal.aborted && !fault;
      const error = interrupted ? new SpxError('ABORTED', `Interrupted during stage "${id}".`, { stage: id, hint: 'Run the same command again to resume.', cause: thrown }) : withStage(toSpxError(fault ?? thrown, 'STAGE_FAILED'), stage);
      if (!interrupted) {
        progress.failure ??= { stage: id, error };
        state.failed_stage = id;
        state.error_message = error.message;
        // A completed checkpoint with other params stays until a replacement completes.
        state.checkpoints.push(failedEntry(id, state.input_file, startedAt, fingerprintUsed, error));
      }
      scope.emit({ type: 'stage-failed', stage: id, code: error.code, message: error.message });
      if (fault?.code !== 'LEASE_LOST') await saver.save().catch((saveError: unknown) => void (progress.failure ??= { stage: id, error: toSpxError(saveError) }));
      throw error;
    }
  };
}

async function reuse(scope: RunScope, progress: RunProgress, stage: ResolvedStage, record: StageRecord, decision: Decision): Promise<void> {
  const { state } = scope;
  progress.done.set(stage.id, record);
  state.stages[stage.id] = record;
  if (decision.shared) await scope.saver.save();
  if (!state.completed_stages.includes(stage.id)) state.completed_stages.push(stage.id);
  progress.reused.push(stage.id);
  progress.saved.stages++;
  progress.saved.paidCalls += record.paidCalls;
  progress.saved.usd += record.usage * priceOf(stage, scope);
  progress.saved.durationMs += record.durationMs;
  scope.emit({ type: 'stage-reused', stage: stage.id, reason: decision.reason });
}

/** Another run's checkpoint, copied in; undefined (the stage runs) when the copy fails. */
async function adopt(scope: RunScope, shared: SharedResult, stageId: string, dir: string): Promise<StageRecord | undefined> {
  try {
    return await adoptSharedResult(scope.store, shared, { runId: scope.run.id, stageId, dir, workDir: scope.workDir });
  } catch (error) {
    if (faultOf(scope.signal)) throw error;
    scope.emit({ type: 'run-log', level: 'warn', message: `could not reuse run ${shared.runId}'s checkpoint (${toSpxError(error).message}); running the stage` });
    return undefined;
  }
}

/** Removes a stage's older checkpoint directories (fingerprint-named) once a new one is saved. */
async function removeSuperseded(stageDir: string, current: string): Promise<void> {
  const names = await readdir(stageDir).catch(() => [] as string[]);
  for (const name of names) {
    if (name !== current && /^[0-9a-f]{12}$/.test(name)) await rm(join(stageDir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function priceOf(stage: ResolvedStage, scope: RunScope): number {
  return scope.options.pricing?.[stage.uses] ?? scope.pipeline.spec.pricing?.[stage.uses] ?? stage.definition.pricing?.usd ?? 0;
}
