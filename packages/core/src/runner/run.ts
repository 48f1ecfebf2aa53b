// The runner: plans every stage (reuse or run, with a reason), checks before any work that the
// run can go ahead, runs what must run in dependency order with bounded concurrency, checkpoints
// each stage as it completes, and keeps all completed work when a stage fails or the run is
// interrupted. The steps live in their own modules: inputs, plan, execute, schedule, record.
import { SpxError, toSpxError } from '../errors/errors.js';
import { readSavedEdits, withEdits } from '../checkpoints/edits.js';
import { keys } from '../checkpoints/keys.js';
import { acquireRunLock } from '../checkpoints/lock.js';
import { fencedStore } from '../checkpoints/fenced-store.js';
import { claimRunDir } from '../checkpoints/ownership.js';
import { deletePrunedFiles, markPruned, pruneRefusal, withRetention, type PruneResult } from '../checkpoints/prune.js';
import { fileRefsIn, type RunState } from '../checkpoints/state.js';
import { downstreamOf } from '../pipeline/dag.js';
import { abortExitCode, faultOf } from './abort.js';
import { assertOutputsFree, assertSamePipeline, checkOutDir, claimOutputs } from './destinations.js';
import type { RunEvent } from './events.js';
import { createStageExecutor, type RunProgress, type RunScope } from './execute.js';
import { resolveInputs, runInfoFor, workDirOf } from './inputs.js';
import { createDecider, planStages, preflight } from './plan.js';
import { createSaver, finishState, freshState } from './record.js';
import { scheduleStages } from './schedule.js';
import type { RunOptions, RunSummary, Savings } from './types.js';

export { computeRunId, runIdOf } from './inputs.js';
export type { PlannedStage, RunOptions, RunSummary, Savings } from './types.js';

const noSavings = (): Savings => ({ stages: 0, paidCalls: 0, usd: 0, durationMs: 0 });

export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const { store } = options;
  let pipeline = options.pipeline;
  const emit = (event: RunEvent) => options.onEvent?.(event);
  // The caller's signal (Ctrl-C) and our own (a fault outside a stage's promise, a lost lease).
  const internal = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, internal.signal]) : internal.signal;

  const inputs = await resolveInputs(pipeline, options.inputs, store);
  const run = runInfoFor(pipeline, inputs, options);
  const workDir = workDirOf(options);
  const input = inputs.mainInput ?? '';
  const publishing = pipeline.order.filter((id) => pipeline.stages.get(id)!.definition.publishes);
  if (options.fromStage && !pipeline.stages.has(options.fromStage)) {
    throw new SpxError('USAGE', `--from-stage "${options.fromStage}" is not a stage of ${pipeline.spec.name}.`, { hint: `Stages: ${pipeline.order.join(', ')}.` });
  }

  const lock = options.dryRun
    ? undefined
    : await acquireRunLock(store, run.id, {
        waitMs: options.lockWaitMs ?? 0,
        signal,
        pipeline: pipeline.file,
        onWait: (holder) => emit({ type: 'run-log', level: 'warn', message: `run ${run.id} is in use by pid ${holder.pid} on ${holder.host}; waiting for it to finish` }),
        onLost: (error) => internal.abort(error),
      });
  try {
    // The run's saved transcript edits reach the stages that apply them as a param (and fingerprint).
    const savedEdits = await readSavedEdits(store, run.id);
    pipeline = withEdits(pipeline, savedEdits?.edits);
    const prior = await store.get<RunState>(keys.run(run.id));
    assertSamePipeline(prior, pipeline, run.id);
    const destination = { runId: run.id, outDir: run.outDir, inputStem: run.inputStem, input, pipelineFile: pipeline.file };
    const inheritedExports = publishing.length ? await assertOutputsFree(store, destination) : new Map<string, string>();
    const state = freshState(prior, run.id, pipeline, input, inputs.hashes, run.outDir);
    const forced = new Set<string>(options.forceRestart ? pipeline.order : options.fromStage ? downstreamOf(options.fromStage, new Map([...pipeline.stages].map(([id, s]) => [id, s.deps]))) : []);
    const decide = createDecider({ pipeline, prior, inputHashes: inputs.hashes, run, forced, options, workDir });
    const plan = await planStages(pipeline, prior, decide, emit);

    // Before any work: the export directory can take files, and every stage that may run can run here.
    if (plan.some((step) => step.action === 'run' && publishing.includes(step.stage))) await checkOutDir(run.outDir, { explicit: options.outDir !== undefined });
    await preflight(pipeline, plan, options.env ?? process.env);
    if (options.dryRun) return { runId: run.id, status: 'planned', plan, ran: [], reused: [], remade: [], durationMs: Date.now() - started, outputs: [], saved: noSavings(), state: prior ?? state };

    // Every write of this run goes through the lease check: a holder that lost the run writes nothing.
    const fenced = fencedStore(store, lock!);
    if (publishing.length) await claimOutputs(fenced, destination);
    await claimRunDir(store, workDir, run.id, pipeline.order);
    emit({ type: 'run-start', runId: run.id, pipeline: pipeline.spec.name, version: pipeline.spec.version, input, stages: pipeline.order, resumed: Boolean(prior) });
    const saver = createSaver(fenced, run.id, state);
    state.status = 'in_progress';
    await saver.save();
    if (savedEdits) await fenced.set(keys.edits(run.id), savedEdits); // lives as long as the run it belongs to

    const scope: RunScope = { pipeline, options, run, workDir, store: fenced, lock: lock!, signal, emit, inputs, prior, state, saver, decide, inheritedExports };
    const progress: RunProgress = { done: new Map(), ran: [], reused: [], remade: [], saved: noSavings() };
    await scheduleStages({
      order: pipeline.order,
      depsOf: (id) => pipeline.stages.get(id)!.deps,
      isDone: (id) => progress.done.has(id),
      limit: Math.max(1, options.concurrency ?? pipeline.spec.concurrency ?? 4),
      stopped: () => Boolean(progress.failure) || signal.aborted,
      execute: createStageExecutor(scope, progress),
    });

    const fault = faultOf(signal);
    if (fault && !progress.failure) progress.failure = { stage: state.current_stage ?? pipeline.order.find((id) => !progress.done.has(id)) ?? '', error: fault };
    const outcome = progress.failure ? 'failed' : progress.done.size < pipeline.order.length ? 'interrupted' : 'completed';
    const durationMs = Date.now() - started;
    finishState(state, outcome, { pipelineVersion: pipeline.spec.version, ran: progress.ran, reused: progress.reused, ...(progress.remade.length ? { remade: progress.remade } : {}), durationMs });
    // Pruning marks the state first; the files go only once that state is saved (see checkpoints/prune.ts).
    const pruning = outcome === 'completed' && (await markForPruning(scope));
    let stored = false;
    if (fault?.code !== 'LEASE_LOST') {
      try {
        await saver.save();
        stored = true;
      } catch (saveError) {
        progress.failure ??= { stage: '', error: toSpxError(saveError) };
      }
    }
    const pruned = pruning && stored ? await deletePruned(scope) : undefined;
    const status = progress.failure ? 'failed' : outcome;
    emit({ type: 'run-end', runId: run.id, status, durationMs });
    const outputs = publishing.flatMap((id) => fileRefsIn(progress.done.get(id)?.outputs ?? {}));
    const error = progress.failure?.error ?? (status === 'interrupted' ? new SpxError('ABORTED', 'Run interrupted; completed stages are kept.', { hint: 'Run the same command again to resume.', exitCode: abortExitCode(signal) }) : undefined);
    const { ran, reused, remade, saved, failure } = progress;
    return { runId: run.id, status, plan, ran, reused, remade, ...(failure ? { failed: failure } : {}), ...(error ? { error } : {}), durationMs, outputs, saved, ...(pruned ? { pruned } : {}), state };
  } finally {
    await lock?.release();
  }
}

/**
 * Marks the artifacts of a completed run as the stage definitions declare them (kept whole with
 * keepIntermediates, so `checkpoints cleanup --prune` can act later), then the cheap ones pruned
 * unless kept; true when there are files to delete once the state is saved.
 */
async function markForPruning({ pipeline, state, options, store, workDir, run, emit }: RunScope): Promise<boolean> {
  for (const id of pipeline.order) {
    const record = state.stages[id];
    if (record) state.stages[id] = withRetention(record, pipeline.stages.get(id)!.definition.retention);
  }
  if (options.keepIntermediates) return false;
  const refusal = await pruneRefusal(store, workDir, run.id);
  if (refusal) {
    emit({ type: 'run-log', level: 'info', message: `intermediate files kept: ${refusal}` });
    return false;
  }
  markPruned(state);
  return Object.values(state.stages).some((record) => record.artifacts.some((a) => a.pruned));
}

/** Deletes the files marked pruned; a file that cannot be deleted is reported, never a failure of the run. */
async function deletePruned({ state, workDir, emit }: RunScope): Promise<PruneResult | undefined> {
  try {
    return await deletePrunedFiles(state, workDir);
  } catch (error) {
    emit({ type: 'run-log', level: 'warn', message: `could not remove every pruned file (${toSpxError(error).message}); \`spx checkpoints cleanup --prune\` tries again` });
    return undefined;
  }
}
