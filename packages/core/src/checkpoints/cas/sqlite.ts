// Compare-and-set for the SQLite store: each operation is one statement, and SQLite runs every
// statement as a transaction of its own under the database's write lock, so no other process can
// write the entry between the comparison and the write. A fenced write is one statement too: the
// lease check is a sub-select of the write.
import type { RawCas } from './types.js';

interface SqliteAdapter {
  query(sql: string, ...params: unknown[]): Promise<unknown[]>;
  opts: { table?: string };
}

export function sqliteCas(adapter: SqliteAdapter): RawCas {
  const table = `"${(adapter.opts.table ?? 'keyv').replace(/"/g, '""')}"`;
  const changed = (rows: unknown[]) => rows.length > 0;
  return {
    async read(key) {
      const rows = (await adapter.query(`SELECT value FROM ${table} WHERE key = ?`, key)) as Array<{ value: string }>;
      return rows[0]?.value ?? undefined;
    },
    async swap(key, expected, next) {
      if (expected === undefined) return changed(await adapter.query(`INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING RETURNING key`, key, next));
      return changed(await adapter.query(`UPDATE ${table} SET value = ? WHERE key = ? AND value = ? RETURNING key`, next, key, expected));
    },
    async remove(key, expected) {
      return changed(await adapter.query(`DELETE FROM ${table} WHERE key = ? AND value = ? RETURNING key`, key, expected));
    },
    async fenced(fence, key, next) {
      const field = (path: string) => `CASE WHEN json_valid(value) THEN json_extract(value, '${path}') END`;
      const held = `EXISTS (SELECT 1 FROM ${table} WHERE key = ? AND ${field('$.value.token')} = ? AND coalesce(${field('$.expires')} > ?, 1))`;
      const lease = [fence.key, fence.token, fence.now];
      if (next === undefined) return changed(await adapter.query(`DELETE FROM ${table} WHERE key = ? AND ${held} RETURNING key`, key, ...lease));
      return changed(await adapter.query(`INSERT INTO ${table} (key, value) SELECT ?, ? WHERE ${held} ON CONFLICT(key) DO UPDATE SET value = excluded.value RETURNING key`, key, next, ...lease));
    },
  };
}
