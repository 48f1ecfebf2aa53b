// Identity helpers that exist for type inference only. With a TypeBox schema as `params`, the
// stage's params type comes from the schema itself: one declaration, no drift.
import type { Static, TSchema } from '@sinclair/typebox';
import type { Plugin, StageDefinition } from './types.js';

export function definePlugin<T extends Plugin>(plugin: T): T {
  return plugin;
}

export function defineStage<S extends TSchema, O extends Record<string, unknown> = Record<string, unknown>>(stage: Omit<StageDefinition<Static<S>, O>, 'params'> & { params: S }): StageDefinition<Static<S>, O>;
export function defineStage<P, O extends Record<string, unknown>>(stage: StageDefinition<P, O>): StageDefinition<P, O>;
export function defineStage(stage: StageDefinition): StageDefinition {
  return stage;
}
