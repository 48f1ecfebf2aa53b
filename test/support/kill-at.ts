// Runs a pipeline as `spx run` does and SIGKILLs its own process at one exact moment of pruning or
// of making a pruned file again — moments a timer hits only by luck:
//   pruned-not-deleted  the completed state marking files pruned is saved; no file deleted yet
//   remade-not-saved    a pruned file was made again (it is on disk); the state saying so is not saved
// Run: node --import tsx test/support/kill-at.ts <dir> <moment> <pipeline> <input> --out DIR [--set k=v…] [--from-stage S]
// from the repository; it works in <dir> as `spx run` there would (default store and work dir).
// Exits 3 when the moment never came.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, runPipeline, type RunState, type Store } from '@spx/core/engine';
import { openPipeline } from '../../packages/cli/src/lib/pipelines.js';

const [dir, moment, pipelineArg, input, ...rest] = process.argv.slice(2);
process.chdir(dir!);
const flag = (name: string) => rest.flatMap((arg, i) => (arg === `--${name}` ? [rest[i + 1]!] : []));

const prunedPaths = (state: RunState | undefined) => new Set(Object.values(state?.stages ?? {}).flatMap((r) => r.artifacts.filter((a) => a.pruned).map((a) => a.path)));

/** The store, with the kill placed around the run-state write of the chosen moment. */
function killing(store: Store): Store {
  let saved: RunState | undefined;
  const kill = () => process.kill(process.pid, 'SIGKILL');
  /** Performs one store write, killing the process before or after it when it is the chosen moment's run-state write. */
  const around = async <R>(key: string, value: unknown, write: () => Promise<R>): Promise<R> => {
    if (!key.startsWith('run:')) return write();
    const state = value as RunState;
    const before = prunedPaths(saved);
    const now = prunedPaths(state);
    if (moment === 'remade-not-saved' && [...before].some((path) => !now.has(path) && existsSync(path))) kill();
    const result = await write();
    saved = structuredClone(state);
    if (moment === 'pruned-not-deleted' && state.status === 'completed' && [...now].some((path) => !before.has(path) && existsSync(path))) kill();
    return result;
  };
  // Every other member is the store's own, so this stays a whole store as the interface grows.
  return {
    ...store,
    get: async <T>(key: string) => {
      const value = await store.get<T>(key);
      if (key.startsWith('run:') && !saved) saved = value as RunState | undefined;
      return value;
    },
    set: (key, value, options) => around(key, value, () => store.set(key, value, options)),
    // A run's writes are fenced by its lease: they reach the store through setFenced.
    cas: { ...store.cas, setFenced: (fence, key, value, ttlMs) => around(key, value, () => store.cas.setFenced(fence, key, value, ttlMs)) },
  };
}

const pipeline = await openPipeline(pipelineArg!, flag('set'));
const store = await openStore({ url: `sqlite://${join(process.cwd(), '.spx', 'state.sqlite')}` });
const summary = await runPipeline({ pipeline, inputs: { audio: input! }, store: killing(store), workDir: join(process.cwd(), '.spx'), outDir: flag('out')[0], fromStage: flag('from-stage')[0] });
await store.close();
console.log(`not killed: ${summary.status}`);
process.exit(3);
