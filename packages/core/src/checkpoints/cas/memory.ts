// Compare-and-set for the in-memory store (memory://): only this process sees it, and each
// operation runs without awaiting in between, so JavaScript's single thread makes it atomic.
import type { RawCas } from './types.js';

export function memoryCas(map: Map<string, unknown>): RawCas {
  const text = (value: unknown) => (value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value));
  return {
    async read(key) {
      return text(map.get(key));
    },
    async swap(key, expected, next) {
      if (text(map.get(key)) !== expected) return false;
      map.set(key, next);
      return true;
    },
    async remove(key, expected) {
      if (text(map.get(key)) !== expected) return false;
      return map.delete(key);
    },
  };
}
