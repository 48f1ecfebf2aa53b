// Executing one stage: reuse its checkpoint (its own, or another run's by copy) or run it — with
// its params resolved, in its own async scope, its outputs checked, its input unchanged — then
// record it and save. A failure records why and keeps every completed checkpoint, including the
// one this attempt would have replaced; an interruption records nothing.
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SpxError, toSpxError } from '../errors/errors.js';
import type { HeldLock } from '../checkpoints/lock.js';
import { fileRefsIn, type RunState, type StageRecord } from '../checkpoints/state.js';
import type { Store } from '../checkpoints/store.js';
import { stageArtifactsDir } from '../artifacts/paths.js';
import { stageValidator } from '../pipeline/load.js';
import { substituteRefs } from '../pipeline/refs.js';
import type { LoadedPipeline, ResolvedStage } from '../pipeline/types.js';
import type { FileRef, RunInfo } from '../plugins/types.js';
import { faultOf, unlessFault } from './abort.js';
import { createStageContext } from './context.js';
import type { RunEvent } from './events.js';
import { stableOutputDigest } from './fingerprint.js';
import { currentIdentity, sameIdentity } from './input-hash.js';
import type { RunInputs } from './inputs.js';
import { withStage, type Decide, type Decision } from './plan.js';
import { completedEntry, failedEntry, publishedBy, recordArtifacts, type Saver } from './record.js';
import { adoptSharedResult, publishResult, type SharedResult } from './shared-results.js';
import { runInStageScope } from './stage-scope.js';
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
  saved: Savings;
  failure?: { stage: string; error: SpxError };
}

export function createStageExecutor(scope: RunScope, progress: RunProgress): (id: string) => Promise<void> {
  const { pipeline, run, signal, state, saver } = scope;
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

async function runStage(scope: RunScope, stage: ResolvedStage, decision: Decision, dir: string, startedAt: Date, progress: RunProgress): Promise<StageRecord> {
  const { run, signal, options } = scope;
  const previous = scope.prior?.stages[stage.id];
  const { ctx, accounting } = createStageContext({
    store: scope.store,
    run,
    stageId: stage.id,
    pluginName: stage.plugin.name,
    fingerprint: decision.fingerprint,
    params: resolveParams(stage, scope.inputs.values, progress.done),
    artifactsDir: dir,
    signal,
    emit: scope.emit,
    protectedPaths: [...scope.inputs.identities.values()].map((i) => i.path),
    published: new Map([...scope.inheritedExports, ...publishedBy(previous)]),
    fence: () => scope.lock.assertHeld(),
    env: options.env ?? process.env,
  });
  signal.throwIfAborted();
  const result = await unlessFault(runInStageScope(stage.id, async () => stage.definition.run(ctx)), signal);
  const outputs = (result?.outputs ?? undefined) as Record<string, unknown>;
  checkOutputs(stage, outputs);
  await assertInputsUnchanged(decision.parts.inputs, scope.inputs, stage.id);
  const artifacts = await recordArtifacts(outputs, Boolean(stage.definition.publishes));
  const finishedAt = new Date();
  progress.saved.paidCalls += accounting.paidStepsReused;
  return {
    stage: stage.id,
    uses: stage.uses,
    plugin: stage.plugin.name,
    pluginVersion: stage.plugin.version,
    ...(stage.definition.version ? { stageVersion: stage.definition.version } : {}),
    fingerprint: decision.fingerprint,
    params: decision.parts.params,
    upstream: decision.parts.upstream,
    inputs: decision.parts.inputs,
    ...(decision.parts.destination ? { destination: decision.parts.destination } : {}),
    status: 'completed',
    outputs,
    outputDigest: stableOutputDigest(outputs, previous),
    artifacts,
    ...(result.metadata ? { metadata: result.metadata } : {}),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    usage: accounting.usage,
    paidCalls: accounting.paidStepsRun + accounting.paidStepsReused,
  };
}

function resolveParams(stage: ResolvedStage, inputValues: Record<string, unknown>, done: ReadonlyMap<string, StageRecord>): Record<string, unknown> {
  const resolved = substituteRefs(structuredClone(stage.spec.with ?? {}), (ref) => {
    if (ref.kind === 'input') return inputValues[ref.name];
    const value = done.get(ref.stage)?.outputs[ref.output];
    return isFile(value) ? value.path : value;
  }) as Record<string, unknown>;
  const validate = stageValidator(stage.definition);
  if (!validate(resolved)) {
    const first = validate.errors?.[0];
    throw new SpxError('PARAMS_INVALID', `Stage "${stage.id}" got invalid params after resolving references: ${first?.instancePath || 'with'} ${first?.message ?? ''}.`, { stage: stage.id, hint: 'Check that the referenced outputs have the type this stage expects.' });
  }
  return resolved;
}

function isFile(value: unknown): value is FileRef {
  return fileRefsIn(value).length === 1 && (value as FileRef)?.kind === 'file';
}

function checkOutputs(stage: ResolvedStage, outputs: Record<string, unknown>): void {
  for (const [name, spec] of Object.entries(stage.definition.outputs)) {
    const value = outputs?.[name];
    if (value === undefined) throw new SpxError('STAGE_OUTPUT_INVALID', `Stage "${stage.id}" (${stage.uses}) did not return its declared output "${name}".`, { stage: stage.id, hint: `This is a bug in ${stage.plugin.name}; report it to its authors.` });
    if (spec.kind === 'file' && !isFile(value)) throw new SpxError('STAGE_OUTPUT_INVALID', `Stage "${stage.id}" output "${name}" is not a file reference.`, { stage: stage.id, hint: `This is a bug in ${stage.plugin.name}: return ctx.artifacts.write()/adopt() results for file outputs.` });
  }
}

/**
 * Fails the stage when an input it read changed while it ran: its output may come from content
 * that is no longer the input (or from an edit that was undone), and must not be checkpointed.
 */
async function assertInputsUnchanged(referenced: Record<string, string>, inputs: RunInputs, stageId: string): Promise<void> {
  for (const name of Object.keys(referenced)) {
    const input = inputs.identities.get(name);
    if (!input) continue;
    const now = await currentIdentity(input.path);
    if (!now || !sameIdentity(now, input.identity)) {
      throw new SpxError('INPUT_CHANGED', `Input "${name}" (${input.path}) was ${now ? 'modified' : 'removed'} while stage "${stageId}" was reading it; its result was not saved.`, {
        hint: 'Leave inputs alone while spx runs, then run the same command again (completed stages are kept).',
      });
    }
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
