// What the `spx checkpoints` commands share beyond core's run views (@spx/core/engine): the run id
// argument, the work dir flag, the missing-store message, short paths, and the pipeline loader the
// views use to work out a rerun plan (shipped pipelines, plugins resolved from the CLI).
import { existsSync, realpathSync } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { Args, Flags } from '@oclif/core';
import { SpxError } from '@spx/core';
import { defaultStoreUrl, recordedPipelineUnsafe, runArtifacts, type PipelineOpener, type RetentionMap, type RunState, type StageRecord, type Store } from '@spx/core/engine';
import { openPipeline, shippedPipelines } from './pipelines.js';

export const runIdArg = Args.string({ description: 'Run id, or a unique prefix of one (like git).', required: true });

export const workDirFlag = Flags.string({ summary: 'Directory holding run artifacts (runs/<id>/); default .spx (or SPX_WORK_DIR, or workDir: in spx.config.yaml).' });

/** Loads pipelines as `spx run` does; a file counts as shipped when it is one of @spx/pipelines' files. */
export const pipelineOpener: PipelineOpener = {
  open: (file, overrides) => openPipeline(file, overrides),
  isShipped(file) {
    try {
      const real = realpathSync(file);
      return shippedPipelines().some((shipped) => realpathSync(shipped) === real);
    } catch {
      return false;
    }
  },
};

/**
 * The default store's path when no store is configured (--store / SPX_STORE) and none exists in
 * the working directory yet: read-only commands say so instead of creating an empty store.
 */
export function missingDefaultStore(url: string | undefined): string | undefined {
  if (url) return undefined;
  const path = defaultStoreUrl().slice('sqlite://'.length);
  return existsSync(path) ? undefined : path;
}

/** CHECKPOINT_NOT_FOUND for an id looked up where there is no store at all. */
export function noStoreError(id: string, path: string): SpxError {
  return new SpxError('CHECKPOINT_NOT_FOUND', `No run with id "${id}": there is no state store at ${path}.`, {
    hint: 'Run spx from the directory where the pipeline ran, or pass --store (or set SPX_STORE).',
  });
}

/** A path shown relative to the working directory when it lies inside it. */
export function shortPath(path: string): string {
  if (!path) return path;
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

const pipelines = new Map<string, ReturnType<typeof openPipeline>>();

/**
 * Retention declarations for a run whose records carry no marks (completed before spx recorded
 * them), read from its pipeline file under the same rules as the rerun plan: only a shipped
 * pipeline or a run made here in a local SQLite store, never a file an import or shared store
 * names. Undefined when the records' own marks decide, or the file may not be loaded.
 */
export async function declaredRetention(store: Store, state: RunState): Promise<((stageId: string, record: StageRecord) => RetentionMap | undefined) | undefined> {
  const file = state.pipeline?.file;
  if (runArtifacts(state).some((a) => a.cheap) || !file || !existsSync(file) || recordedPipelineUnsafe(store, state, file, pipelineOpener)) return undefined;
  if (!pipelines.has(file)) pipelines.set(file, openPipeline(file));
  try {
    const pipeline = await pipelines.get(file)!;
    return (id, record) => {
      const stage = pipeline.stages.get(id);
      return stage?.uses === record.uses ? stage.definition.retention : undefined;
    };
  } catch {
    return undefined;
  }
}
