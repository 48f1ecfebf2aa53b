// Export and import of run state (`spx checkpoints export|import`). An import is input: it is
// validated against schema/run-state.schema.json, its artifacts must lie in its run directory
// under the importing side's work dir and verify, and it replaces a run only with --force.
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { confinePath } from '../artifacts/paths.js';
import { EXIT, SpxAggregateError, SpxError, isSpxError } from '../errors/errors.js';
import { redactValue } from '../errors/redact.js';
import type { Json } from '../plugins/types.js';
import { editsProblem, readSavedEdits } from './edits.js';
import { keys } from './keys.js';
import { adoptRunDir, printable } from './ownership.js';
import { checkedState, liveLease, quoted, runStateProblem, runStepKeys, type RunExport } from './runs.js';
import { fileRefsIn, keptArtifacts, type ArtifactRecord, type RunState } from './state.js';
import type { Store } from './store.js';
import { checkArtifacts, type ArtifactCheck } from './verify.js';

export const RUN_STATE_SCHEMA_PATH = new URL('../../schema/run-state.schema.json', import.meta.url);

/** The run's state plus its finished sub-steps, ready to write as JSON. */
export async function exportRun(store: Store, runId: string): Promise<RunExport> {
  const stored = await store.get<RunState>(keys.run(runId));
  if (!stored) throw new SpxError('CHECKPOINT_NOT_FOUND', `No run with id "${runId}" in the store.`, { hint: 'List runs with `spx checkpoints list`.' });
  const state = checkedState(store, runId, stored);
  const steps: Record<string, Json> = {};
  const prefix = keys.stepPrefix(runId);
  for (const key of await runStepKeys(store, runId)) {
    const value = await store.get<Json>(key);
    if (value !== undefined) steps[key.slice(prefix.length)] = value;
  }
  const saved = await readSavedEdits(store, runId);
  // A store written by an older spx may hold what is now redacted on the way in.
  return redactValue({ ...state, steps, ...(saved ? { edits: saved.edits } : {}) });
}

let validator: ValidateFunction | undefined;

function runStateValidator(): ValidateFunction {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    validator = ajv.compile(JSON.parse(readFileSync(RUN_STATE_SCHEMA_PATH, 'utf8')) as object);
  }
  return validator;
}

/** Parses and validates exported run JSON; every problem is an IMPORT_INVALID error with a location. */
export function parseRunExport(text: string, file: string): RunExport {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(reason);
    const offset = position ? Number(position[1]) : /end of JSON/i.test(reason) ? text.trimEnd().length : jsonErrorOffset(text);
    const loc = lineColumn(text, offset, file);
    const what = reason.replace(/, (\.\.\.)?".*" is not valid JSON$/s, '').replace(/ (in JSON )?at position \d+.*$/s, '').split('\n')[0];
    throw new SpxError('IMPORT_INVALID', `${basename(file)} is not valid JSON: ${what}.`, {
      loc,
      hint: 'Pass a file written by `spx checkpoints export`.',
    });
  }
  const validate = runStateValidator();
  if (!validate(value)) {
    const hint = 'Pass a file written by `spx checkpoints export`; do not edit its structure.';
    const missing = new Map<string, string[]>();
    const errors: SpxError[] = [];
    for (const e of validate.errors ?? []) {
      const where = e.instancePath || '(top level)';
      const params = e.params as { missingProperty?: string; allowedValue?: unknown; allowedValues?: unknown[]; propertyName?: string };
      if ((e as { propertyName?: string }).propertyName !== undefined) continue;
      if (e.keyword === 'propertyNames') {
        errors.push(new SpxError('IMPORT_INVALID', `${basename(file)}: ${where} has the key ${quoted(String(params.propertyName))}, which is not ${where === '/steps' ? 'a sub-step key (<stage>:<fingerprint>:<key>)' : 'a stage id'}.`, { hint }));
        continue;
      }
      if (e.keyword === 'required') {
        missing.set(where, [...(missing.get(where) ?? []), String(params.missingProperty)]);
        continue;
      }
      const detail =
        e.keyword === 'const'
          ? `must be ${JSON.stringify(params.allowedValue)}`
          : e.keyword === 'enum'
            ? `must be one of ${(params.allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`
            : (e.message ?? e.keyword);
      errors.push(new SpxError('IMPORT_INVALID', `${basename(file)}: ${where} ${detail}.`, { hint }));
    }
    for (const [where, names] of missing) {
      errors.unshift(new SpxError('IMPORT_INVALID', `${basename(file)}: ${where} is missing ${names.length === 1 ? 'field' : 'fields'} ${names.map((n) => `"${n}"`).join(', ')}.`, { hint }));
    }
    if (errors.length === 1) throw errors[0]!;
    throw new SpxAggregateError('IMPORT_INVALID', `${basename(file)} is not an spx run export (${errors.length} problems):`, errors.slice(0, 20), { hint });
  }
  return value as RunExport;
}

export interface ImportRunResult {
  id: string;
  steps: number;
  artifacts: number;
  replaced: boolean;
  /** Stages whose records were left out because they publish exports (the next run writes them again). */
  republish: string[];
}

/**
 * Writes an exported run into the store after checking that every file its checkpoints name lies
 * in `<workDir>/runs/<id>/` (no links on the way) and exists with its recorded size and content.
 * Records of publishing stages are left out: their files are exports outside the work dir, and the
 * next `spx run` writes them again into its own out dir. The run is marked `metadata.imported`
 * (its pipeline file is not loaded by `checkpoints show`) until spx runs it here. Refuses to
 * replace an existing run unless `force`.
 */
export async function importRun(store: Store, data: RunExport, options: { force?: boolean; file?: string; workDir: string }): Promise<ImportRunResult> {
  const label = options.file ? basename(options.file) : 'the import';
  const problem = runStateProblem(keys.run(String(data.id)), data);
  if (problem) throw new SpxError('IMPORT_INVALID', `${label}: ${problem}.`, { hint: 'Pass a file written by `spx checkpoints export`; do not edit its structure.' });
  const { steps = {}, edits, ...exported } = data;
  const editsWrong = edits === undefined ? undefined : editsProblem(edits);
  if (editsWrong) throw new SpxError('IMPORT_INVALID', `${label}: its edits are not transcript edits: ${editsWrong}.`, { hint: 'Pass a file written by `spx checkpoints export`; do not edit its structure.' });
  const state = structuredClone(exported) as RunState;
  const republish = Object.keys(state.stages).filter((id) => state.stages[id]!.destination !== undefined);
  for (const id of republish) delete state.stages[id];
  state.completed_stages = state.completed_stages.filter((id) => !republish.includes(id));
  state.metadata = { ...state.metadata, imported: { at: new Date().toISOString(), file: label } };

  const runDir = join(resolve(options.workDir), 'runs', state.id);
  const hint = `Copy the run directory to ${runDir} first (artifact paths are absolute), or pass --work-dir with the directory that holds runs/${state.id}/.`;
  const outside: SpxError[] = [];
  for (const [stage, record] of Object.entries(state.stages)) {
    const artifactPaths = new Map(record.artifacts.map((a) => [a.path, a.sha256]));
    const named = [...record.artifacts.map((a) => ({ path: a.path, what: 'Artifact' })), ...fileRefsIn(record.outputs).map((ref) => ({ path: ref.path, what: 'Output file', sha256: ref.sha256 }))];
    const seen = new Set<string>();
    for (const { path, what, sha256 } of named as Array<{ path: string; what: string; sha256?: string }>) {
      if (seen.has(path)) continue;
      seen.add(path);
      try {
        confinePath(runDir, path);
      } catch (error) {
        const why = isSpxError(error) && / is a symbolic link/.test(error.message) ? ` (${error.message.replace(/;.*$/, '')})` : '';
        outside.push(new SpxError('IMPORT_INVALID', `${what} ${printable(path)} of stage "${stage}" is outside ${runDir}${why}.`, { hint }));
        continue;
      }
      if (sha256 !== undefined && artifactPaths.get(path) !== sha256) {
        outside.push(new SpxError('IMPORT_INVALID', `Output file ${printable(path)} of stage "${stage}" is not one of its recorded artifacts.`, { hint: 'Pass a file written by `spx checkpoints export`; do not edit its records.' }));
      }
    }
  }
  if (outside.length === 1) throw outside[0]!;
  if (outside.length > 1) throw new SpxAggregateError('IMPORT_INVALID', `${label}: ${outside.length} files of run ${state.id} are not in its run directory ${runDir}:`, outside.slice(0, 20), { hint });

  const artifacts = Object.entries(state.stages).flatMap(([stage, record]) => keptArtifacts(record.artifacts).map((a) => ({ ...a, stage })));
  const checks = await checkArtifacts(artifacts);
  const bad = checks.filter((c): c is Extract<ArtifactCheck, { ok: false }> => !c.ok);
  if (bad.length > 0) {
    const errors = bad.map(
      (c) =>
        new SpxError('IMPORT_INVALID', `Artifact ${c.artifact.path} of stage "${(c.artifact as ArtifactRecord & { stage: string }).stage}" is ${c.reason === 'missing' ? 'missing' : `invalid: ${c.reason}`}.`, { hint }),
    );
    throw new SpxAggregateError('IMPORT_INVALID', `${label}: ${bad.length} of ${artifacts.length} artifacts of run ${state.id} are missing or changed:`, errors, { hint });
  }
  const existing = await store.get<RunState>(keys.run(state.id));
  if (existing && !options.force) {
    throw new SpxError('CHECKPOINT_EXISTS', `Run ${state.id} already exists in the store (last updated ${String(existing.last_updated)}).`, {
      hint: 'Pass --force to replace it, or delete it first (spx checkpoints delete).',
      exitCode: EXIT.INVALID,
    });
  }
  if (await liveLease(store, state.id)) {
    throw new SpxError('RUN_LOCKED', `Run ${state.id} is in use by another process; not replacing it.`, { hint: 'Wait for it to finish, then import again.' });
  }
  if (existing) for (const key of await runStepKeys(store, state.id)) await store.delete(key);
  for (const [suffix, value] of Object.entries(steps)) await store.set(`${keys.stepPrefix(state.id)}${suffix}`, value);
  if (edits) await store.set(keys.edits(state.id), { schema: 'spx-edits', schemaVersion: 1, runId: state.id, updatedAt: new Date().toISOString(), edits });
  else if (existing) await store.delete(keys.edits(state.id));
  await store.set(keys.run(state.id), state);
  if (artifacts.length > 0) await adoptRunDir(store, options.workDir, state.id);
  return { id: state.id, steps: Object.keys(steps).length, artifacts: artifacts.length, replaced: Boolean(existing), republish };
}

/**
 * Offset of the first character JSON.parse rejects, for engines whose message has no position:
 * the shortest prefix that fails with something other than "unexpected end" ends at it.
 */
function jsonErrorOffset(text: string): number {
  const rejectsToken = (prefix: string): boolean => {
    try {
      JSON.parse(prefix);
      return false;
    } catch (error) {
      const message = error instanceof Error ? error.message : '';
      const position = /position (\d+)/.exec(message);
      if (position) return Number(position[1]) < prefix.length;
      return !/end of JSON input/i.test(message);
    }
  };
  let lo = 0;
  let hi = text.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (rejectsToken(text.slice(0, mid + 1))) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function lineColumn(text: string, offset: number, file: string): { file: string; line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return { file, line, column };
}
