// The runs list, kept in memory: one full read of the store at start, then a cheap poll that
// follows every process sharing the store — the run keys (new and deleted runs) and the lease
// keys (runs some process is working on), re-reading only those runs. Rows carry what the list
// shows and filters on; a run's full state is read again when its page asks for it.
import { leaseIsStale, runRow, scanRuns, storeKeys, type Lease, type RunRow, type RunState, type Store } from './engine.js';

export interface RunListItem extends RunRow {
  /** Time of the latest attempt. */
  durationMs: number;
  /** Paid sub-steps and billable units the run's stages comprise. */
  paidCalls: number;
  usage: number;
  /** What resuming saved over all attempts: paid calls and work time not repeated. */
  saved: { paidCalls: number; durationMs: number };
}

export interface RunQuery {
  status?: string;
  pipeline?: string;
  q?: string;
  from?: string;
  to?: string;
  offset?: number;
  limit?: number;
}

export function listItem(row: RunRow, state: RunState): RunListItem {
  const stages = Object.values(state.stages ?? {});
  const history = state.metadata?.history ?? [];
  const saved = { paidCalls: 0, durationMs: 0 };
  for (const attempt of history) {
    for (const id of attempt.reused ?? []) {
      const record = state.stages?.[id];
      saved.paidCalls += record?.paidCalls ?? 0;
      saved.durationMs += record?.durationMs ?? 0;
    }
  }
  return {
    ...row,
    durationMs: history.at(-1)?.durationMs ?? 0,
    paidCalls: stages.reduce((n, s) => n + (s.paidCalls ?? 0), 0),
    usage: stages.reduce((n, s) => n + (s.usage ?? 0), 0),
    saved,
  };
}

const STALE_MS = 15_000;
const live = (lease: Lease | undefined): lease is Lease => lease !== undefined && !leaseIsStale(lease, STALE_MS);

export class RunIndex {
  private rows = new Map<string, RunListItem>();
  private held = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  readonly ready: Promise<void>;
  /** Entries skipped because they are not valid run states. */
  invalid = 0;

  constructor(
    private readonly store: Store,
    private readonly onChange: (ids: string[]) => void,
  ) {
    this.ready = this.load();
  }

  private async load(): Promise<void> {
    const { runs, invalid } = await scanRuns(this.store);
    this.invalid = invalid.length;
    const leases = await this.leases(runs.map((r) => r.id));
    for (const state of runs) this.rows.set(state.id, listItem(await runRow(this.store, state, leases.get(state.id) ?? null), state));
    this.held = new Set(leases.keys());
  }

  private async leases(ids: string[]): Promise<Map<string, Lease>> {
    const found = new Map<string, Lease>();
    const values = await this.store.getMany<Lease>(ids.map((id) => storeKeys.lock(id)));
    ids.forEach((id, i) => {
      const lease = values[i];
      if (live(lease)) found.set(id, lease);
    });
    return found;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.poll().catch(() => undefined), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling?.catch(() => undefined);
  }

  /** Follows the store: new and deleted runs, and the runs processes hold (or just let go of). */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    await this.ready;
    const ids = new Set<string>();
    for await (const key of this.store.keys(storeKeys.runPrefix)) ids.add(key.slice(storeKeys.runPrefix.length));
    const lockIds: string[] = [];
    for await (const key of this.store.keys('lock:')) lockIds.push(key.slice('lock:'.length));
    const leases = await this.leases(lockIds);
    const changed: string[] = [];
    for (const id of this.rows.keys()) {
      if (!ids.has(id)) {
        this.rows.delete(id);
        changed.push(id);
      }
    }
    const reread = [...ids].filter((id) => !this.rows.has(id) || leases.has(id) || this.held.has(id));
    changed.push(...(await this.reread(reread, leases)));
    this.held = new Set(leases.keys());
    if (changed.length) this.onChange([...new Set(changed)]);
  }

  /** Reads these runs again (after the UI changed one, or while a process works on it); returns those that changed. */
  async reread(ids: string[], knownLeases?: Map<string, Lease>): Promise<string[]> {
    if (ids.length === 0) return [];
    const leases = knownLeases ?? (await this.leases(ids));
    const states = await this.store.getMany<RunState>(ids.map((id) => storeKeys.run(id)));
    const changed: string[] = [];
    for (const [i, id] of ids.entries()) {
      const state = states[i];
      const before = this.rows.get(id);
      if (!state || typeof state !== 'object' || state.id !== id || !state.stages) {
        if (before) {
          this.rows.delete(id);
          changed.push(id);
        }
        continue;
      }
      const item = listItem(await runRow(this.store, state, leases.get(id) ?? null), state);
      if (!before || before.updated !== item.updated || before.status !== item.status) changed.push(id);
      this.rows.set(id, item);
    }
    return changed;
  }

  get(id: string): RunListItem | undefined {
    return this.rows.get(id);
  }

  /** The runs matching the filters, most recently updated first, one page of them. */
  query(query: RunQuery): { total: number; runs: RunListItem[]; pipelines: string[]; statuses: Record<string, number> } {
    const q = query.q?.trim().toLowerCase();
    const all = [...this.rows.values()];
    const matches = all.filter(
      (r) =>
        (!query.status || r.status === query.status) &&
        (!query.pipeline || r.pipeline.name === query.pipeline) &&
        (!query.from || r.updated >= query.from) &&
        (!query.to || r.updated.slice(0, query.to.length) <= query.to) &&
        (!q || r.id.startsWith(q) || r.input.toLowerCase().includes(q) || r.pipeline.name.toLowerCase().includes(q) || (r.error ?? '').toLowerCase().includes(q)),
    );
    matches.sort((a, b) => b.updated.localeCompare(a.updated) || a.id.localeCompare(b.id));
    const offset = Math.max(0, query.offset ?? 0);
    const limit = Math.min(2000, Math.max(1, query.limit ?? 100));
    const statuses: Record<string, number> = {};
    for (const r of all) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    return { total: matches.length, runs: matches.slice(offset, offset + limit), pipelines: [...new Set(all.map((r) => r.pipeline.name))].sort(), statuses };
  }
}
