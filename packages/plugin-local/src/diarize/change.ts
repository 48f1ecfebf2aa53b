// Speaker-change detection inside one speech region (Chen & Gopalakrishnan 1998): slide a
// point t through the region, compare one Gaussian over [t−W, t+W) with one each side by
// ΔBIC, and cut at local maxima above zero. Prefix sums make each test O(d²).
import { deltaBic, type BicOptions, type GaussStats } from './gaussian.js';

export interface ChangeOptions {
  /** Frames each side of a candidate point. */
  window: number;
  /** Frames between candidate points. */
  step: number;
  /** Shortest piece a change may create, frames. */
  minSegment: number;
  bic: BicOptions;
}

/** Prefix sums of frames so the statistics of any frame range cost O(d²). */
export class PrefixStats {
  private readonly sums: Float64Array;
  private readonly sqs: Float64Array;
  constructor(frames: ArrayLike<number>, readonly d: number, readonly count: number) {
    this.sums = new Float64Array((count + 1) * d);
    this.sqs = new Float64Array((count + 1) * d * d);
    for (let f = 0; f < count; f++) {
      const o = f * d;
      for (let i = 0; i < d; i++) {
        this.sums[(f + 1) * d + i] = this.sums[f * d + i]! + frames[o + i]!;
        for (let j = 0; j < d; j++) this.sqs[(f + 1) * d * d + i * d + j] = this.sqs[f * d * d + i * d + j]! + frames[o + i]! * frames[o + j]!;
      }
    }
  }
  range(from: number, to: number): GaussStats {
    const { d } = this;
    const sum = new Array<number>(d);
    const sq = new Array<number>(d * d);
    for (let i = 0; i < d; i++) sum[i] = this.sums[to * d + i]! - this.sums[from * d + i]!;
    for (let k = 0; k < d * d; k++) sq[k] = this.sqs[to * d * d + k]! - this.sqs[from * d * d + k]!;
    return { n: to - from, sum, sq };
  }
}

/** Frame indices (within 0..count) where the speaker changes, ascending. */
export function detectChanges(prefix: PrefixStats, options: ChangeOptions): number[] {
  const { window: w, step, minSegment } = options;
  const n = prefix.count;
  if (n < 2 * minSegment) return [];
  const scores: Array<[number, number]> = [];
  for (let t = minSegment; t <= n - minSegment; t += step) {
    const a = prefix.range(Math.max(0, t - w), t);
    const b = prefix.range(t, Math.min(n, t + w));
    scores.push([t, deltaBic(a, b, options.bic)]);
  }
  // Keep positive local maxima, strongest first, at least minSegment apart.
  const peaks = scores.filter(([, s], i) => s > 0 && s >= (scores[i - 1]?.[1] ?? -Infinity) && s >= (scores[i + 1]?.[1] ?? -Infinity));
  peaks.sort((x, y) => y[1] - x[1]);
  const chosen: number[] = [];
  for (const [t] of peaks) if (chosen.every((c) => Math.abs(c - t) >= minSegment)) chosen.push(t);
  return chosen.sort((x, y) => x - y);
}
