// Compare-and-set on one store entry, done by the backend itself so that it is atomic for every
// process on every host that shares the store. Keyv has no such operation; each backend gets a
// small module of its own (sqlite.ts, postgres.ts, redis.ts, memory.ts). Entries are compared by
// their exact stored text: a swap succeeds only when nobody wrote the entry since it was read.
// A fenced write checks a lease and writes another entry in the same single step.

/** The lease a fenced write depends on: `key` must hold a Keyv entry, unexpired at `now`, whose value's `token` is `token`. */
export interface RawFence {
  key: string;
  token: string;
  now: number;
}

/** The raw operations a backend provides, on keys as Keyv stores them (`spx:…`). */
export interface RawCas {
  /** The stored text under `key`, or undefined when there is none. */
  read(key: string): Promise<string | undefined>;
  /** Writes `next` when the entry is exactly `expected` (undefined: when there is no entry). */
  swap(key: string, expected: string | undefined, next: string, ttlMs: number): Promise<boolean>;
  /** Deletes the entry when it is exactly `expected`. */
  remove(key: string, expected: string): Promise<boolean>;
  /** Writes `next` under `key` (undefined: deletes it) only while `fence` holds, checked in the same step; true when it wrote or deleted. */
  fenced(fence: RawFence, key: string, next: string | undefined, ttlMs: number): Promise<boolean>;
}
