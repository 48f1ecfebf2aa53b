// Compare-and-set for the Postgres store: each operation is one conditional statement. Under READ
// COMMITTED a concurrent UPDATE or DELETE of the same row waits for the other transaction and then
// re-checks its WHERE clause against the committed row, and INSERT … ON CONFLICT DO NOTHING never
// overwrites a row another transaction inserted: exactly one of two racing writers wins.
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
  };
}
