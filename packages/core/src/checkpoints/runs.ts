// Run management for `spx checkpoints`: list runs, resolve ids by unique prefix (like git),
// delete a run with its sub-steps and artifact directory, export and import run state.
// Store entries and imports are untrusted: entries with ids that are not ids are skipped, only
// directories provably a run's are deleted, and imports may name files only in their run directory.
import { readFileSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { confinePath, isRunId, isStageId } from '../artifacts/paths.js';
import { EXIT, SpxAggregateError, SpxError, isSpxError } from '../errors/errors.js';
import { redactValue } from '../errors/redact.js';
import type { Json } from '../plugins/types.js';
import { keys } from './keys.js';
import { leaseIsStale, type Lease } from './lock.js';
import { adoptRunDir, printable, runDirOwnership, storeIdentity } from './ownership.js';
import { fileRefsIn, keptArtifacts, type ArtifactRecord, type RunState } from './state.js';
import { displayStoreUrl, type Store } from './store.js';
import { checkArtifacts, type ArtifactCheck } from './verify.js';

export const RUN_STATE_SCHEMA_PATH = new URL('../../schema/run-state.schema.json', import.meta.url);

/** What `spx checkpoints export` writes: the run state plus its finished sub-steps. */
export interface RunExport extends RunState {
  /** Sub-step values by key after `step:<id>:` (`<stage>:<fingerprint16>:<key>`). */
  steps?: Record<string, Json>;
}

/** A `run:` entry that is not a run state spx could have written, with the reason. */
export interface InvalidRunEntry {
  key: string;
  reason: string;
}

/**
 * Why a stored (or imported) value under `key` is not a run state that is safe to act on, or
 * undefined: its id must be a run id equal to the key's, its stage ids stage ids, its artifact
 * records well formed. Paths built from such a state cannot leave the run's directory.
 */
export function runStateProblem(key: string, value: unknown): string | undefined {
  const keyId = key.startsWith(keys.runPrefix) ? key.slice(keys.runPrefix.length) : key;
  if (!isRunId(keyId)) return `its key holds ${quoted(keyId)}, not a run id`;
  if (!isObject(value)) return 'it is not a run state';
  if (value.id !== keyId) return `its id ${quoted(String(value.id))} differs from its key`;
  if (!isObject(value.stages)) return 'it has no stages';
  for (const [stage, record] of Object.entries(value.stages)) {
    if (!isStageId(stage)) return `stage id ${quoted(stage)} is not a stage id`;
    if (!isObject(record) || record.stage !== stage) return `the record of stage "${stage}" names another stage`;
    if (!Array.isArray(record.artifacts) || !record.artifacts.every(isArtifactRecord)) return `stage "${stage}" has malformed artifact records`;
  }
  const lists = [value.completed_stages, isObject(value.pipeline) ? value.pipeline.stages : []];
  if (!lists.every(Array.isArray)) return 'its stage lists are not lists';
  for (const stage of [...(lists as unknown[][]).flat(), value.current_stage ?? null, value.failed_stage ?? null]) {
    if (stage !== null && !isStageId(stage)) return `stage id ${quoted(String(stage))} is not a stage id`;
  }
  return undefined;
}

/** Every run in the store, most recently updated first, and the entries skipped as invalid. */
export async function scanRuns(store: Store): Promise<{ runs: RunState[]; invalid: InvalidRunEntry[] }> {
  const runs: RunState[] = [];
  const invalid: InvalidRunEntry[] = [];
  for await (const key of store.keys(keys.runPrefix)) {
    const value = await store.get<unknown>(key);
    if (value === undefined) continue;
    const reason = runStateProblem(key, value);
    if (reason) invalid.push({ key, reason });
    else runs.push(value as RunState);
  }
  runs.sort((a, b) => String(b.last_updated).localeCompare(String(a.last_updated)) || a.id.localeCompare(b.id));
  return { runs, invalid };
}

/** Every valid run in the store, most recently updated first (see scanRuns for the others). */
export async function listRuns(store: Store): Promise<RunState[]> {
  return (await scanRuns(store)).runs;
}

/** Resolves a full id or a unique prefix of one; throws CHECKPOINT_NOT_FOUND or CHECKPOINT_AMBIGUOUS. */
export async function resolveRunId(store: Store, prefix: string): Promise<string> {
  const wanted = prefix.trim();
  if (!wanted) throw new SpxError('USAGE', 'Empty run id.', { hint: 'Pass a run id or a unique prefix of one (spx checkpoints list).' });
  const ids: string[] = [];
  for await (const key of store.keys(keys.runPrefix)) {
    const id = key.slice(keys.runPrefix.length);
    if (isRunId(id)) ids.push(id);
  }
  if (ids.includes(wanted)) return wanted;
  const matches = ids.filter((id) => id.startsWith(wanted)).sort();
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new SpxError('CHECKPOINT_AMBIGUOUS', `Run id "${wanted}" is ambiguous: it matches ${matches.join(', ')}.`, { hint: 'Type more characters of the id.' });
  }
  throw new SpxError('CHECKPOINT_NOT_FOUND', `No run with id "${printable(wanted)}" in the store.`, {
    hint: ids.length ? 'List runs with `spx checkpoints list` (check --store).' : 'The store has no runs; check --store / SPX_STORE or run a pipeline first.',
  });
}

/** The run state for an id or unique prefix; CHECKPOINT_INVALID when the stored entry is not safe to use. */
export async function findRun(store: Store, prefix: string): Promise<RunState> {
  const id = await resolveRunId(store, prefix);
  const state = await store.get<RunState>(keys.run(id));
  if (!state) throw new SpxError('CHECKPOINT_NOT_FOUND', `Run "${id}" disappeared from the store.`, { hint: 'It may have expired or been deleted by another process.' });
  return checkedState(store, id, state);
}

function checkedState(store: Store, id: string, state: unknown): RunState {
  const reason = runStateProblem(keys.run(id), state);
  if (reason) throw invalidEntry(store, { key: keys.run(id), reason });
  return state as RunState;
}

/** CHECKPOINT_INVALID for a store entry that is not a valid run state. */
export function invalidEntry(store: Store, entry: InvalidRunEntry): SpxError {
  return new SpxError('CHECKPOINT_INVALID', `The store entry ${printable(entry.key)} in ${displayStoreUrl(store.url)} is not a valid run state: ${entry.reason}.`, {
    hint: `Something other than spx wrote it; nothing was done with it. ${isRunId(entry.key.slice(keys.runPrefix.length)) ? `\`spx checkpoints delete ${entry.key.slice(keys.runPrefix.length)}\` removes its store entries.` : 'Remove it with the store\'s own tools.'}`,
  });
}

/** Keys of the run's sub-step checkpoints. */
export async function runStepKeys(store: Store, runId: string): Promise<string[]> {
  const found: string[] = [];
  for await (const key of store.keys(keys.stepPrefix(runId))) found.push(key);
  return found;
}

/** Every recorded artifact of a run, with the stage that produced it. */
export function runArtifacts(state: RunState): Array<ArtifactRecord & { stage: string }> {
  return Object.entries(state.stages ?? {}).flatMap(([stage, record]) => (record.artifacts ?? []).map((a) => ({ ...a, stage })));
}

/** Sum of recorded artifact sizes (each path counted once), of the files kept or of those pruned. */
export function runSize(state: RunState, which: 'kept' | 'pruned' = 'kept'): number {
  const seen = new Map<string, number>();
  for (const a of runArtifacts(state)) if ((a.pruned === true) === (which === 'pruned')) seen.set(a.path, a.bytes);
  return [...seen.values()].reduce((sum, n) => sum + n, 0);
}

/** The live lease on a run, if another process holds it. */
export async function liveLease(store: Store, runId: string, staleMs = 15_000): Promise<Lease | undefined> {
  const lease = await store.get<Lease>(keys.lock(runId));
  return lease && !leaseIsStale(lease, staleMs) ? lease : undefined;
}

/** A directory cleanup or delete found but did not remove, with the reason. */
export interface LeftAlone {
  dir: string;
  reason: string;
}

export interface DeleteRunResult {
  id: string;
  /** Store keys removed (run, sub-steps, stale lock). */
  keys: number;
  /** Artifact directories removed: `<workDir>/runs/<id>` when this store made it. */
  dirs: string[];
  /** The run's directory when it exists but is not provably this store's. */
  left: LeftAlone[];
  /** Bytes of recorded artifacts the run held. */
  bytes: number;
}

/**
 * Deletes a run's state and sub-steps, and `<workDir>/runs/<id>` when its ownership marker names
 * this run and this store. Recorded artifact paths never lead anywhere: they are untrusted.
 * Refuses (RUN_LOCKED) while a process holds the run.
 */
export async function deleteRun(store: Store, runId: string, options: { workDir?: string; dryRun?: boolean } = {}): Promise<DeleteRunResult> {
  if (!isRunId(runId)) throw new SpxError('CHECKPOINT_NOT_FOUND', `${printable(runId)} is not a run id.`, { hint: 'List runs with `spx checkpoints list`.' });
  const lease = await liveLease(store, runId);
  if (lease) {
    throw new SpxError('RUN_LOCKED', `Run ${runId} is in use by pid ${lease.pid} on ${lease.host}; not deleting it.`, { hint: 'Stop that process first, or wait for it to finish.' });
  }
  const state = await store.get<unknown>(keys.run(runId));
  const valid = state !== undefined && !runStateProblem(keys.run(runId), state);
  const stepKeys = await runStepKeys(store, runId);
  const dirs: string[] = [];
  const left: LeftAlone[] = [];
  if (options.workDir) {
    const ownership = await runDirOwnership(await storeIdentity(store), options.workDir, runId);
    if (ownership.owner === 'this store') dirs.push(ownership.dir);
    else if (ownership.owner === 'other') left.push({ dir: ownership.dir, reason: ownership.reason });
  }
  const result = { id: runId, keys: (state !== undefined ? 1 : 0) + stepKeys.length, dirs, left, bytes: valid ? runSize(state as RunState) : 0 };
  if (options.dryRun) return result;
  for (const key of stepKeys) await store.delete(key);
  await store.delete(keys.lock(runId));
  await store.delete(keys.run(runId));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  return result;
}

export interface OrphanSweep {
  /** Directories this store made whose run it no longer has: safe to delete. */
  orphans: Array<{ id: string; dir: string; mtimeMs: number }>;
  /** Everything else under runs/ that belongs to no run of this store, and why it stays. */
  leftAlone: LeftAlone[];
}

/**
 * Directories under `<workDir>/runs/` whose run is not in the store (its state expired or was
 * removed) and that are provably this store's (see runDirOwnership). User data, directories of
 * older spx versions and other stores' runs are reported as left alone, never as orphans.
 */
export async function orphanRunDirs(store: Store, workDir: string): Promise<OrphanSweep> {
  const root = join(resolve(workDir), 'runs');
  const sweep: OrphanSweep = { orphans: [], leftAlone: [] };
  let names: string[];
  try {
    confinePath(resolve(workDir), root);
    names = await readdir(root);
  } catch (error) {
    if (isSpxError(error)) sweep.leftAlone.push({ dir: root, reason: error.message.replace(/;.*$/, '') });
    return sweep;
  }
  const identity = await storeIdentity(store);
  for (const name of names.sort()) {
    const dir = join(root, name);
    if (!isRunId(name)) {
      sweep.leftAlone.push({ dir, reason: 'not named like a run id' });
      continue;
    }
    if ((await store.get(keys.run(name))) !== undefined) continue;
    const ownership = await runDirOwnership(identity, workDir, name);
    if (ownership.owner === 'none') continue;
    if (ownership.owner === 'other') {
      sweep.leftAlone.push({ dir, reason: ownership.reason });
      continue;
    }
    const lease = await liveLease(store, name);
    if (lease) {
      sweep.leftAlone.push({ dir, reason: `in use by pid ${lease.pid} on ${lease.host}` });
      continue;
    }
    sweep.orphans.push({ id: name, dir, mtimeMs: (await stat(dir)).mtimeMs });
  }
  return sweep;
}

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
  // A store written by an older spx may hold what is now redacted on the way in.
  return redactValue({ ...state, steps });
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
  const { steps = {}, ...exported } = data;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isArtifactRecord(value: unknown): boolean {
  return isObject(value) && typeof value.path === 'string' && typeof value.name === 'string' && typeof value.bytes === 'number' && typeof value.sha256 === 'string';
}

/** A value from a store or file, quoted and cut short for a message. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}…` : value);
}
