// The state store: one Keyv instance, from a URL. SQLite in .spx/ by default;
// redis:// and postgres:// through the official Keyv adapters. Keyv reports
// adapter failures as events; we always listen and surface them as SpxErrors. Every value is
// redacted on its way in (a secret that reached a stage output or an error is not persisted),
// and the URL's credentials are registered so no message can show them.
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Keyv from 'keyv';
import { SpxError, isSpxError } from '../errors/errors.js';
import { entryTtlMs } from './ttl.js';
import { storeCas, type RawCas, type StoreCas } from './cas/index.js';
import { memoryCas } from './cas/memory.js';
import { postgresCas } from './cas/postgres.js';
import { redisCas } from './cas/redis.js';
import { sqliteCas } from './cas/sqlite.js';
import { encodeUrlCredentials, redact, redactValue, registerUrlCredentials, urlCredentials } from '../errors/redact.js';

export const DEFAULT_TTL_MS = 7 * 24 * 3600 * 1000;
/** Reconnect attempts to a lost Redis server (about 6 s in all) before its commands fail. */
const REDIS_RECONNECTS = 10;

export interface StoreOptions {
  /** `sqlite://path`, a bare path, `redis://…`, `postgres://…`, or `memory://`. */
  url?: string;
  /** Time-to-live of every entry, in ms (default SPX_TTL_HOURS, else 7 days): 0 keeps entries forever, else 1 day to 10 years. */
  ttlMs?: number;
  /** Base directory for the default store (`<cwd>/.spx`). */
  cwd?: string;
  /** Where SPX_STORE and SPX_TTL_HOURS are read (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface Store {
  readonly url: string;
  readonly ttlMs: number;
  get<T>(key: string): Promise<T | undefined>;
  /** Several values in one round trip (in the order of `keys`). */
  getMany<T>(keys: string[]): Promise<Array<T | undefined>>;
  /** Writes with the store's time-to-live, or `ttlMs` (0: kept until deleted). */
  set(key: string, value: unknown, options?: { ttlMs?: number }): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Every key with the given prefix (uses the adapter's iterator). */
  keys(prefix: string): AsyncGenerator<string>;
  /** Compare-and-set on single entries, atomic in the backend across processes and hosts (leases). */
  readonly cas: StoreCas;
  close(): Promise<void>;
}

export function defaultStoreUrl(cwd = process.cwd()): string {
  return `sqlite://${resolve(cwd, '.spx', 'state.sqlite')}`;
}

/** The store URL for display: its user:password (however written) becomes ***. */
export function displayStoreUrl(url: string): string {
  return redact(url);
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  // An empty --store / SPX_STORE means the default, as if it were unset.
  const env = options.env ?? process.env;
  const url = options.url || env.SPX_STORE || defaultStoreUrl(options.cwd);
  registerUrlCredentials(url, 'store URL');
  const ttlMs = entryTtlMs(options.ttlMs, env);
  const { adapter, cas } = await createAdapter(url).catch((error: unknown) => {
    throw isSpxError(error) ? error : storeError(url, 'open', error);
  });
  const listKeys = sqliteKeyLister(adapter);
  const keyv = new Keyv({ store: adapter, namespace: 'spx', ttl: ttlMs > 0 ? ttlMs : undefined, useKeyPrefix: true });
  let lastError: unknown;
  keyv.on('error', (error: unknown) => {
    lastError = error;
  });
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    lastError = undefined;
    try {
      const value = await fn();
      if (lastError) throw lastError;
      return value;
    } catch (error) {
      throw storeError(url, what, error);
    }
  };
  // Touch the store once so an unreachable or corrupt store fails here, with a clear message.
  await wrap('open', () => keyv.get('spx:probe'));
  const stillThere = sqliteFileWatch(url);
  const atomic = storeCas(cas, keyv as never, ttlMs, async (what, fn) => {
    if (what !== 'read') stillThere();
    return wrap(what, fn);
  });
  return {
    url,
    ttlMs,
    get: <T>(key: string) => wrap('read', () => keyv.get(key) as Promise<T | undefined>),
    getMany: <T>(list: string[]) => (list.length === 0 ? Promise.resolve([]) : wrap('read', () => keyv.getMany(list) as Promise<Array<T | undefined>>)),
    set: async (key, value, options) => {
      stillThere();
      return wrap('write', async () => void (await keyv.set(key, redactValue(value), options?.ttlMs)));
    },
    delete: async (key) => {
      stillThere();
      return wrap('delete', () => keyv.delete(key));
    },
    async *keys(prefix) {
      if (listKeys) {
        // One query for the names alone: the adapter's iterator pages with LIMIT/OFFSET and reads
        // every value, which grows with the square of the store (minutes for 10,000 runs).
        for (const key of await wrap('read', () => listKeys(prefix))) yield key;
        return;
      }
      if (!keyv.iterator) throw new SpxError('STORE_UNREACHABLE', `The store at ${displayStoreUrl(url)} cannot list keys.`, { hint: 'Use sqlite:// or redis:// stores.' });
      const iterator = keyv.iterator(undefined) as AsyncGenerator<[string, unknown]>;
      for await (const [key] of iterator) if (key.startsWith(prefix)) yield key;
    },
    cas: atomic,
    close: async () => {
      await keyv.disconnect().catch(() => undefined);
    },
  };
}

/** The Keyv adapter for a URL, with its backend's compare-and-set. */
async function createAdapter(url: string): Promise<{ adapter: unknown; cas: RawCas }> {
  if (url === 'memory://' || url === 'memory') {
    const map = new Map<string, unknown>();
    return { adapter: map, cas: memoryCas(map) };
  }
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    const { default: KeyvRedis } = await import('@keyv/redis');
    // Bounded reconnects: a server that goes away mid-run fails the pending commands (and the
    // run, resumably) within seconds instead of queueing them forever; a short blip is ridden out.
    // A server that never answered is given up on sooner. (No connectionTimeout option: its timer
    // is never cleared and would hold every process open for that long after it finished.)
    let ready = false;
    // Once given up on, later commands try again only briefly (each would otherwise wait ~6 s).
    const reconnectStrategy = (retries: number, cause: Error) => {
      if (retries < (ready ? REDIS_RECONNECTS : 2)) return Math.min(50 * 2 ** retries, 1000);
      const error = new Error(`gave up ${ready ? 'reconnecting' : 'connecting'} after ${retries + 1} attempts (${cause.message})`);
      ready = false;
      return error;
    };
    const adapter = new KeyvRedis({ url: encodeUrlCredentials(url), socket: { connectTimeout: 3000, reconnectStrategy } } as never, { throwOnConnectError: true, throwOnErrors: true } as never);
    (adapter.client as unknown as { on(event: 'ready', listener: () => void): void }).on('ready', () => {
      ready = true;
    });
    return { adapter, cas: redisCas(adapter as never) };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const { default: KeyvPostgres } = await import('@keyv/postgres');
    const adapter = new KeyvPostgres({ uri: encodeUrlCredentials(url) });
    return { adapter, cas: postgresCas(adapter as never) };
  }
  const path = url.startsWith('sqlite://') ? url.slice('sqlite://'.length) : url;
  if (/^[a-z]+:\/\//i.test(path)) {
    throw new SpxError('STORE_UNREACHABLE', `Unsupported store URL scheme in "${displayStoreUrl(url)}".`, { hint: 'Use sqlite://PATH, redis://HOST:PORT or postgres://…' });
  }
  // SQLite has no users: a user:password@ would become part of the file path, and of every message naming it.
  if (url.startsWith('sqlite://') && urlCredentials(url)) {
    throw new SpxError('STORE_UNREACHABLE', `The store URL ${displayStoreUrl(url)} has a user or password, which SQLite stores do not take.`, { hint: 'Write sqlite://PATH (no user:password@), or use redis:// or postgres:// for a server that needs credentials.' });
  }
  try {
    mkdirSync(dirname(resolve(path)), { recursive: true });
  } catch (error) {
    throw storeError(url, 'create the directory of', error);
  }
  const { default: KeyvSqlite } = await import('@keyv/sqlite');
  const adapter = new KeyvSqlite({ uri: `sqlite://${resolve(path)}`, busyTimeout: 10_000 } as never);
  // WAL with synchronous=NORMAL: a committed write survives a killed process (what resume needs)
  // at a fraction of the default journal's fsync cost; readers never block the writer.
  const query = (adapter as unknown as { query(sql: string): Promise<unknown> }).query;
  await query('PRAGMA journal_mode=WAL');
  await query('PRAGMA synchronous=NORMAL');
  return { adapter, cas: sqliteCas(adapter as never) };
}

/**
 * For a SQLite adapter, the keys under a prefix in one indexed query (names only, no values). An
 * entry that has expired but was not yet removed may be listed; reading it returns nothing, as
 * every caller expects of a key that went away between listing and reading.
 */
function sqliteKeyLister(adapter: unknown): ((prefix: string) => Promise<string[]>) | undefined {
  const sqlite = adapter as { query?: (sql: string, ...params: unknown[]) => Promise<Array<{ key: string }>>; opts?: { table?: string; dialect?: string } };
  if (sqlite?.opts?.dialect !== 'sqlite' || typeof sqlite.query !== 'function' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(sqlite.opts.table ?? '')) return undefined;
  const like = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);
  return async (prefix) => {
    const rows = await sqlite.query!(`SELECT key FROM ${sqlite.opts!.table} WHERE key LIKE ? ESCAPE '\\' ORDER BY key`, `spx:${like(prefix)}%`);
    return rows.map((row) => row.key.slice('spx:'.length)).filter((key) => key.startsWith(prefix));
  };
}

/**
 * For a SQLite store, a check that its file is still the one opened: SQLite keeps writing to a
 * deleted (or replaced) file, so every checkpoint after that would silently be lost. Writes then
 * fail with STORE_LOST instead. Other stores need no check.
 */
function sqliteFileWatch(url: string): () => void {
  if (/^[a-z]+:\/\//i.test(url) && !url.startsWith('sqlite://')) return () => undefined;
  const path = resolve(url.startsWith('sqlite://') ? url.slice('sqlite://'.length) : url);
  let opened: { dev: number; ino: number };
  try {
    opened = statSync(path);
  } catch {
    return () => undefined;
  }
  return () => {
    let now: { dev: number; ino: number } | undefined;
    try {
      now = statSync(path);
    } catch {
      now = undefined;
    }
    if (!now || now.ino !== opened.ino || now.dev !== opened.dev) {
      throw new SpxError('STORE_LOST', `The state store ${path} was ${now ? 'replaced' : 'deleted'} while spx was using it; nothing more can be saved to it.`, {
        hint: 'Keep the store file while spx runs; run the same command again to start over with a new store (or restore the old file).',
      });
    }
  };
}

/** Why SQLite cannot open its file, when the file system can tell: a directory, or a read-only place. */
function sqliteOpenProblem(url: string): string | undefined {
  if (/^[a-z]+:\/\//i.test(url) && !url.startsWith('sqlite://')) return undefined;
  const path = resolve(url.startsWith('sqlite://') ? url.slice('sqlite://'.length) : url);
  try {
    if (statSync(path).isDirectory()) return `${path} is a directory, not a database file`;
  } catch {
    // absent: SQLite would create it, so the directory is what fails
  }
  try {
    accessSync(dirname(path), constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return `its directory ${dirname(path)} is read-only (${code})`;
    if (code === 'ENOENT') return `its directory ${dirname(path)} does not exist`;
  }
  return undefined;
}

function storeError(url: string, what: string, error: unknown): SpxError {
  const message = error instanceof Error ? error.message : String(error);
  const shown = displayStoreUrl(url);
  if (/SQLITE_NOTADB|file is not a database|malformed/i.test(message)) {
    return new SpxError('STORE_CORRUPT', `The state store ${shown} is not a valid SQLite database.`, {
      hint: 'Move the file aside (its runs are lost) or point --store at another file.',
      cause: error,
    });
  }
  if (/SQLITE_CANTOPEN/.test(message)) {
    const why = sqliteOpenProblem(url);
    if (why) return new SpxError('STORE_UNREACHABLE', `Cannot ${what} the state store ${shown}: ${why}.`, { hint: 'Pass --store with a writable file location (sqlite://DIR/state.sqlite).', cause: error });
  }
  if (/SQLITE_READONLY|EACCES|EROFS|readonly/i.test(message)) {
    return new SpxError('STORE_UNREACHABLE', `Cannot ${what} the state store ${shown}: it is read-only.`, { hint: 'Make the directory writable or pass --store with a writable location.', cause: error });
  }
  if (/SQLITE_FULL|ENOSPC/i.test(message)) {
    return new SpxError('DISK_FULL', `No space left to ${what} the state store ${shown}.`, { hint: 'Free disk space and run the same command again; completed stages are kept.', cause: error });
  }
  return new SpxError('STORE_UNREACHABLE', `Cannot ${what} the state store ${shown}: ${message.split('\n')[0]}`, {
    hint: 'Check that the store is running and the URL in --store / SPX_STORE is right.',
    cause: error,
    retryable: true,
  });
}
