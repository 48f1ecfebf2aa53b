// One person is one speaker: a person's voice varies (fast and slow speech, louder and softer,
// different words), and a single-Gaussian ΔBIC cannot tell such variation from a second voice of
// a similar kind. So each speaker is measured against itself: the divergence between the earlier
// and the later half of that speaker's own speech is how much one voice varies in this recording.
// Two speakers that differ by no more than the more variable of them varies within itself are
// one speaker, and are merged. The yardstick comes from the recording; nothing is tuned.
import { addStats, logDetOf, type BicOptions, type GaussStats } from './gaussian.js';

/** Divergence per frame: ½[n·log|Σ| − n₁·log|Σ₁| − n₂·log|Σ₂|] / n, diagonal covariances (few parameters, stable on seconds of speech). */
export function divergence(a: GaussStats, b: GaussStats): number {
  const n = a.n + b.n;
  if (a.n === 0 || b.n === 0) return 0;
  return (0.5 * (n * logDetOf(addStats(a, b), DIAGONAL) - a.n * logDetOf(a, DIAGONAL) - b.n * logDetOf(b, DIAGONAL))) / n;
}

const DIAGONAL: BicOptions = { lambda: 1, covariance: 'diagonal', floor: 1e-3 };

/** Frames each half needs before its divergence says anything about the voice (1 s). */
export const MIN_HALF_FRAMES = 100;

/** A speaker's statistics in time order, in parts (e.g. each window cluster's two halves). */
export interface SpeakerParts {
  parts: readonly GaussStats[];
}

/** Statistics of all of a speaker's speech, and how much that speaker varies within itself. */
export interface SpeakerVariation {
  stats: GaussStats;
  /** Divergence between the earlier and the later half of the speaker's speech (0: too little speech to say). */
  own: number;
}

/** Splits the parts, in order, where half the frames are reached, and measures the two halves. */
export function speakerVariation(speaker: SpeakerParts): SpeakerVariation {
  const parts = speaker.parts.filter((p) => p.n > 0);
  const total = parts.reduce((a, p) => a + p.n, 0);
  const d = parts[0]?.sum.length ?? 0;
  const empty = (): GaussStats => ({ n: 0, sum: new Array<number>(d).fill(0), sq: new Array<number>(d * d).fill(0) });
  let early = empty();
  let late = empty();
  let seen = 0;
  for (const p of parts) {
    // A part goes to the half that holds the larger share of it.
    if (seen + p.n / 2 <= total / 2) early = addStats(early, p);
    else late = addStats(late, p);
    seen += p.n;
  }
  const stats = addStats(early, late);
  const own = early.n >= MIN_HALF_FRAMES && late.n >= MIN_HALF_FRAMES ? divergence(early, late) : 0;
  return { stats, own };
}

/**
 * Merges speakers that differ by no more than their own variation, closest pair first (the
 * merged speaker may vary as much as the more variable of the two), never below `minSpeakers`.
 * Returns, for every input speaker, the index of the speaker it now belongs to.
 */
export function mergeWithinVariation(speakers: readonly SpeakerVariation[], minSpeakers = 1): number[] {
  const owner = speakers.map((_, i) => i);
  const alive = speakers.map((s) => ({ ...s }));
  const live = new Set(speakers.map((_, i) => i));
  const ratio = (i: number, j: number): number => {
    const allowed = Math.max(alive[i]!.own, alive[j]!.own);
    return allowed > 0 ? divergence(alive[i]!.stats, alive[j]!.stats) / allowed : Number.POSITIVE_INFINITY;
  };
  while (live.size > Math.max(1, minSpeakers)) {
    let best = Number.POSITIVE_INFINITY;
    let pair: [number, number] | undefined;
    const ids = [...live];
    for (let x = 0; x < ids.length; x++) {
      for (let y = x + 1; y < ids.length; y++) {
        const r = ratio(ids[x]!, ids[y]!);
        if (r < best) {
          best = r;
          pair = [ids[x]!, ids[y]!];
        }
      }
    }
    if (!pair || best > 1) break;
    const [keep, gone] = pair;
    alive[keep] = { stats: addStats(alive[keep]!.stats, alive[gone]!.stats), own: Math.max(alive[keep]!.own, alive[gone]!.own) };
    live.delete(gone);
    for (let i = 0; i < owner.length; i++) if (owner[i] === gone) owner[i] = keep;
  }
  return owner;
}
