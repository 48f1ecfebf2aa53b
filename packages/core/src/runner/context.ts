// Builds the StageContext a stage's run() receives. Log lines and progress messages are
// redacted before they become events (a plugin that logs a key shows its variable's name).
import { createArtifactStore } from '../artifacts/store.js';
import { SpxError } from '../errors/errors.js';
import { redact } from '../errors/redact.js';
import type { Store } from '../checkpoints/store.js';
import { keys } from '../checkpoints/keys.js';
import type { Logger, RunInfo, StageContext, StepOptions } from '../plugins/types.js';
import type { RunEventListener } from './events.js';

export interface StageContextOptions<P> {
  store: Store;
  run: RunInfo;
  stageId: string;
  pluginName: string;
  fingerprint: string;
  params: P;
  artifactsDir: string;
  signal: AbortSignal;
  emit?: RunEventListener;
  /** Files exports must never overwrite (the run's inputs). */
  protectedPaths?: readonly string[];
  /** Exports this stage wrote last time (path → sha256): rewriting those needs no backup. */
  published?: ReadonlyMap<string, string>;
  /** Throws when this process no longer holds the run; checked before a paid sub-step runs. */
  fence?: () => Promise<void>;
  /** The run's environment (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface StageAccounting {
  usage: number;
  stepsReused: number;
  paidStepsReused: number;
  paidStepsRun: number;
}

export function createStageContext<P>(options: StageContextOptions<P>): { ctx: StageContext<P>; accounting: StageAccounting } {
  const { store, run, stageId, emit } = options;
  const accounting: StageAccounting = { usage: 0, stepsReused: 0, paidStepsReused: 0, paidStepsRun: 0 };
  const log = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string) => emit?.({ type: 'stage-log', stage: stageId, level, message: redact(String(message)) });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };

  const memo = async <T>(storeKey: string, label: string, fn: () => Promise<T>, stepOptions: StepOptions<T> = {}): Promise<T> => {
    options.signal.throwIfAborted();
    const stored = await store.get<{ value: T }>(storeKey);
    if (stored && (!stepOptions.reuseIf || (await stepOptions.reuseIf(stored.value)))) {
      accounting.stepsReused++;
      if (stepOptions.paid) accounting.paidStepsReused++;
      emit?.({ type: 'step-reused', stage: stageId, key: label, paid: stepOptions.paid ?? false });
      return stored.value;
    }
    if (stepOptions.paid) await options.fence?.();
    const value = await fn();
    if (stepOptions.paid) accounting.paidStepsRun++;
    await store.set(storeKey, { value, at: new Date().toISOString() });
    return value;
  };

  const ctx: StageContext<P> = {
    run,
    stageId,
    params: options.params,
    signal: options.signal,
    env: options.env ?? process.env,
    logger,
    artifacts: createArtifactStore(options.artifactsDir, { protectedPaths: options.protectedPaths, outDir: run.outDir, published: options.published, warn: logger.warn }),
    step: <T>(key: string, fn: () => Promise<T>, stepOptions?: StepOptions<T>) => memo(keys.step(run.id, stageId, options.fingerprint, key), key, fn, stepOptions),
    cache: <T>(key: string, fn: () => Promise<T>, stepOptions?: StepOptions<T>) => memo(keys.cache(options.pluginName, key), key, fn, stepOptions),
    progress: (progress) => emit?.({ type: 'stage-progress', stage: stageId, progress: progress.message === undefined ? progress : { ...progress, message: redact(progress.message) } }),
    usage: (units) => {
      accounting.usage += units;
    },
    fail: (code, message, failOptions) => {
      throw new SpxError(code, message, { ...failOptions, stage: stageId, plugin: options.pluginName });
    },
  };
  return { ctx, accounting };
}
