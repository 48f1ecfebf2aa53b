// Run management for `spx checkpoints`: list runs, resolve ids by unique prefix (like git),
// delete a run with its sub-steps and artifact directory, export and import run state.
// Imports are validated against schema/run-state.schema.json and their artifacts checked.
import { readFileSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { EXIT, SpxAggregateError, SpxError } from '../errors/errors.js';
import { redactValue } from '../errors/redact.js';
import type { Json } from '../plugins/types.js';
import { keys } from './keys.js';
import { leaseIsStale, type Lease } from './lock.js';
import type { ArtifactRecord, RunState } from './state.js';
import type { Store } from './store.js';
import { checkArtifacts, type ArtifactCheck } from './verify.js';

export const RUN_STATE_SCHEMA_PATH = new URL('../../schema/run-state.schema.json', import.meta.url);

/** What `spx checkpoints export` writes: the run state plus its finished sub-steps. */
export interface RunExport extends RunState {
  /** Sub-step values by key after `step:<id>:` (`<stage>:<fingerprint16>:<key>`). */
  steps?: Record<string, Json>;
}

/** Every run in the store, most recently updated first. Entries that are not run states are skipped. */
export async function listRuns(store: Store): Promise<RunState[]> {
  const runs: RunState[] = [];
  for await (const key of store.keys(keys.runPrefix)) {
    const state = await store.get<RunState>(key);
    if (state && typeof state === 'object' && typeof state.id === 'string' && state.stages && typeof state.stages === 'object') runs.push(state);
  }
  return runs.sort((a, b) => String(b.last_updated).localeCompare(String(a.last_updated)) || a.id.localeCompare(b.id));
}

/** Resolves a full id or a unique prefix of one; throws CHECKPOINT_NOT_FOUND or CHECKPOINT_AMBIGUOUS. */
export async function resolveRunId(store: Store, prefix: string): Promise<string> {
  const wanted = prefix.trim();
  if (!wanted) throw new SpxError('USAGE', 'Empty run id.', { hint: 'Pass a run id or a unique prefix of one (spx checkpoints list).' });
  const ids: string[] = [];
  for await (const key of store.keys(keys.runPrefix)) ids.push(key.slice(keys.runPrefix.length));
  if (ids.includes(wanted)) return wanted;
  const matches = ids.filter((id) => id.startsWith(wanted)).sort();
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new SpxError('CHECKPOINT_AMBIGUOUS', `Run id "${wanted}" is ambiguous: it matches ${matches.join(', ')}.`, { hint: 'Type more characters of the id.' });
  }
  throw new SpxError('CHECKPOINT_NOT_FOUND', `No run with id "${wanted}" in the store.`, {
    hint: ids.length ? 'List runs with `spx checkpoints list` (check --store).' : 'The store has no runs; check --store / SPX_STORE or run a pipeline first.',
  });
}

/** The run state for an id or unique prefix. */
export async function findRun(store: Store, prefix: string): Promise<RunState> {
  const id = await resolveRunId(store, prefix);
  const state = await store.get<RunState>(keys.run(id));
  if (!state) throw new SpxError('CHECKPOINT_NOT_FOUND', `Run "${id}" disappeared from the store.`, { hint: 'It may have expired or been deleted by another process.' });
  return state;
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

/** Sum of recorded artifact sizes (each path counted once). */
export function runSize(state: RunState): number {
  const seen = new Map<string, number>();
  for (const a of runArtifacts(state)) seen.set(a.path, a.bytes);
  return [...seen.values()].reduce((sum, n) => sum + n, 0);
}

/**
 * Artifact directories of a run: `<workDir>/runs/<id>` and any `…/runs/<id>` directory its recorded
 * artifacts live in (a run made with another --work-dir). Published exports are never included.
 */
export function runArtifactDirs(state: Pick<RunState, 'id' | 'stages'>, workDir?: string): string[] {
  const dirs = new Set<string>();
  if (workDir) dirs.add(resolve(workDir, 'runs', state.id));
  const marker = `${sep}runs${sep}${state.id}${sep}`;
  for (const record of Object.values(state.stages ?? {})) {
    for (const artifact of record.artifacts ?? []) {
      const at = artifact.path.lastIndexOf(marker);
      if (at > 0) dirs.add(artifact.path.slice(0, at + marker.length - 1));
    }
  }
  return [...dirs];
}

/** The live lease on a run, if another process holds it. */
export async function liveLease(store: Store, runId: string, staleMs = 15_000): Promise<Lease | undefined> {
  const lease = await store.get<Lease>(keys.lock(runId));
  return lease && !leaseIsStale(lease, staleMs) ? lease : undefined;
}

export interface DeleteRunResult {
  id: string;
  /** Store keys removed (run, sub-steps, stale lock). */
  keys: number;
  /** Artifact directories removed. */
  dirs: string[];
  /** Bytes of recorded artifacts the run held. */
  bytes: number;
}

/** Deletes a run's state, sub-steps and artifact directories. Refuses (RUN_LOCKED) while a process holds it. */
export async function deleteRun(store: Store, runId: string, options: { workDir?: string; dryRun?: boolean } = {}): Promise<DeleteRunResult> {
  const lease = await liveLease(store, runId);
  if (lease) {
    throw new SpxError('RUN_LOCKED', `Run ${runId} is in use by pid ${lease.pid} on ${lease.host}; not deleting it.`, { hint: 'Stop that process first, or wait for it to finish.' });
  }
  const state = await store.get<RunState>(keys.run(runId));
  const stepKeys = await runStepKeys(store, runId);
  const dirs: string[] = [];
  for (const dir of runArtifactDirs(state ?? { id: runId, stages: {} }, options.workDir)) {
    if (await exists(dir)) dirs.push(dir);
  }
  const result = { id: runId, keys: (state ? 1 : 0) + stepKeys.length, dirs, bytes: state ? runSize(state) : 0 };
  if (options.dryRun) return result;
  for (const key of stepKeys) await store.delete(key);
  await store.delete(keys.lock(runId));
  await store.delete(keys.run(runId));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  return result;
}

/**
 * Artifact directories under `<workDir>/runs/` that belong to no run in the store (their state
 * expired or was removed), with their last modification time.
 */
export async function orphanRunDirs(store: Store, workDir: string): Promise<Array<{ id: string; dir: string; mtimeMs: number }>> {
  const root = resolve(workDir, 'runs');
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const orphans: Array<{ id: string; dir: string; mtimeMs: number }> = [];
  for (const name of names.sort()) {
    const dir = join(root, name);
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) continue;
    if (await store.get(keys.run(name))) continue;
    if (await liveLease(store, name)) continue;
    orphans.push({ id: name, dir, mtimeMs: info.mtimeMs });
  }
  return orphans;
}

/** The run's state plus its finished sub-steps, ready to write as JSON. */
export async function exportRun(store: Store, runId: string): Promise<RunExport> {
  const state = await store.get<RunState>(keys.run(runId));
  if (!state) throw new SpxError('CHECKPOINT_NOT_FOUND', `No run with id "${runId}" in the store.`, { hint: 'List runs with `spx checkpoints list`.' });
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
      const params = e.params as { missingProperty?: string; allowedValue?: unknown; allowedValues?: unknown[] };
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
}

/**
 * Writes an exported run into the store after checking that every recorded artifact exists with its
 * recorded size and content. Refuses to replace an existing run unless `force`.
 */
export async function importRun(store: Store, data: RunExport, options: { force?: boolean; file?: string } = {}): Promise<ImportRunResult> {
  const label = options.file ? basename(options.file) : 'the import';
  const artifacts = runArtifacts(data);
  const checks = await checkArtifacts(artifacts);
  const bad = checks.filter((c): c is Extract<ArtifactCheck, { ok: false }> => !c.ok);
  if (bad.length > 0) {
    const errors = bad.map(
      (c) =>
        new SpxError('IMPORT_INVALID', `Artifact ${c.artifact.path} of stage "${(c.artifact as ArtifactRecord & { stage: string }).stage}" is ${c.reason === 'missing' ? 'missing' : `invalid: ${c.reason}`}.`, {
          hint: 'Copy the run directory to the same path first (artifact paths are absolute).',
        }),
    );
    throw new SpxAggregateError('IMPORT_INVALID', `${label}: ${bad.length} of ${artifacts.length} artifacts of run ${data.id} are missing or changed:`, errors, {
      hint: 'Copy the run directory to the same path first (artifact paths are absolute).',
    });
  }
  const existing = await store.get<RunState>(keys.run(data.id));
  if (existing && !options.force) {
    throw new SpxError('CHECKPOINT_EXISTS', `Run ${data.id} already exists in the store (last updated ${existing.last_updated}).`, {
      hint: 'Pass --force to replace it, or delete it first (spx checkpoints delete).',
      exitCode: EXIT.INVALID,
    });
  }
  if (await liveLease(store, data.id)) {
    throw new SpxError('RUN_LOCKED', `Run ${data.id} is in use by another process; not replacing it.`, { hint: 'Wait for it to finish, then import again.' });
  }
  const { steps = {}, ...state } = data;
  if (existing) for (const key of await runStepKeys(store, data.id)) await store.delete(key);
  for (const [suffix, value] of Object.entries(steps)) await store.set(`${keys.stepPrefix(data.id)}${suffix}`, value);
  await store.set(keys.run(data.id), state);
  return { id: data.id, steps: Object.keys(steps).length, artifacts: artifacts.length, replaced: Boolean(existing) };
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

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
