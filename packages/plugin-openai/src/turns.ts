// Turn mode: builds upload groups from a Diarization. Consecutive turns of one speaker
// (gaps up to maxGap) become one group, capped at maxDuration; a group shorter than
// minTurn is folded into a neighbour (a one-word "yes" is not worth its own request and
// transcribes badly alone), keeping the neighbour's speaker.
import type { Diarization } from '@spx/core';

export interface TurnGroup {
  index: number;
  speaker: string;
  /** Span of the group's turns, seconds. */
  start: number;
  end: number;
  /** Span cut from the audio: the group plus padding, inside [0, duration]. */
  cutStart: number;
  cutEnd: number;
  turns: number;
}

export interface GroupOptions {
  maxGap: number;
  minTurn: number;
  maxDuration: number;
  padding: number;
  /** Audio length, to keep cuts inside it. */
  duration: number;
}

export function groupTurns(diarization: Diarization, options: GroupOptions): TurnGroup[] {
  const source = diarization.exclusiveTurns?.length ? diarization.exclusiveTurns : diarization.turns;
  const turns = source.filter((t) => t.end > t.start).sort((a, b) => a.start - b.start || a.end - b.end);
  type Draft = { speaker: string; start: number; end: number; turns: number };
  const drafts: Draft[] = [];
  for (const turn of turns) {
    const last = drafts[drafts.length - 1];
    if (last && last.speaker === turn.speaker && turn.start - last.end <= options.maxGap && Math.max(last.end, turn.end) - last.start <= options.maxDuration) {
      last.end = Math.max(last.end, turn.end);
      last.turns++;
    } else {
      drafts.push({ speaker: turn.speaker, start: turn.start, end: turn.end, turns: 1 });
    }
  }
  // Fold short groups into a neighbour, preferring the nearer one.
  for (let i = 0; i < drafts.length; ) {
    const group = drafts[i]!;
    if (group.end - group.start >= options.minTurn || drafts.length === 1) {
      i++;
      continue;
    }
    const prev = drafts[i - 1];
    const next = drafts[i + 1];
    const fits = (other: Draft | undefined) =>
      other !== undefined && Math.max(other.end, group.end) - Math.min(other.start, group.start) <= options.maxDuration && Math.max(other.start, group.start) - Math.min(other.end, group.end) <= options.maxGap;
    const gapPrev = prev ? group.start - prev.end : Number.POSITIVE_INFINITY;
    const gapNext = next ? next.start - group.end : Number.POSITIVE_INFINITY;
    const target = fits(prev) && (gapPrev <= gapNext || !fits(next)) ? prev : fits(next) ? next : undefined;
    if (!target) {
      i++;
      continue;
    }
    target.start = Math.min(target.start, group.start);
    target.end = Math.max(target.end, group.end);
    target.turns += group.turns;
    drafts.splice(i, 1);
    if (target === prev) i = Math.max(0, i - 1);
  }
  // A single turn longer than maxDuration is cut into equal parts (no silence search inside a turn).
  const sized = drafts.flatMap((d) => {
    const parts = Math.ceil((d.end - d.start) / options.maxDuration - 1e-9);
    if (parts <= 1) return [d];
    const step = (d.end - d.start) / parts;
    return Array.from({ length: parts }, (_, k) => ({ speaker: d.speaker, start: d.start + k * step, end: k === parts - 1 ? d.end : d.start + (k + 1) * step, turns: d.turns }));
  });
  return sized
    .map((d) => ({ ...d, cutStart: Math.max(0, d.start - options.padding), cutEnd: Math.min(options.duration, d.end + options.padding) }))
    .filter((d) => d.cutEnd - d.cutStart > 0.05)
    .map((d, index) => ({ index, ...d }));
}
