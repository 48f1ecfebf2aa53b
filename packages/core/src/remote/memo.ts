// The two ways the remote kit uses a sub-step store (ctx.step or ctx.cache) beyond a plain call:
// with a value type the kit's own signature has already checked to be JSON, and as a lookup
// that runs nothing when the key holds no value.
import type { Memo, StepOptions } from '../plugins/types.js';

/** A memo for values whose JSON-ness was checked where the kit was called (MustBeJson at its boundary). */
export type Keeper = <V>(key: string, fn: () => Promise<V>, options?: StepOptions<V>) => Promise<V>;

export function keeper(memo: Memo): Keeper {
  return memo as Keeper;
}

const NOT_STORED = Symbol('not stored');

/** The value stored under `key`, or undefined; nothing runs and nothing is stored when there is none. */
export async function storedValue<V>(memo: Memo, key: string): Promise<V | undefined> {
  try {
    return await keeper(memo)<V>(key, () => Promise.reject(NOT_STORED));
  } catch (error) {
    if (error === NOT_STORED) return undefined;
    throw error;
  }
}
