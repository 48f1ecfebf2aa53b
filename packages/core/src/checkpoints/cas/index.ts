// Compare-and-set entries as the store's users see them: values in Keyv's own stored form (so
// `store.get` and every other reader keep working), with the exact text as the version a later
// swap or remove compares against. Leases (../lock.ts) are built on it, and so are fenced writes:
// a write that lands only while a lease is held, checked in the same backend operation.
import { redactValue } from '../../errors/redact.js';
import type { RawCas } from './types.js';

export type { RawCas } from './types.js';

export interface CasEntry<T> {
  /** The value, or undefined when the stored text is not a Keyv entry at all. */
  value: T | undefined;
  /** Past its time-to-live: as good as absent, but still there to be swapped. */
  expired: boolean;
  /** The exact stored text. */
  version: string;
}

export interface StoreCas {
  read<T>(key: string): Promise<CasEntry<T> | undefined>;
  /** Writes `value` (with the store's time-to-live, or `ttlMs`; 0: kept) when the entry is still `expected` (undefined: when there is none); the new entry, or undefined when another writer came first. */
  swap<T>(key: string, expected: CasEntry<unknown> | undefined, value: T, ttlMs?: number): Promise<CasEntry<T> | undefined>;
  /** Deletes the entry when it is still `expected`. */
  remove(key: string, expected: CasEntry<unknown>): Promise<boolean>;
  /** Writes `value` under `key` (with the store's time-to-live, or `ttlMs`; 0: kept) only while `fence` holds; false, and nothing written, when it does not. */
  setFenced(fence: Fence, key: string, value: unknown, ttlMs?: number): Promise<boolean>;
  /** Deletes `key` only while `fence` holds; false when nothing was deleted (no such entry, or the fence does not hold). */
  deleteFenced(fence: Fence, key: string): Promise<boolean>;
}

/** A lease a write depends on: the entry at `key` must be live and carry `token`. */
export interface Fence {
  key: string;
  token: string;
}

export interface KeyvForm {
  namespace?: string;
  serialize?: (data: unknown) => string | Promise<string>;
  deserialize?: (data: string) => unknown;
}

export function storeCas(raw: RawCas, keyv: KeyvForm, ttlMs: number, wrap: <R>(what: string, fn: () => Promise<R>) => Promise<R>): StoreCas {
  const at = (key: string) => (keyv.namespace ? `${keyv.namespace}:${key}` : key);
  const parse = <T>(version: string): CasEntry<T> => {
    let data: unknown;
    try {
      data = keyv.deserialize ? keyv.deserialize(version) : JSON.parse(version);
    } catch {
      data = undefined;
    }
    const entry = data && typeof data === 'object' ? (data as { value?: T; expires?: unknown }) : undefined;
    const expires = typeof entry?.expires === 'number' ? entry.expires : undefined;
    return { value: entry?.value, expired: expires !== undefined && expires < Date.now(), version };
  };
  /** The entry as Keyv stores it, so `store.get` reads it back. */
  const encode = async (value: unknown, ttl: number) => {
    const data = { value: redactValue(value), ...(ttl > 0 ? { expires: Date.now() + ttl } : {}) };
    return keyv.serialize ? await keyv.serialize(data) : JSON.stringify(data);
  };
  const rawFence = (fence: Fence) => ({ key: at(fence.key), token: fence.token, now: Date.now() });
  return {
    read: <T>(key: string) =>
      wrap('read', async () => {
        const version = await raw.read(at(key));
        return version === undefined ? undefined : parse<T>(version);
      }),
    swap: <T>(key: string, expected: CasEntry<unknown> | undefined, value: T, ttl = ttlMs) =>
      wrap('write', async () => {
        const version = await encode(value, ttl);
        return (await raw.swap(at(key), expected?.version, version, ttl)) ? { value, expired: false, version } : undefined;
      }),
    remove: (key, expected) => wrap('delete', () => raw.remove(at(key), expected.version)),
    setFenced: (fence, key, value, ttl = ttlMs) => wrap('write', async () => raw.fenced(rawFence(fence), at(key), await encode(value, ttl), ttl)),
    deleteFenced: (fence, key) => wrap('delete', () => raw.fenced(rawFence(fence), at(key), undefined, 0)),
  };
}
