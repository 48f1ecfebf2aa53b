import type { Plugin, StageDefinition } from './types.js';

/** Identity helpers that exist for type inference only. */
export function definePlugin<T extends Plugin>(plugin: T): T {
  return plugin;
}

export function defineStage<P, O extends Record<string, unknown>>(stage: StageDefinition<P, O>): StageDefinition<P, O> {
  return stage;
}
