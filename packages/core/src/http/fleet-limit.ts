// Provider limits shared by every process of a fleet (queue workers on many machines): requests
// per minute and requests at once per API host, counted in one Redis, and a pause every process
// honours when any of them was told to wait (a 429's Retry-After). Off unless SPX_LIMITS_REDIS
// names the Redis (`spx worker` sets it to its queue for the runs it starts). Limits come from
// SPX_PROVIDER_LIMITS: `HOST[:PORT]=PER_MINUTE[/AT_ONCE]` entries separated by commas (0 = no
// limit of that kind), e.g. `api.openai.com=500/50,api.pyannote.ai=60/4`; a host without an entry
// still shares pauses. Each decision is one Lua script using the Redis server's clock, so
// processes with skewed clocks agree. A process killed while holding a slot frees it after the
// slot's time-to-live (the request timeout plus a margin).
import { randomUUID } from 'node:crypto';
import { SpxError } from '../errors/errors.js';
import { encodeUrlCredentials, registerUrlCredentials } from '../errors/redact.js';
import { sleep } from '../util/sleep.js';

export interface ProviderLimit {
  perMinute: number;
  atOnce: number;
}

const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;
// KEYS: pause, next-allowed time, slots. ARGV: interval ms, at once, slot id, slot ttl ms.
// Returns 0 when taken, else how long to wait (ms).
const TAKE = `${NOW}local pause = tonumber(redis.call('GET', KEYS[1]) or '0')
if pause > now then return pause - now end
local atOnce = tonumber(ARGV[2])
if atOnce > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  if redis.call('ZCARD', KEYS[3]) >= atOnce then return 25 end
end
local interval = tonumber(ARGV[1])
if interval > 0 then
  local tat = tonumber(redis.call('GET', KEYS[2]) or '0')
  if tat > now then return tat - now end
  redis.call('SET', KEYS[2], now + interval, 'PX', math.floor(interval + 60000))
end
if atOnce > 0 then
  redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
end
return 0`;
// KEYS: pause. ARGV: ms. Extends the fleet's pause to now + ms, never shortens it.
const PAUSE = `${NOW}local untilAt = now + tonumber(ARGV[1])
if untilAt > tonumber(redis.call('GET', KEYS[1]) or '0') then redis.call('SET', KEYS[1], untilAt, 'PX', ARGV[1]) end
return 0`;

interface Client {
  connect(): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  zRem(key: string, member: string): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  ref(): void;
  unref(): void;
}

export interface FleetLimiter {
  /** Waits for a slot for a request to `url`; resolves to its release. */
  acquire(url: string | URL, signal: AbortSignal | undefined, slotTtlMs: number): Promise<() => void>;
  /** Every process waits `ms` before its next request to this host. */
  pause(url: string | URL, ms: number): Promise<void>;
}

export function parseProviderLimits(text: string | undefined): Map<string, ProviderLimit> {
  const limits = new Map<string, ProviderLimit>();
  for (const entry of (text ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const match = /^([A-Za-z0-9.-]+(?::\d{1,5})?)=(\d{1,7})(?:\/(\d{1,5}))?$/.exec(entry);
    if (!match) {
      throw new SpxError('ENV_INVALID', `SPX_PROVIDER_LIMITS entry "${entry.slice(0, 80)}" is not HOST[:PORT]=PER_MINUTE[/AT_ONCE].`, { hint: 'For example SPX_PROVIDER_LIMITS=api.openai.com=500/50,api.pyannote.ai=60/4 (0 = no limit of that kind).' });
    }
    limits.set(match[1]!.toLowerCase(), { perMinute: Number(match[2]), atOnce: Number(match[3] ?? 0) });
  }
  return limits;
}

export function createFleetLimiter(redisUrl: string, limits: Map<string, ProviderLimit>): FleetLimiter {
  registerUrlCredentials(redisUrl, 'limits Redis URL');
  let client: Promise<Client> | undefined;
  const connect = () =>
    (client ??= (async () => {
      const { createClient } = await import('@keyv/redis');
      const reconnectStrategy = (retries: number, cause: Error) => (retries < 5 ? Math.min(50 * 2 ** retries, 1000) : new Error(`gave up after ${retries + 1} attempts (${cause.message})`));
      const c = createClient({ url: encodeUrlCredentials(redisUrl), socket: { connectTimeout: 3000, reconnectStrategy } }) as unknown as Client;
      c.on('error', () => undefined);
      await c.connect().catch((error: unknown) => {
        client = undefined;
        throw new SpxError('QUEUE_UNREACHABLE', `Cannot reach the Redis that holds the fleet's provider limits (SPX_LIMITS_REDIS): ${error instanceof Error ? error.message : String(error)}.`, { hint: 'Start Redis there, or unset SPX_LIMITS_REDIS for a run outside the fleet; completed work is kept.' });
      });
      // The limiter must never keep a finished process alive: its socket holds the process only
      // while a command is in flight.
      c.unref();
      return c;
    })());
  let busy = 0;
  const command = async <T>(run: (c: Client) => Promise<T>): Promise<T> => {
    const c = await connect();
    if (busy++ === 0) c.ref();
    try {
      return await run(c);
    } finally {
      if (--busy === 0) c.unref();
    }
  };
  const keysOf = (url: string | URL) => {
    const host = new URL(String(url)).host.toLowerCase();
    return { host, pause: `spx-limit:{${host}}:pause`, next: `spx-limit:{${host}}:next`, slots: `spx-limit:{${host}}:slots` };
  };
  return {
    async acquire(url, signal, slotTtlMs) {
      const k = keysOf(url);
      const limit = limits.get(k.host) ?? { perMinute: 0, atOnce: 0 };
      const id = randomUUID();
      for (;;) {
        signal?.throwIfAborted();
        const wait = Number(await command((redis) => redis.eval(TAKE, { keys: [k.pause, k.next, k.slots], arguments: [String(limit.perMinute > 0 ? 60_000 / limit.perMinute : 0), String(limit.atOnce), id, String(Math.ceil(slotTtlMs))] })));
        if (!(wait > 0)) break;
        await sleep(Math.min(wait, 60_000), signal);
      }
      return () => {
        if (limit.atOnce > 0) void command((redis) => redis.zRem(k.slots, id)).catch(() => undefined);
      };
    },
    async pause(url, ms) {
      if (!(ms > 0)) return;
      const k = keysOf(url);
      await command((redis) => redis.eval(PAUSE, { keys: [k.pause], arguments: [String(Math.ceil(ms))] }));
    },
  };
}

let shared: FleetLimiter | null | undefined;

/** The process's limiter from SPX_LIMITS_REDIS and SPX_PROVIDER_LIMITS, or null when unset. */
export function fleetLimiter(env: NodeJS.ProcessEnv = process.env): FleetLimiter | null {
  if (shared === undefined) shared = env.SPX_LIMITS_REDIS ? createFleetLimiter(env.SPX_LIMITS_REDIS, parseProviderLimits(env.SPX_PROVIDER_LIMITS)) : null;
  return shared;
}
