// Compare-and-set for the in-memory store (memory://): only this process sees it, and each
// operation runs without awaiting in between, so JavaScript's single thread makes it atomic.
import type { RawCas, RawFence } from './types.js';

/** Whether a stored lease entry is the fence's live lease. */
function holds(stored: string | undefined, fence: RawFence): boolean {
  try {
    const entry = stored === undefined ? undefined : (JSON.parse(stored) as { value?: { token?: unknown }; expires?: unknown });
    return entry?.value?.token === fence.token && !(typeof entry.expires === 'number' && entry.expires <= fence.now);
  } catch {
    return false;
  }
}

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
    async fenced(fence, key, next) {
      if (!holds(text(map.get(fence.key)), fence)) return false;
      if (next === undefined) return map.delete(key);
      map.set(key, next);
      return true;
    },
  };
}
