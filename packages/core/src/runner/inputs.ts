// A run's inputs: file inputs hashed by content (cached), other values taken as given, and from
// them the run id and where the run's files go.
import { basename, dirname, extname, join, resolve } from 'node:path';
import { SpxError } from '../errors/errors.js';
import { sha256 } from '../artifacts/hash.js';
import type { Store } from '../checkpoints/store.js';
import type { LoadedPipeline } from '../pipeline/types.js';
import type { RunInfo } from '../plugins/types.js';
import { canonicalJson } from '../util/canonical.js';
import { own } from '../util/own.js';
import { hashInputFile, type FileIdentity } from './input-hash.js';
import type { RunOptions } from './types.js';

export interface RunInputs {
  /** Input name → value (file inputs: absolute path). */
  values: Record<string, unknown>;
  /** File input name → content sha256. */
  hashes: Record<string, string>;
  /** File input name → its path and identity when hashed (to notice edits during the run). */
  identities: Map<string, { path: string; identity: FileIdentity }>;
  /** The first file input: names the exports and sets their default directory. */
  mainInput: string | undefined;
}

/** Run id: pipeline name + content of the inputs. A renamed input resumes; an edited one starts afresh. */
export function computeRunId(pipelineName: string, inputHashes: Record<string, string>, values: Record<string, unknown>): string {
  return sha256(canonicalJson({ pipeline: pipelineName, inputs: inputHashes, values })).slice(0, 12);
}

export async function resolveInputs(pipeline: LoadedPipeline, given: RunOptions['inputs'], store: Store): Promise<RunInputs> {
  const specInputs = pipeline.spec.inputs ?? {};
  const values: Record<string, unknown> = {};
  const hashes: Record<string, string> = {};
  const identities = new Map<string, { path: string; identity: FileIdentity }>();
  let mainInput: string | undefined;
  for (const [name, spec] of Object.entries(specInputs)) {
    const value = own(given, name) ?? spec.default;
    if (value === undefined) throw new SpxError('INPUT_MISSING', `Pipeline input "${name}" was not given.`, { hint: `Pass it on the command line (spx run ${basename(pipeline.file)} <${name}>).` });
    if (spec.type === 'file') {
      const hashed = await hashInputFile(store, name, String(value));
      values[name] = hashed.path;
      hashes[name] = hashed.sha256;
      identities.set(name, { path: hashed.path, identity: hashed.identity });
      mainInput ??= hashed.path;
    } else values[name] = value;
  }
  for (const name of Object.keys(given)) {
    if (!own(specInputs, name)) throw new SpxError('INPUT_INVALID', `Pipeline "${pipeline.spec.name}" has no input "${name}".`, { hint: `Its inputs are: ${Object.keys(specInputs).join(', ') || '(none)'}.` });
  }
  return { values, hashes, identities, mainInput };
}

/**
 * The id a run of these inputs will have, without a store: what a queue names its job by, so that
 * submitting the same input twice finds the same job. Matches `runInfoFor` (file inputs by content,
 * other inputs by value, defaults filled in).
 */
export async function runIdOf(pipeline: LoadedPipeline, given: RunOptions['inputs']): Promise<string> {
  const hashes: Record<string, string> = {};
  const scalars: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(pipeline.spec.inputs ?? {})) {
    const value = own(given, name) ?? spec.default;
    if (value === undefined) throw new SpxError('INPUT_MISSING', `Pipeline input "${name}" was not given.`, { hint: `Pass it on the command line (spx run ${basename(pipeline.file)} <${name}>).` });
    if (spec.type === 'file') hashes[name] = (await hashInputFile(undefined, name, String(value))).sha256;
    else scalars[name] = value;
  }
  return computeRunId(pipeline.spec.name, hashes, scalars);
}

/** The run's id and where its files go. */
export function runInfoFor(pipeline: LoadedPipeline, inputs: RunInputs, options: Pick<RunOptions, 'outDir'>): RunInfo {
  const specInputs = pipeline.spec.inputs ?? {};
  const scalars = Object.fromEntries(Object.entries(inputs.values).filter(([n]) => own(specInputs, n)?.type !== 'file'));
  const { mainInput } = inputs;
  return {
    id: computeRunId(pipeline.spec.name, inputs.hashes, scalars),
    outDir: resolve(options.outDir ?? (mainInput ? dirname(mainInput) : process.cwd())),
    inputStem: mainInput ? basename(mainInput, extname(mainInput)) : pipeline.spec.name,
    pipeline: { name: pipeline.spec.name, version: pipeline.spec.version, file: pipeline.file },
  };
}

export function workDirOf(options: Pick<RunOptions, 'workDir'>): string {
  return resolve(options.workDir ?? join(process.cwd(), '.spx'));
}
