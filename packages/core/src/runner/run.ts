// The runner: plans every stage (reuse or run, with a reason), runs what must run in
// dependency order with bounded concurrency, checkpoints each stage as it completes, and
// keeps all completed work when a stage fails or the run is interrupted.
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { SpxAggregateError, SpxError, isSpxError, toSpxError } from '../errors/errors.js';
import type { ErrorCode } from '../errors/codes.js';
import { keys } from '../checkpoints/keys.js';
import { acquireRunLock } from '../checkpoints/lock.js';
import { fencedStore } from '../checkpoints/fenced-store.js';
import type { Store } from '../checkpoints/store.js';
import { fileRefsIn, type ArtifactRecord, type RunState, type StageRecord } from '../checkpoints/state.js';
import { checkArtifacts, strayRecordedFile } from '../checkpoints/verify.js';
import { claimRunDir } from '../checkpoints/ownership.js';
import { stageArtifactsDir } from '../artifacts/paths.js';
import { sha256 } from '../artifacts/hash.js';
import { stageValidator } from '../pipeline/load.js';
import { substituteRefs, findRefs } from '../pipeline/refs.js';
import type { LoadedPipeline, ResolvedStage } from '../pipeline/types.js';
import { downstreamOf } from '../pipeline/dag.js';
import type { FileRef, Json, RunInfo } from '../plugins/types.js';
import { canonicalJson } from '../util/canonical.js';
import { own } from '../util/own.js';
import { createStageContext } from './context.js';
import type { RunEvent, RunEventListener } from './events.js';
import { explainChange, fingerprint, stableOutputDigest, type FingerprintParts } from './fingerprint.js';
import { abortExitCode, faultOf, unlessFault } from './abort.js';
import { runInStageScope } from './stage-scope.js';
import { adoptSharedResult, findSharedResult, publishResult, type SharedResult } from './shared-results.js';
import { currentIdentity, hashInputFile, sameIdentity, type FileIdentity } from './input-hash.js';
import { assertOutputsFree, assertSamePipeline, checkOutDir, claimOutputs } from './destinations.js';
import { SPX_VERSION } from '../version.js';

export interface RunOptions {
  pipeline: LoadedPipeline;
  /** Input values by name; file inputs are paths. */
  inputs: Record<string, string | number | boolean>;
  store: Store;
  /** Directory for stage artifacts (default `<cwd>/.spx`). */
  workDir?: string;
  /** Where user-facing exports go (default: next to the main input). */
  outDir?: string;
  forceRestart?: boolean;
  fromStage?: string;
  /** Plan only: report what would run and why; runs nothing, calls nothing. */
  dryRun?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: RunEventListener;
  env?: Record<string, string | undefined>;
  /** Wait this long for another process holding the run (ms). */
  lockWaitMs?: number;
  /** Price overrides: `uses` → USD per unit. */
  pricing?: Record<string, number>;
}

export interface PlannedStage {
  stage: string;
  uses: string;
  action: 'run' | 'reuse';
  reason: string;
}

export interface RunSummary {
  runId: string;
  status: 'completed' | 'failed' | 'interrupted' | 'planned';
  plan: PlannedStage[];
  ran: string[];
  reused: string[];
  failed?: { stage: string; error: SpxError };
  error?: SpxError;
  durationMs: number;
  /** Files the run published (exports). */
  outputs: FileRef[];
  saved: { stages: number; paidCalls: number; usd: number; durationMs: number };
  state: RunState;
}

/** Run id: pipeline name + content of the inputs. A renamed input resumes; an edited one starts afresh. */
export function computeRunId(pipelineName: string, inputHashes: Record<string, string>, values: Record<string, unknown>): string {
  return sha256(canonicalJson({ pipeline: pipelineName, inputs: inputHashes, values })).slice(0, 12);
}

export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const { pipeline, store } = options;
  const emit = (event: RunEvent) => options.onEvent?.(event);
  // The caller's signal (Ctrl-C) and our own (a fault outside a stage's promise, a lost lease).
  const internal = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, internal.signal]) : internal.signal;
  const specInputs = pipeline.spec.inputs ?? {};

  // Inputs: file contents hashed (cached), other values taken as given.
  const inputValues: Record<string, unknown> = {};
  const inputHashes: Record<string, string> = {};
  const inputIdentities = new Map<string, { path: string; identity: FileIdentity }>();
  let mainInput: string | undefined;
  for (const [name, spec] of Object.entries(specInputs)) {
    const given = own(options.inputs, name) ?? spec.default;
    if (given === undefined) throw new SpxError('INPUT_MISSING', `Pipeline input "${name}" was not given.`, { hint: `Pass it on the command line (spx run ${basename(pipeline.file)} <${name}>).` });
    if (spec.type === 'file') {
      const hashed = await hashInputFile(store, name, String(given));
      inputValues[name] = hashed.path;
      inputHashes[name] = hashed.sha256;
      inputIdentities.set(name, { path: hashed.path, identity: hashed.identity });
      mainInput ??= hashed.path;
    } else inputValues[name] = given;
  }
  for (const name of Object.keys(options.inputs)) {
    if (!own(specInputs, name)) throw new SpxError('INPUT_INVALID', `Pipeline "${pipeline.spec.name}" has no input "${name}".`, { hint: `Its inputs are: ${Object.keys(specInputs).join(', ') || '(none)'}.` });
  }
  const inputFiles = [...inputIdentities.values()].map((i) => i.path);
  const scalarValues = Object.fromEntries(Object.entries(inputValues).filter(([n]) => own(specInputs, n)?.type !== 'file'));
  const runId = computeRunId(pipeline.spec.name, inputHashes, scalarValues);
  const workDir = resolve(options.workDir ?? join(process.cwd(), '.spx'));
  const outDir = resolve(options.outDir ?? (mainInput ? dirname(mainInput) : process.cwd()));
  const inputStem = mainInput ? basename(mainInput, extname(mainInput)) : pipeline.spec.name;
  const run: RunInfo = { id: runId, outDir, inputStem, pipeline: { name: pipeline.spec.name, version: pipeline.spec.version, file: pipeline.file } };
  const publishing = pipeline.order.filter((id) => pipeline.stages.get(id)!.definition.publishes);

  if (options.fromStage && !pipeline.stages.has(options.fromStage)) {
    throw new SpxError('USAGE', `--from-stage "${options.fromStage}" is not a stage of ${pipeline.spec.name}.`, { hint: `Stages: ${pipeline.order.join(', ')}.` });
  }

  const lock = options.dryRun
    ? undefined
    : await acquireRunLock(store, runId, {
        waitMs: options.lockWaitMs ?? 0,
        signal,
        pipeline: pipeline.file,
        onWait: (holder) => emit({ type: 'run-log', level: 'warn', message: `run ${runId} is in use by pid ${holder.pid} on ${holder.host}; waiting for it to finish` }),
        onLost: (error) => internal.abort(error),
      });
  try {
    const prior = await store.get<RunState>(keys.run(runId));
    assertSamePipeline(prior, pipeline, runId);
    const inheritedExports = publishing.length ? await assertOutputsFree(store, { runId, outDir, inputStem, input: mainInput ?? '', pipelineFile: pipeline.file }) : new Map<string, string>();
    const state = freshState(prior, runId, pipeline, mainInput ?? '', inputHashes, outDir);
    delete state.metadata.imported; // run here now: its pipeline file is the one named to spx run
    const forced = new Set<string>();
    if (options.forceRestart) for (const id of pipeline.order) forced.add(id);
    if (options.fromStage) for (const id of downstreamOf(options.fromStage, dependencyMap(pipeline))) forced.add(id);

    // Plan with what is known now; execution re-decides with actual upstream digests.
    const decide = createDecider({ pipeline, state: prior, inputHashes, run, forced, options, workDir });
    const plan: PlannedStage[] = [];
    const predicted = new Map<string, string | undefined>();
    for (const id of pipeline.order) {
      const decision = await decide(id, (dep) => predicted.get(dep));
      predicted.set(id, decision.action === 'reuse' ? (decision.shared?.record ?? prior?.stages[id])?.outputDigest : undefined);
      plan.push({ stage: id, uses: pipeline.stages.get(id)!.uses, action: decision.action, reason: decision.reason });
      emit({ type: 'stage-plan', stage: id, action: decision.action, reason: decision.reason });
    }
    // Before any work: the export directory can take files, and every stage that may run can run here.
    if (plan.some((step) => step.action === 'run' && publishing.includes(step.stage))) await checkOutDir(outDir, { explicit: options.outDir !== undefined });
    await preflight(pipeline, plan, options.env ?? process.env);
    const emptySaved = { stages: 0, paidCalls: 0, usd: 0, durationMs: 0 };
    if (options.dryRun) {
      return { runId, status: 'planned', plan, ran: [], reused: [], durationMs: Date.now() - started, outputs: [], saved: emptySaved, state: prior ?? state };
    }

    // Every write of this run goes through the lease check: a holder that lost the run writes nothing.
    const fenced = fencedStore(store, lock!);
    if (publishing.length) await claimOutputs(fenced, { runId, outDir, inputStem, input: mainInput ?? '', pipelineFile: pipeline.file });
    await claimRunDir(store, workDir, runId, pipeline.order);
    emit({ type: 'run-start', runId, pipeline: pipeline.spec.name, version: pipeline.spec.version, input: mainInput ?? '', stages: pipeline.order, resumed: Boolean(prior) });
    const saver = createSaver(fenced, runId, state);
    state.status = 'in_progress';
    await saver.save();

    const done = new Map<string, StageRecord>();
    const ran: string[] = [];
    const reused: string[] = [];
    const saved = { ...emptySaved };
    let failure: { stage: string; error: SpxError } | undefined;
    const running = new Map<string, Promise<void>>();
    const pending = new Set(pipeline.order);
    const limit = Math.max(1, options.concurrency ?? pipeline.spec.concurrency ?? 4);

    /** Another run's checkpoint, copied in; undefined (the stage runs) when the copy fails. */
    const adoptShared = async (shared: SharedResult, stageId: string, dir: string): Promise<StageRecord | undefined> => {
      try {
        return await adoptSharedResult(fenced, shared, { runId, stageId, dir, workDir });
      } catch (error) {
        if (faultOf(signal)) throw error;
        emit({ type: 'run-log', level: 'warn', message: `could not reuse run ${shared.runId}'s checkpoint (${toSpxError(error).message}); running the stage` });
        return undefined;
      }
    };

    const executeStage = async (id: string): Promise<void> => {
      const stage = pipeline.stages.get(id)!;
      const startedAt = new Date();
      let fingerprintUsed: string | undefined;
      try {
        const decision = await decide(id, (dep) => done.get(dep)?.outputDigest);
        fingerprintUsed = decision.fingerprint;
        const previous = prior?.stages[id];
        const stageDir = stageArtifactsDir(workDir, runId, id);
        const reusable = decision.action === 'reuse' ? (decision.shared ? await adoptShared(decision.shared, id, join(stageDir, decision.fingerprint.slice(0, 12))) : previous) : undefined;
        if (reusable) {
          done.set(id, reusable);
          state.stages[id] = reusable;
          if (decision.shared) await saver.save();
          if (!state.completed_stages.includes(id)) state.completed_stages.push(id);
          reused.push(id);
          saved.stages++;
          saved.paidCalls += reusable.paidCalls;
          saved.usd += reusable.usage * priceOf(stage, pipeline, options);
          saved.durationMs += reusable.durationMs;
          emit({ type: 'stage-reused', stage: id, reason: decision.reason });
          return;
        }
        emit({ type: 'stage-start', stage: id, uses: stage.uses });
        state.current_stage = id;
        state.completed_stages = state.completed_stages.filter((s) => s !== id);
        const resolved = resolveParams(stage, inputValues, done);
        const { ctx, accounting } = createStageContext({
          store: fenced,
          run,
          stageId: id,
          pluginName: stage.plugin.name,
          fingerprint: decision.fingerprint,
          params: resolved,
          artifactsDir: join(stageDir, decision.fingerprint.slice(0, 12)),
          signal,
          emit,
          protectedPaths: inputFiles,
          published: new Map([...inheritedExports, ...publishedBy(previous)]),
          fence: () => lock!.assertHeld(),
          env: options.env ?? process.env,
        });
        signal.throwIfAborted();
        const result = await unlessFault(runInStageScope(id, async () => stage.definition.run(ctx)), signal);
        const outputs = (result?.outputs ?? undefined) as Record<string, unknown>;
        checkOutputs(stage, outputs);
        await assertInputsUnchanged(decision.parts.inputs, inputIdentities, id);
        const artifacts = await recordArtifacts(outputs, Boolean(stage.definition.publishes));
        const finishedAt = new Date();
        const record: StageRecord = {
          stage: id,
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
        done.set(id, record);
        state.stages[id] = record;
        state.completed_stages.push(id);
        state.checkpoints.push(checkpointEntry(record, state.input_file, true, null));
        if (state.current_stage === id) state.current_stage = null;
        ran.push(id);
        saved.paidCalls += accounting.paidStepsReused;
        await saver.save();
        await publishResult(fenced, record, runId);
        // The replaced checkpoint's files go only now that the new one is saved.
        await removeSuperseded(stageDir, decision.fingerprint.slice(0, 12));
        emit({ type: 'stage-done', stage: id, durationMs: record.durationMs });
      } catch (thrown) {
        const fault = faultOf(signal);
        const interrupted = signal.aborted && !fault;
        const error = interrupted ? new SpxError('ABORTED', `Interrupted during stage "${id}".`, { stage: id, hint: 'Run the same command again to resume.', cause: thrown }) : withStage(toSpxError(fault ?? thrown, 'STAGE_FAILED'), stage);
        if (!interrupted) {
          failure ??= { stage: id, error };
          state.failed_stage = id;
          state.error_message = error.message;
          const finishedAt = new Date();
          state.checkpoints.push({
            stage: id,
            timestamp: finishedAt.toISOString(),
            input_file: state.input_file,
            output_file: null,
            output_files: [],
            metadata: { sizes: {}, duration_ms: finishedAt.getTime() - startedAt.getTime(), fingerprint: fingerprintUsed ?? '', code: error.code },
            success: false,
            error_message: error.message,
          });
          // A completed checkpoint with other params stays until a replacement completes.
        }
        emit({ type: 'stage-failed', stage: id, code: error.code, message: error.message });
        if (fault?.code !== 'LEASE_LOST') await saver.save().catch((saveError: unknown) => void (failure ??= { stage: id, error: toSpxError(saveError) }));
        throw error;
      }
    };

    // Scheduler: start every ready stage up to the limit; stop starting new ones after a failure.
    await new Promise<void>((resolveAll) => {
      const pump = () => {
        if (!failure && !signal.aborted) {
          for (const id of pipeline.order) {
            if (running.size >= limit) break;
            if (!pending.has(id)) continue;
            const deps = pipeline.stages.get(id)!.deps;
            if (!deps.every((d) => done.has(d))) continue;
            pending.delete(id);
            const task = executeStage(id)
              .catch(() => undefined)
              .finally(() => {
                running.delete(id);
                pump();
              });
            running.set(id, task);
          }
        }
        if (running.size === 0) resolveAll();
      };
      pump();
    });

    const fault = faultOf(signal);
    if (fault && !failure) failure = { stage: state.current_stage ?? pipeline.order.find((id) => !done.has(id)) ?? '', error: fault };
    const status: RunSummary['status'] = failure ? 'failed' : done.size < pipeline.order.length ? 'interrupted' : 'completed';
    state.status = status === 'completed' ? 'completed' : status === 'failed' ? 'failed' : 'in_progress';
    if (status === 'completed') {
      state.failed_stage = null;
      state.error_message = null;
    }
    if (status === 'interrupted') state.metadata.interrupted_at = new Date().toISOString();
    state.current_stage = null;
    const durationMs = Date.now() - started;
    state.metadata.history.push({ at: new Date().toISOString(), pipelineVersion: pipeline.spec.version, status: state.status, ran, reused, durationMs });
    if (state.metadata.history.length > 50) state.metadata.history.splice(0, state.metadata.history.length - 50);
    if (fault?.code !== 'LEASE_LOST') {
      try {
        await saver.save();
      } catch (saveError) {
        failure ??= { stage: '', error: toSpxError(saveError) };
      }
    }
    emit({ type: 'run-end', runId, status: failure ? 'failed' : status, durationMs });
    const outputs = publishing.flatMap((id) => fileRefsIn(done.get(id)?.outputs ?? {}));
    const error = failure?.error ?? (status === 'interrupted' ? new SpxError('ABORTED', 'Run interrupted; completed stages are kept.', { hint: 'Run the same command again to resume.', exitCode: abortExitCode(signal) }) : undefined);
    return { runId, status: failure ? 'failed' : status, plan, ran, reused, ...(failure ? { failed: failure } : {}), ...(error ? { error } : {}), durationMs, outputs, saved, state };
  } finally {
    await lock?.release();
  }
}

interface Decision {
  action: 'run' | 'reuse';
  reason: string;
  fingerprint: string;
  parts: FingerprintParts;
  /** Another run's checkpoint with this fingerprint, reused by copy. */
  shared?: SharedResult;
}

function createDecider(args: {
  pipeline: LoadedPipeline;
  state: RunState | undefined;
  inputHashes: Record<string, string>;
  run: RunInfo;
  forced: Set<string>;
  options: RunOptions;
  workDir: string;
}) {
  const { pipeline, state, inputHashes, run, forced, options } = args;
  /** A run's own checkpoint is missing or stale: another run's with this fingerprint serves as well. */
  const elsewhere = async (fp: string, parts: FingerprintParts, why: string): Promise<Decision> => {
    const shared = await findSharedResult(options.store, fp, { runId: run.id, workDir: args.workDir });
    if (shared) return { action: 'reuse', reason: `same work as stage "${shared.record.stage}" of run ${shared.runId} (${shared.pipeline}), checkpoint from ${shared.record.finishedAt} verified`, fingerprint: fp, parts, shared };
    return { action: 'run', reason: why, fingerprint: fp, parts };
  };
  return async (id: string, upstreamDigest: (dep: string) => string | undefined): Promise<Decision> => {
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
    const previous = state?.stages[id];
    if (!previous) return elsewhere(fp, parts, state?.failed_stage === id ? 'previous attempt failed' : 'no checkpoint');
    if (previous.fingerprint !== fp) {
      const prevParts: FingerprintParts = {
        uses: previous.uses,
        plugin: previous.plugin,
        pluginVersion: previous.pluginVersion,
        ...(previous.stageVersion ? { stageVersion: previous.stageVersion } : {}),
        params: previous.params,
        upstream: previous.upstream,
        inputs: previous.inputs,
        ...(previous.destination ? { destination: previous.destination } : {}),
      };
      return elsewhere(fp, parts, explainChange(prevParts, parts).join('; '));
    }
    const stray = strayRecordedFile(previous, run.id, stage.definition.publishes ? run.outDir : undefined);
    if (stray) return elsewhere(fp, parts, `artifact ${basename(stray)} is recorded outside its run directory`);
    const checks = await checkArtifacts(previous.artifacts);
    const bad = checks.find((c) => !c.ok);
    if (bad && !bad.ok) {
      if (previous.destination) return run_(`export ${basename(bad.artifact.path)} ${bad.reason === 'missing' ? 'was moved or deleted' : 'was changed'} since it was written (it is written again; a changed file is kept as a backup)`);
      return elsewhere(fp, parts, `artifact ${basename(bad.artifact.path)} ${bad.reason}`);
    }
    return { action: 'reuse', reason: `checkpoint from ${previous.finishedAt} verified`, fingerprint: fp, parts };
  };
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

function resolveParams(stage: ResolvedStage, inputValues: Record<string, unknown>, done: Map<string, StageRecord>): Record<string, unknown> {
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

async function recordArtifacts(outputs: Record<string, unknown>, exported: boolean): Promise<ArtifactRecord[]> {
  const refs = fileRefsIn(outputs);
  return Promise.all(
    refs.map(async (ref) => {
      const info = await stat(ref.path).catch(() => undefined);
      if (!info || info.size !== ref.bytes) throw new SpxError('ARTIFACT_INVALID', `Artifact "${ref.path}" is missing or its size differs from what the stage reported.`, { hint: 'The stage must write files atomically and return their FileRefs.' });
      return { name: basename(ref.path), path: ref.path, bytes: ref.bytes, sha256: ref.sha256, mtimeMs: info.mtimeMs, ...(exported ? { export: true } : {}) };
    }),
  );
}

/** Files a stage published in its last completed checkpoint: path → sha256 (rewriting them needs no backup). */
function publishedBy(record: StageRecord | undefined): Map<string, string> {
  return new Map(record?.destination ? record.artifacts.map((a) => [a.path, a.sha256]) : []);
}

function dependencyMap(pipeline: LoadedPipeline): Map<string, readonly string[]> {
  return new Map([...pipeline.stages].map(([id, stage]) => [id, stage.deps]));
}

/**
 * Fails the stage when an input it read changed while it ran: its output may come from content
 * that is no longer the input (or from an edit that was undone), and must not be checkpointed.
 */
async function assertInputsUnchanged(referenced: Record<string, string>, identities: Map<string, { path: string; identity: FileIdentity }>, stageId: string): Promise<void> {
  for (const name of Object.keys(referenced)) {
    const input = identities.get(name);
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

/** Preflight (API keys, binaries) for every stage that may run, before any work; one error per distinct problem. */
async function preflight(pipeline: LoadedPipeline, plan: PlannedStage[], env: Record<string, string | undefined>): Promise<void> {
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

function checkpointEntry(record: StageRecord, inputFile: string, success: boolean, error: string | null) {
  const files = record.artifacts.map((a) => a.path);
  return {
    stage: record.stage,
    timestamp: record.finishedAt,
    input_file: inputFile,
    output_file: files[0] ?? null,
    output_files: files,
    metadata: { sizes: Object.fromEntries(record.artifacts.map((a) => [a.name, a.bytes])), duration_ms: record.durationMs, fingerprint: record.fingerprint },
    success,
    error_message: error,
  };
}

function freshState(prior: RunState | undefined, id: string, pipeline: LoadedPipeline, inputFile: string, inputHashes: Record<string, string>, outDir: string): RunState {
  const now = new Date().toISOString();
  const stages = Object.fromEntries(Object.entries(prior?.stages ?? {}).filter(([sid]) => pipeline.stages.has(sid)));
  return {
    schema: 'spx-run-state',
    schemaVersion: 1,
    id,
    input_file: inputFile,
    input_hashes: inputHashes,
    pipeline_id: pipeline.spec.name,
    pipeline: { name: pipeline.spec.name, version: pipeline.spec.version, file: pipeline.file, stages: pipeline.order },
    created_at: prior?.created_at ?? now,
    last_updated: now,
    status: prior?.status ?? 'not_started',
    completed_stages: [],
    current_stage: null,
    failed_stage: prior?.failed_stage ?? null,
    error_message: null,
    checkpoints: prior?.checkpoints.slice(-500) ?? [],
    stages,
    out_dir: outDir,
    metadata: { ...(prior?.metadata ?? {}), spx_version: SPX_VERSION, history: prior?.metadata.history ?? [] },
  };
}

function createSaver(store: Store, runId: string, state: RunState) {
  let chain: Promise<void> = Promise.resolve();
  return {
    save(): Promise<void> {
      chain = chain.then(async () => {
        state.last_updated = new Date().toISOString();
        await store.set(keys.run(runId), state);
      });
      return chain;
    },
  };
}

function withStage(error: SpxError, stage: ResolvedStage, verb = 'failed'): SpxError {
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

function priceOf(stage: ResolvedStage, pipeline: LoadedPipeline, options: RunOptions): number {
  return options.pricing?.[stage.uses] ?? pipeline.spec.pricing?.[stage.uses] ?? stage.definition.pricing?.usd ?? 0;
}
