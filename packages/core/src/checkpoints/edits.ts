// A run's saved transcript edits, under `edits:<runId>` next to its state. They are the user's
// input, not a stage's product: they outlive reruns of every stage, are deleted, exported and
// imported with the run, and reach core/export as its `edits` param. A store is untrusted, so a
// saved value is validated before use. Saving is refused while a process holds the run: the run
// reads the edits once, when it starts, and keeps them alive with its own writes.
import { Ajv, type ValidateFunction } from 'ajv';
import { SpxError } from '../errors/errors.js';
import { combineEdits, isEmptyEdits, TranscriptEditsSchema, type TranscriptEdits } from '../stages/edits.js';
import type { LoadedPipeline } from '../pipeline/types.js';
import { keys } from './keys.js';
import { leaseIsStale, type Lease } from './lock.js';
import { printable } from './ownership.js';
import type { Store } from './store.js';

export interface SavedEdits {
  schema: 'spx-edits';
  schemaVersion: 1;
  runId: string;
  updatedAt: string;
  edits: TranscriptEdits;
}

let validator: ValidateFunction | undefined;

/** Why `value` is not a set of transcript edits, or undefined. */
export function editsProblem(value: unknown): string | undefined {
  validator ??= new Ajv({ allErrors: false, strict: false }).compile(TranscriptEditsSchema);
  if (validator(value)) return undefined;
  const e = validator.errors?.[0];
  return `${e?.instancePath || '(top level)'} ${e?.message ?? 'is invalid'}`;
}

/** The run's saved edits, or undefined; EDITS_INVALID when the stored value is not edits spx wrote. */
export async function readSavedEdits(store: Store, runId: string): Promise<SavedEdits | undefined> {
  const value = await store.get<SavedEdits>(keys.edits(runId));
  if (value === undefined) return undefined;
  const problem = value && typeof value === 'object' && value.schema === 'spx-edits' && value.runId === runId ? editsProblem(value.edits) : 'it is not an spx-edits value of this run';
  if (problem) {
    throw new SpxError('EDITS_INVALID', `The saved edits of run ${printable(runId)} are not valid: ${problem}.`, { hint: `Something other than spx wrote them; remove them with \`spx edit ${printable(runId)} --clear\`.` });
  }
  return value;
}

/** Saves (or, when empty, removes) the run's edits. RUN_LOCKED while a live process holds the run. */
export async function saveEdits(store: Store, runId: string, edits: TranscriptEdits): Promise<SavedEdits | undefined> {
  const problem = editsProblem(edits);
  if (problem) throw new SpxError('EDITS_INVALID', `Transcript edits are not valid: ${problem}.`, { hint: 'See docs/transcript-format.md#edits for their form.' });
  const lease = await store.get<Lease>(keys.lock(runId));
  if (lease && !leaseIsStale(lease)) {
    throw new SpxError('RUN_LOCKED', `Run ${runId} is in progress; its edits cannot change until it ends.`, { hint: 'Wait for the run to finish, then save the edits again.' });
  }
  if (isEmptyEdits(edits)) {
    await store.delete(keys.edits(runId));
    return undefined;
  }
  const saved: SavedEdits = { schema: 'spx-edits', schemaVersion: 1, runId, updatedAt: new Date().toISOString(), edits: combineEdits(undefined, edits) };
  await store.set(keys.edits(runId), saved);
  return saved;
}

/**
 * The pipeline as a run with these edits sees it: every stage that accepts edits gets them as its
 * `edits` param, over any the pipeline gives. Without edits, the pipeline itself (so a run without
 * edits fingerprints exactly as before edits existed).
 */
export function withEdits(pipeline: LoadedPipeline, edits: TranscriptEdits | undefined): LoadedPipeline {
  if (isEmptyEdits(edits)) return pipeline;
  const stages = new Map(pipeline.stages);
  for (const [id, stage] of stages) {
    if (!stage.definition.acceptsEdits) continue;
    const given = stage.spec.with?.edits as TranscriptEdits | undefined;
    stages.set(id, { ...stage, spec: { ...stage.spec, with: { ...stage.spec.with, edits: combineEdits(given, edits) } } });
  }
  return { ...pipeline, stages };
}
