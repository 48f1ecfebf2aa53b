// Planning: for every stage, reuse or run, and why. A stage is reused when its fingerprint equals
// its checkpoint's and the checkpoint's files verify — or, lacking its own, when another run holds
// a verified checkpoint with the same fingerprint. Preflight checks, before any work, that every
// stage that may run can run here.
import { basename } from 'node:path';
import { SpxAggregateError, SpxError, isSpxError, toSpxError } from '../errors/errors.js';
import type { ErrorCode } from '../errors/codes.js';
import { keptArtifacts, type RunState } from '../checkpoints/state.js';
import { checkArtifacts, strayRecordedFile } from '../checkpoints/verify.js';
import { stageValidator } from '../pipeline/load.js';
import { findRefs } from '../pipeline/refs.js';
import type { LoadedPipeline, ResolvedStage } from '../pipeline/types.js';
import type { Json, RunInfo } from '../plugins/types.js';
import { canonicalJson } from '../util/canonical.js';
import type { RunEvent } from './events.js';
import { explainChange, fingerprint, partsOf, type FingerprintParts } from './fingerprint.js';
import { findSharedResult, type SharedResult } from './shared-results.js';
import type { PlannedStage, RunOptions } from './types.js';

export interface Decision {
  action: 'run' | 'reuse';
  reason: string;
  fingerprint: string;
  parts: FingerprintParts;
  /** Another run's checkpoint with this fingerprint, reused by copy. */
  shared?: SharedResult;
}

/** Decides one stage, given the output digests of its upstream stages (undefined: will run). */
export type Decide = (id: string, upstreamDigest: (dep: string) => string | undefined) => Promise<Decision>;

export interface DeciderOptions {
  pipeline: LoadedPipeline;
  /** The run's state before this run. */
  prior: RunState | undefined;
  inputHashes: Record<string, string>;
  run: RunInfo;
  /** Stages that run whatever their checkpoints say (--force-restart, --from-stage). */
  forced: ReadonlySet<string>;
  options: Pick<RunOptions, 'store' | 'forceRestart' | 'fromStage'>;
  workDir: string;
}

export function createDecider({ pipeline, prior, inputHashes, run, forced, options, workDir }: DeciderOptions): Decide {
  /** A run's own checkpoint is missing or stale: another run's with this fingerprint serves as well. */
  const elsewhere = async (fp: string, parts: FingerprintParts, why: string): Promise<Decision> => {
    const shared = await findSharedResult(options.store, fp, { runId: run.id, workDir });
    if (shared) return { action: 'reuse', reason: `same work as stage "${shared.record.stage}" of run ${shared.runId} (${shared.pipeline}), checkpoint from ${shared.record.finishedAt} verified`, fingerprint: fp, parts, shared };
    return { action: 'run', reason: why, fingerprint: fp, parts };
  };
  return async (id, upstreamDigest) => {
    const stage = pipeline.stages.get(id)!;
    const upstream: Record<string, string> = {};
    const unknownUpstream: string[] = [];
    for (const dep of stage.deps) {
      const digest = upstreamDigest(dep);
      if (digest === undefined) unknownUpstream.push(dep);
      else upstream[dep] = digest;
    }
    const inputs: Record<string, string> = {};
    for (const site of findRefs(stage.spec.with ?? {})) if (site.ref?.kind === 'input' && Object.hasOwn(inputHashes, site.ref.name)) inputs[site.ref.name] = inputHashes[site.ref.name]!;
    const parts: FingerprintParts = {
      uses: stage.uses,
      plugin: stage.plugin.name,
      pluginVersion: stage.plugin.version,
      ...(stage.definition.version ? { stageVersion: stage.definition.version } : {}),
      params: fingerprintParams(stage),
      upstream,
      inputs,
      ...(stage.definition.publishes ? { destination: { outDir: run.outDir, stem: run.inputStem } } : {}),
    };
    const fp = fingerprint(parts);
    const run_ = (reason: string): Decision => ({ action: 'run', reason, fingerprint: fp, parts });
    if (forced.has(id)) return run_(options.forceRestart ? 'forced (--force-restart)' : `forced (--from-stage ${options.fromStage})`);
    if (unknownUpstream.length) return run_(`upstream ${unknownUpstream.map((d) => `"${d}"`).join(', ')} will run`);
    const previous = prior?.stages[id];
    if (!previous) return elsewhere(fp, parts, prior?.failed_stage === id ? 'previous attempt failed' : 'no checkpoint');
    if (previous.fingerprint !== fp) return elsewhere(fp, parts, explainChange(partsOf(previous), parts).join('; '));
    const stray = strayRecordedFile(previous, run.id, stage.definition.publishes ? run.outDir : undefined);
    if (stray) return elsewhere(fp, parts, `artifact ${basename(stray)} is recorded outside its run directory`);
    // Pruned files are known to be gone; they are made again only for a stage that runs and needs them.
    const checks = await checkArtifacts(keptArtifacts(previous.artifacts));
    const bad = checks.find((c) => !c.ok);
    if (bad && !bad.ok) {
      if (previous.destination) return run_(`export ${basename(bad.artifact.path)} ${bad.reason === 'missing' ? 'was moved or deleted' : 'was changed'} since it was written (it is written again; a changed file is kept as a backup)`);
      return elsewhere(fp, parts, `artifact ${basename(bad.artifact.path)} ${bad.reason}`);
    }
    const pruned = previous.artifacts.filter((a) => a.pruned);
    const note = pruned.length === 0 ? '' : `; ${pruned.length === 1 ? `${pruned[0]!.name} was` : `${pruned.length} files were`} pruned (made again if a stage that runs needs ${pruned.length === 1 ? 'it' : 'them'})`;
    return { action: 'reuse', reason: `checkpoint from ${previous.finishedAt} verified${note}`, fingerprint: fp, parts };
  };
}

/** The plan with what is known before any stage runs (execution re-decides with real digests). */
export async function planStages(pipeline: LoadedPipeline, prior: RunState | undefined, decide: Decide, emit: (event: RunEvent) => void): Promise<PlannedStage[]> {
  const plan: PlannedStage[] = [];
  const predicted = new Map<string, string | undefined>();
  for (const id of pipeline.order) {
    const decision = await decide(id, (dep) => predicted.get(dep));
    predicted.set(id, decision.action === 'reuse' ? (decision.shared?.record ?? prior?.stages[id])?.outputDigest : undefined);
    plan.push({ stage: id, uses: pipeline.stages.get(id)!.uses, action: decision.action, reason: decision.reason });
    emit({ type: 'stage-plan', stage: id, action: decision.action, reason: decision.reason });
  }
  return plan;
}

function paramsWithDefaults(stage: ResolvedStage): Record<string, unknown> {
  const copy = structuredClone(stage.spec.with ?? {}) as Record<string, unknown>;
  stageValidator(stage.definition)(copy);
  return copy;
}

/** The params that define a stage's result: defaults applied, execution-only params left out. */
function fingerprintParams(stage: ResolvedStage): Json {
  const params = paramsWithDefaults(stage);
  for (const name of stage.definition.executionParams ?? []) delete params[name];
  return JSON.parse(canonicalJson(params)) as Json;
}

/** Preflight (API keys, binaries) for every stage that may run, before any work; one error per distinct problem. */
export async function preflight(pipeline: LoadedPipeline, plan: PlannedStage[], env: Record<string, string | undefined>): Promise<void> {
  const errors: SpxError[] = [];
  const seen = new Set<string>();
  for (const step of plan) {
    if (step.action !== 'run') continue;
    const stage = pipeline.stages.get(step.stage)!;
    try {
      await stage.definition.preflight?.({ stageId: stage.id, params: paramsWithDefaults(stage), env });
    } catch (thrown) {
      const problem = toSpxError(thrown);
      const key = `${problem.code}\n${problem.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      errors.push(withStage(problem, stage, 'cannot run'));
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) {
    throw new SpxAggregateError(errors[0]!.code as ErrorCode, `${errors.length} stages cannot run.`, errors, { hint: errors[0]!.hint, exitCode: errors[0]!.exitCode });
  }
}

/** The error as the stage's: "Stage "x" (uses) failed: …", its own code kept as pluginCode. */
export function withStage(error: SpxError, stage: ResolvedStage, verb = 'failed'): SpxError {
  if (error.stage) return error;
  const code = isSpxError(error) && error.code !== 'INTERNAL' ? error.code : 'STAGE_FAILED';
  return new SpxError(code, `Stage "${stage.id}" (${stage.uses}) ${verb}: ${error.message}`, {
    hint: error.hint ?? 'Fix the cause and run the same command again; completed stages are kept.',
    stage: stage.id,
    plugin: stage.plugin.name,
    cause: error.cause ?? error,
    exitCode: error.exitCode,
    retryable: error.retryable,
    ...(error.code !== code ? { pluginCode: error.code } : {}),
  });
}
