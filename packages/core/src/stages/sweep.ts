// One forward sweep over speaker turns sorted by start. Queries must come with
// non-decreasing start times; each turn enters and leaves the active list once,
// so n queries over m turns cost O(n + m) plus the size of each answer.
import type { SpeakerTurn } from '../transcript/types.js';

export interface TurnQuery {
  /** Turns with positive overlap with [start, end) (for a zero-length query: turns containing the point). */
  overlapping: SpeakerTurn[];
  /** The turn ending last among those ending at or before `start`, if it does not overlap. */
  before: SpeakerTurn | undefined;
  /** The first turn starting at or after `end`. */
  after: SpeakerTurn | undefined;
}

export class TurnSweep {
  private readonly turns: SpeakerTurn[];
  private next = 0;
  private active: SpeakerTurn[] = [];
  private latest: SpeakerTurn | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;

  /** `turns` must be sorted by start (see sortTurns). */
  constructor(turns: SpeakerTurn[]) {
    this.turns = turns;
  }

  /** The answer object and its `overlapping` array are reused: read them before the next query. */
  query(start: number, end: number): TurnQuery {
    if (start < this.lastStart) throw new Error(`TurnSweep queries must not go back in time (${start} < ${this.lastStart}).`);
    this.lastStart = start;
    const turns = this.turns;
    while (this.next < turns.length && turns[this.next]!.start <= start) {
      const t = turns[this.next++]!;
      this.active.push(t);
      if (!this.latest || t.end > this.latest.end) this.latest = t;
    }
    // Drop turns that ended: they can never overlap a later query.
    let kept = 0;
    for (const t of this.active) if (t.end > start) this.active[kept++] = t;
    this.active.length = kept;
    const result = this.result;
    const overlapping = result.overlapping;
    overlapping.length = 0;
    for (const t of this.active) overlapping.push(t);
    let k = this.next;
    while (k < turns.length && turns[k]!.start < end) overlapping.push(turns[k++]!);
    result.before = this.latest && this.latest.end <= start ? this.latest : undefined;
    result.after = k < turns.length ? turns[k] : undefined;
    return result;
  }
  private readonly result: { overlapping: SpeakerTurn[]; before: SpeakerTurn | undefined; after: SpeakerTurn | undefined } = { overlapping: [], before: undefined, after: undefined };
}

/** Valid turns (finite, end ≥ start) sorted by start, then end. */
export function sortTurns(turns: readonly SpeakerTurn[]): SpeakerTurn[] {
  return turns.filter((t) => Number.isFinite(t.start) && Number.isFinite(t.end) && t.end >= t.start && typeof t.speaker === 'string').sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Seconds of overlap between [s1, e1) and [s2, e2). */
export function overlap(s1: number, e1: number, s2: number, e2: number): number {
  return Math.max(0, Math.min(e1, e2) - Math.max(s1, s2));
}
