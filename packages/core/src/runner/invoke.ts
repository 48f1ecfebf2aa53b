// Invoking one stage's code: its params resolved from the outputs done so far, run in its own
// async scope with a fresh context, its outputs checked against its declaration and its inputs
// unchanged, and the record it would checkpoint. Running a stage and remaking a pruned one both
// come here; what is saved, and when, is the caller's.
import { SpxError } from '../errors/errors.js';
import { fileRefsIn, type StageRecord } from '../checkpoints/state.js';
import { stageValidator } from '../pipeline/load.js';
import { substituteRefs } from '../pipeline/refs.js';
import type { ResolvedStage } from '../pipeline/types.js';
import type { FileRef } from '../plugins/types.js';
import { unlessFault } from './abort.js';
import { createStageContext } from './context.js';
import type { RunProgress, RunScope } from './execute.js';
import { stableOutputDigest } from './fingerprint.js';
import { currentIdentity, sameIdentity } from './input-hash.js';
import type { RunInputs } from './inputs.js';
import type { Decision } from './plan.js';
import { publishedBy, recordArtifacts } from './record.js';
import { runInStageScope } from './stage-scope.js';

export async function runStage(scope: RunScope, stage: ResolvedStage, decision: Decision, dir: string, startedAt: Date, progress: RunProgress): Promise<StageRecord> {
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
