// Sentence smoothing for core/merge: within a sentence, short speaker runs are absorbed into a
// neighbouring run, so a sentence is not cut between speakers by a stray word.
import { UNKNOWN_SPEAKER } from './merged.js';
import { endsSentence } from './text.js';
import type { Unit } from './units.js';

/**
 * Within each sentence (ended by . ? ! or a pause longer than `pause`), speaker runs
 * shorter than `minTurn` seconds are absorbed into a neighbouring run, shortest first,
 * until every change left in the sentence has ≥ minTurn s on both sides (or one speaker
 * remains). Long runs are never relabelled. Returns how many words changed speaker.
 */
export function smoothSentences(units: Unit[], pause: number, minTurn: number): number {
  let changed = 0;
  let from = 0;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    const next = units[i + 1];
    const end = !u.isWord || !next || !next.isWord || endsSentence(u.text) || next.start - u.end > pause;
    if (!end) continue;
    if (u.isWord) changed += smoothSentence(units, from, i + 1, minTurn);
    from = i + 1;
  }
  return changed;
}

interface Run {
  id: number;
  speaker: string;
  from: number;
  to: number;
  seconds: number;
  prev: number;
  next: number;
  alive: boolean;
}

function smoothSentence(units: Unit[], from: number, to: number, minTurn: number): number {
  if (to - from < 2) return 0;
  const runs: Run[] = [];
  for (let i = from; i < to; i++) {
    const u = units[i]!;
    const last = runs[runs.length - 1];
    if (last && last.speaker === u.speaker) {
      last.to = i + 1;
      last.seconds = u.end - units[last.from]!.start;
    } else runs.push({ id: runs.length, speaker: u.speaker, from: i, to: i + 1, seconds: u.end - u.start, prev: runs.length - 1, next: runs.length + 1, alive: true });
  }
  if (runs.length < 2) return 0;
  runs[runs.length - 1]!.next = -1;
  const heap = new MinHeap();
  runs.forEach((r, i) => {
    if (r.seconds < minTurn) heap.push(r.seconds, i);
  });
  let changed = 0;
  const join = (keep: Run, gone: Run) => {
    // `gone` is adjacent to `keep`; the merged run spans both.
    if (gone.from < keep.from) {
      keep.from = gone.from;
      keep.prev = gone.prev;
      if (gone.prev >= 0) runs[gone.prev]!.next = keep.id;
    } else {
      keep.to = gone.to;
      keep.next = gone.next;
      if (gone.next >= 0) runs[gone.next]!.prev = keep.id;
    }
    keep.seconds = units[keep.to - 1]!.end - units[keep.from]!.start;
    gone.alive = false;
  };
  while (heap.size > 0) {
    const [seconds, index] = heap.pop();
    const run = runs[index]!;
    if (!run.alive || run.seconds !== seconds || run.seconds >= minTurn) continue;
    const left = run.prev >= 0 ? runs[run.prev]! : undefined;
    const right = run.next >= 0 ? runs[run.next]! : undefined;
    const known = (r: Run | undefined) => r !== undefined && r.speaker !== UNKNOWN_SPEAKER;
    let target: Run | undefined;
    if (known(left) && known(right)) target = left!.speaker === right!.speaker || left!.seconds >= right!.seconds ? left : right;
    else if (known(left)) target = left;
    else if (known(right)) target = right;
    if (!target) continue;
    for (let i = run.from; i < run.to; i++) {
      units[i]!.speaker = target.speaker;
      changed++;
    }
    join(target, run);
    // Absorbing a run between two runs of one speaker joins all three.
    const other = target === left ? right : left;
    if (other && other.alive && other.speaker === target.speaker) join(target, other);
    if (target.seconds < minTurn) heap.push(target.seconds, target.id);
  }
  return changed;
}

/** Binary min-heap of (key, value) pairs. */
class MinHeap {
  private keys: number[] = [];
  private values: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  push(key: number, value: number): void {
    const k = this.keys;
    const v = this.values;
    let i = k.length;
    k.push(key);
    v.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (k[parent]! <= key) break;
      k[i] = k[parent]!;
      v[i] = v[parent]!;
      i = parent;
    }
    k[i] = key;
    v[i] = value;
  }
  pop(): [number, number] {
    const k = this.keys;
    const v = this.values;
    const top: [number, number] = [k[0]!, v[0]!];
    const lastKey = k.pop()!;
    const lastValue = v.pop()!;
    if (k.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= k.length) break;
        const c = l + 1 < k.length && k[l + 1]! < k[l]! ? l + 1 : l;
        if (k[c]! >= lastKey) break;
        k[i] = k[c]!;
        v[i] = v[c]!;
        i = c;
      }
      k[i] = lastKey;
      v[i] = lastValue;
    }
    return top;
  }
}
