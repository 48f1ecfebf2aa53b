// Which stage a piece of asynchronous work belongs to. Each stage runs inside its own async
// context, which timers, callbacks and promises it creates inherit; a fault raised outside the
// stage's promise (a throw in a timer, a rejection nobody awaits) can then be pinned on the stage
// that caused it instead of failing every stage that happens to be running.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SpxError } from '../errors/errors.js';

export interface StageScope {
  readonly stageId: string;
  /** Fails the stage with a fault raised outside its promise. */
  fail(error: SpxError): void;
}

const scopes = new AsyncLocalStorage<StageScope>();

/** The stage the current asynchronous work was started by, if any. */
export function currentStageScope(): StageScope | undefined {
  return scopes.getStore();
}

/**
 * Runs `fn` as stage `stageId`: resolves or rejects with it, or rejects as soon as a fault is
 * pinned on the stage (even when `fn`'s promise never settles).
 */
export function runInStageScope<T>(stageId: string, fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    scopes.run({ stageId, fail: reject }, () => {
      fn().then(resolve, reject);
    });
  });
}
