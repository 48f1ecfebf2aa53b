// Where a run's results go, checked before any work: the export directory must take files, two
// runs must not write the same exports (two inputs with one name, two pipelines into one --out),
// and two pipeline files must not share a run (run ids derive from the pipeline name).
import { existsSync, realpathSync } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SpxError } from '../errors/errors.js';
import { keys } from '../checkpoints/keys.js';
import type { RunState } from '../checkpoints/state.js';
import type { Store } from '../checkpoints/store.js';
import type { LoadedPipeline } from '../pipeline/types.js';

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function samePath(a: string, b: string): boolean {
  return a === b || realOrSelf(a) === realOrSelf(b);
}

/**
 * Refuses a run whose checkpoints were made by another pipeline file of the same name that still
 * exists: the two would share (and rerun, or lock) each other's work. A recorded file that no
 * longer exists was moved, or the run came from another machine: this pipeline continues it.
 */
export function assertSamePipeline(prior: RunState | undefined, pipeline: LoadedPipeline, runId: string): void {
  const recorded = prior?.pipeline?.file;
  if (typeof recorded !== 'string' || !recorded || samePath(recorded, pipeline.file) || !existsSync(recorded)) return;
  throw new SpxError('PIPELINE_NAME_CONFLICT', `Pipelines ${recorded} and ${pipeline.file} are both named "${pipeline.spec.name}", so they would share run ${runId} and its checkpoints.`, {
    hint: `Give ${basename(pipeline.file)} a name of its own (name: in the file); run ids derive from the pipeline name and the input.`,
  });
}

interface OutputClaim {
  runId: string;
  input: string;
  pipeline: string;
  at: string;
}

export interface Destination {
  runId: string;
  outDir: string;
  inputStem: string;
  input: string;
  pipelineFile: string;
}

/**
 * Refuses when another run in the store owns the exports `<outDir>/<stem>.*`: a different input
 * with the same name, or another pipeline on this input. The same pipeline on the same input path
 * (its content edited since) takes them over: returns the exports that run wrote (path → sha256),
 * which are spx's to replace.
 */
export async function assertOutputsFree(store: Store, to: Destination): Promise<Map<string, string>> {
  const none = new Map<string, string>();
  const claim = await store.get<OutputClaim>(keys.output(to.outDir, to.inputStem));
  if (!claim || typeof claim !== 'object' || typeof claim.runId !== 'string' || claim.runId === to.runId) return none;
  const owner = await store.get<RunState>(keys.run(claim.runId));
  if (!owner || typeof owner !== 'object') return none;
  if (claim.input === to.input && typeof claim.pipeline === 'string' && samePath(claim.pipeline, to.pipelineFile)) {
    return new Map(Object.values(owner.stages ?? {}).flatMap((record) => (record?.destination ? (record.artifacts ?? []).map((a): [string, string] => [a.path, a.sha256]) : [])));
  }
  const what = claim.input === to.input ? `pipeline ${claim.pipeline}` : `${claim.input}`;
  throw new SpxError('OUTPUT_COLLISION', `Exports ${join(to.outDir, `${to.inputStem}.*`)} already belong to run ${claim.runId} (${what}); this run would overwrite them.`, {
    hint: `Pass --out DIR to export elsewhere, or delete that run first (spx checkpoints delete ${claim.runId}).`,
  });
}


export async function claimOutputs(store: Store, to: Destination): Promise<void> {
  await store.set(keys.output(to.outDir, to.inputStem), { runId: to.runId, input: to.input, pipeline: to.pipelineFile, at: new Date().toISOString() } satisfies OutputClaim);
}

/**
 * The export directory must be a writable directory, or creatable inside one (it is made when the
 * first export is written). Checked before any stage runs, so a typo in --out costs nothing.
 */
export async function checkOutDir(outDir: string, options: { explicit: boolean }): Promise<void> {
  const named = options.explicit ? `--out "${outDir}"` : `The export directory ${outDir}`;
  let existing = outDir;
  for (;;) {
    const info = await stat(existing).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : error));
    if (info instanceof Error) {
      if (info.code === 'ENOTDIR') {
        existing = dirname(existing);
        continue;
      }
      throw new SpxError('OUTPUT_DIR_INVALID', `${named} cannot be used: ${info.code ?? info.message}.`, { hint: 'Pass --out with a writable directory.', exitCode: 3 });
    }
    if (info) {
      if (!info.isDirectory()) {
        const inside = existing === outDir ? 'is not a directory (it is a file)' : `is inside ${existing}, which is a file, not a directory`;
        throw new SpxError('OUTPUT_DIR_INVALID', `${named} ${inside}.`, { hint: 'Pass --out with a directory (it is created if missing).', exitCode: 2 });
      }
      break;
    }
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  try {
    await access(existing, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'is on a read-only file system' : code === 'EACCES' || code === 'EPERM' ? 'is read-only (no write permission)' : `is not writable (${code})`;
    throw new SpxError('OUTPUT_DIR_INVALID', `${named} ${existing === outDir ? why : `cannot be created: ${existing} ${why}`}.`, { hint: 'Pass --out with a writable directory.', exitCode: 3 });
  }
}
