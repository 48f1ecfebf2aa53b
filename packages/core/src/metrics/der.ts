// Diarization error rate, as NIST md-eval and pyannote.metrics define it:
//   DER = (missed + false alarm + confusion) / total reference speech,
// with a no-score collar around every reference turn boundary and the one-to-one
// speaker mapping that maximizes matched time (Hungarian algorithm). Overlapping
// speech counts per speaker. One sweep over the sorted boundaries.
import type { SpeakerTurn } from '../transcript/types.js';
import { maxWeightAssignment } from './hungarian.js';

/** Only speaker, start and end are read. */
type Turn = Pick<SpeakerTurn, 'speaker' | 'start' | 'end'>;

export interface DerOptions {
  /** Seconds ignored each side of every reference boundary (default 0.25, as md-eval `-c 0.25`; pyannote's `collar=0.5`). */
  collar?: number;
  /** Ignore regions where the reference has two or more speakers (default false). */
  skipOverlap?: boolean;
  /** Evaluate only inside [start, end) (default: everywhere). */
  uem?: { start: number; end: number };
}

export interface DerResult {
  /** (missed + falseAlarm + confusion) / total; 0 when there is nothing to score. */
  der: number;
  /** Seconds of reference speech not covered by the hypothesis (counted per speaker). */
  missed: number;
  /** Seconds of hypothesis speech where the reference has less. */
  falseAlarm: number;
  /** Seconds attributed to the wrong speaker under the optimal mapping. */
  confusion: number;
  /** Scored reference speech, seconds (per speaker). */
  total: number;
  /** Scored reference speech attributed to the right speaker, seconds. */
  correct: number;
  /** Hypothesis label → reference label for mapped hypothesis speakers. */
  mapping: Record<string, string>;
}

export const DEFAULT_COLLAR = 0.25;

interface Event {
  t: number;
  /** 0 reference, 1 hypothesis, 2 no-score zone */
  kind: 0 | 1 | 2;
  /** speaker index (kind 0/1) */
  who: number;
  delta: 1 | -1;
}

export function diarizationErrorRate(reference: readonly Turn[], hypothesis: readonly Turn[], options: DerOptions = {}): DerResult {
  const collar = options.collar ?? DEFAULT_COLLAR;
  const refIds = new Map<string, number>();
  const hypIds = new Map<string, number>();
  const idOf = (map: Map<string, number>, s: string) => {
    let id = map.get(s);
    if (id === undefined) map.set(s, (id = map.size));
    return id;
  };
  const valid = (t: Turn) => Number.isFinite(t.start) && Number.isFinite(t.end) && t.end > t.start;
  const events: Event[] = [];
  for (const t of reference) {
    if (!valid(t)) continue;
    const who = idOf(refIds, t.speaker);
    events.push({ t: t.start, kind: 0, who, delta: 1 }, { t: t.end, kind: 0, who, delta: -1 });
    if (collar > 0) {
      events.push({ t: t.start - collar, kind: 2, who: 0, delta: 1 }, { t: t.start + collar, kind: 2, who: 0, delta: -1 });
      events.push({ t: t.end - collar, kind: 2, who: 0, delta: 1 }, { t: t.end + collar, kind: 2, who: 0, delta: -1 });
    }
  }
  for (const t of hypothesis) {
    if (!valid(t)) continue;
    const who = idOf(hypIds, t.speaker);
    events.push({ t: t.start, kind: 1, who, delta: 1 }, { t: t.end, kind: 1, who, delta: -1 });
  }
  if (options.uem) {
    // Outside the UEM is a no-score zone.
    events.push({ t: Number.NEGATIVE_INFINITY, kind: 2, who: 0, delta: 1 }, { t: options.uem.start, kind: 2, who: 0, delta: -1 });
    events.push({ t: options.uem.end, kind: 2, who: 0, delta: 1 }, { t: Number.POSITIVE_INFINITY, kind: 2, who: 0, delta: -1 });
  }
  events.sort((a, b) => a.t - b.t);

  const nRef = refIds.size;
  const nHyp = hypIds.size;
  // Active counts per speaker (a speaker's own turns may overlap each other).
  const refCount = new Int32Array(nRef);
  const hypCount = new Int32Array(nHyp);
  let noScore = 0;
  // Scored elementary regions: duration and who is active, for the second pass.
  const regions: { dur: number; refs: number[]; hyps: number[] }[] = [];
  const cooccur = Array.from({ length: nRef }, () => new Array<number>(nHyp).fill(0));
  let activeRefs: number[] = [];
  let activeHyps: number[] = [];
  let dirty = true;
  for (let k = 0; k < events.length; k++) {
    const e = events[k]!;
    if (e.kind === 0) refCount[e.who] = refCount[e.who]! + e.delta;
    else if (e.kind === 1) hypCount[e.who] = hypCount[e.who]! + e.delta;
    else noScore += e.delta;
    if (e.kind !== 2) dirty = true;
    const next = events[k + 1];
    if (!next || next.t <= e.t) continue;
    if (noScore > 0) continue;
    if (dirty) {
      activeRefs = [];
      activeHyps = [];
      for (let r = 0; r < nRef; r++) if (refCount[r]! > 0) activeRefs.push(r);
      for (let h = 0; h < nHyp; h++) if (hypCount[h]! > 0) activeHyps.push(h);
      dirty = false;
    }
    if (activeRefs.length === 0 && activeHyps.length === 0) continue;
    if (options.skipOverlap && activeRefs.length > 1) continue;
    const dur = next.t - e.t;
    regions.push({ dur, refs: activeRefs, hyps: activeHyps });
    for (const r of activeRefs) for (const h of activeHyps) cooccur[r]![h]! += dur;
  }

  const refToHyp = nRef > 0 && nHyp > 0 ? maxWeightAssignment(cooccur) : new Array<number>(nRef).fill(-1);
  const refNames = [...refIds.keys()];
  const hypNames = [...hypIds.keys()];
  const mapping: Record<string, string> = {};
  refToHyp.forEach((h, r) => {
    if (h >= 0 && cooccur[r]![h]! > 0) mapping[hypNames[h]!] = refNames[r]!;
  });

  let total = 0;
  let missed = 0;
  let falseAlarm = 0;
  let confusion = 0;
  let correct = 0;
  for (const { dur, refs, hyps } of regions) {
    const nr = refs.length;
    const nh = hyps.length;
    let matched = 0;
    for (const r of refs) {
      const h = refToHyp[r]!;
      if (h >= 0 && hyps.includes(h)) matched++;
    }
    total += dur * nr;
    correct += dur * matched;
    missed += dur * Math.max(0, nr - nh);
    falseAlarm += dur * Math.max(0, nh - nr);
    confusion += dur * (Math.min(nr, nh) - matched);
  }
  const errors = missed + falseAlarm + confusion;
  return { der: total > 0 ? errors / total : errors > 0 ? Number.POSITIVE_INFINITY : 0, missed, falseAlarm, confusion, total, correct, mapping };
}
