// Compare-and-set for the Postgres store: each operation is one conditional statement. Under READ
// COMMITTED a concurrent UPDATE or DELETE of the same row waits for the other transaction and then
// re-checks its WHERE clause against the committed row, and INSERT … ON CONFLICT DO NOTHING never
// overwrites a row another transaction inserted: exactly one of two racing writers wins. A fenced
// write reads the lease FOR SHARE in the same statement: a takeover of the lease waits until the
// write has committed, and a write that meets a pending takeover re-checks the new lease.
import type { RawCas } from './types.js';

interface PostgresAdapter {
  query(sql: string, values?: unknown[]): Promise<unknown[]>;
  opts: { schema?: string; table?: string };
}

export function postgresCas(adapter: PostgresAdapter): RawCas {
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const table = `${quote(adapter.opts.schema ?? 'public')}.${quote(adapter.opts.table ?? 'keyv')}`;
  const changed = (rows: unknown[]) => rows.length > 0;
  return {
    async read(key) {
      const rows = (await adapter.query(`SELECT value FROM ${table} WHERE key = $1`, [key])) as Array<{ value: string }>;
      return rows[0]?.value ?? undefined;
    },
    async swap(key, expected, next) {
      if (expected === undefined) return changed(await adapter.query(`INSERT INTO ${table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`, [key, next]));
      return changed(await adapter.query(`UPDATE ${table} SET value = $1 WHERE key = $2 AND value = $3 RETURNING key`, [next, key, expected]));
    },
    async remove(key, expected) {
      return changed(await adapter.query(`DELETE FROM ${table} WHERE key = $1 AND value = $2 RETURNING key`, [key, expected]));
    },
    async fenced(fence, key, next) {
      // Only the lease's own row is parsed as JSON (CASE is evaluated lazily; AND is not).
      const lease = (n: number, path: string) => `(CASE WHEN key = $${n} THEN value::jsonb #>> '{${path}}' END)`;
      const held = (n: number) => `EXISTS (SELECT 1 FROM ${table} WHERE key = $${n} AND ${lease(n, 'value,token')} = $${n + 1} AND coalesce(${lease(n, 'expires')}::float8 > $${n + 2}, true) FOR SHARE)`;
      const fenceArgs = [fence.key, fence.token, fence.now];
      if (next === undefined) return changed(await adapter.query(`DELETE FROM ${table} WHERE key = $1 AND ${held(2)} RETURNING key`, [key, ...fenceArgs]));
      return changed(await adapter.query(`INSERT INTO ${table} (key, value) SELECT $1, $2 WHERE ${held(3)} ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value RETURNING key`, [key, next, ...fenceArgs]));
    },
  };
}
