// Compare-and-set for the Redis store: an absent entry is taken with SET NX PX; a present one is
// replaced or deleted by a script that compares it first. Redis runs a script without running any
// other command meanwhile, so the comparison and the write are one step for every client. A fenced
// write is a script over two keys (the lease and the entry): both live on one Redis server.
import type { RawCas } from './types.js';

interface RedisClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options: { NX: true; PX?: number }): Promise<string | null>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

interface RedisAdapter {
  getClient(): Promise<unknown>;
  createKeyPrefix(key: string, namespace?: string): string;
  namespace?: string;
}

const SWAP = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1`;
const REMOVE = `if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])`;
// KEYS[1] the lease, KEYS[2] the entry; ARGV: token, now, the value ('' deletes), ttl.
const FENCED = `local ok, lease = pcall(cjson.decode, redis.call('GET', KEYS[1]) or 'null')
if not ok or type(lease) ~= 'table' or type(lease.value) ~= 'table' or lease.value.token ~= ARGV[1] then return 0 end
if type(lease.expires) == 'number' and lease.expires <= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then return redis.call('DEL', KEYS[2]) end
if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4]) else redis.call('SET', KEYS[2], ARGV[3]) end
return 1`;

export function redisCas(adapter: RedisAdapter): RawCas {
  const client = async () => (await adapter.getClient()) as RedisClient;
  const at = (key: string) => adapter.createKeyPrefix(key, adapter.namespace);
  return {
    async read(key) {
      return (await (await client()).get(at(key))) ?? undefined;
    },
    async swap(key, expected, next, ttlMs) {
      const redis = await client();
      if (expected === undefined) return (await redis.set(at(key), next, { NX: true, ...(ttlMs > 0 ? { PX: ttlMs } : {}) })) === 'OK';
      return Number(await redis.eval(SWAP, { keys: [at(key)], arguments: [expected, next, String(ttlMs)] })) === 1;
    },
    async remove(key, expected) {
      return Number(await (await client()).eval(REMOVE, { keys: [at(key)], arguments: [expected] })) === 1;
    },
    async fenced(fence, key, next, ttlMs) {
      const args = [fence.token, String(fence.now), next ?? '', String(ttlMs)];
      return Number(await (await client()).eval(FENCED, { keys: [at(fence.key), at(key)], arguments: args })) === 1;
    },
  };
}
