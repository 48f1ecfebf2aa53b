// Turns per-frame speech probabilities into speech regions: the hysteresis rule of Silero's
// get_speech_timestamps (start at ≥ threshold, end after minSilence below negThreshold, drop
// regions shorter than minSpeech, pad both ends), plus a cap on region length that splits an
// over-long region at its least speech-like frame, never at a fixed time.

export interface Region {
  start: number;
  end: number;
}

export interface RegionOptions {
  /** Seconds per probability frame (512 samples at 16 kHz = 0.032). */
  frameSeconds: number;
  threshold: number;
  /** Default threshold − 0.15. */
  negThreshold?: number;
  minSpeechSeconds: number;
  minSilenceSeconds: number;
  padSeconds: number;
  /** Regions longer than this are split at their lowest-probability frame. */
  maxSpeechSeconds: number;
}

export const REGION_DEFAULTS: RegionOptions = {
  frameSeconds: 512 / 16000,
  threshold: 0.5,
  minSpeechSeconds: 0.25,
  minSilenceSeconds: 0.1,
  padSeconds: 0.03,
  maxSpeechSeconds: 30,
};

/** Speech regions in seconds relative to the first frame, for `probs` covering `totalSeconds`. */
export function speechRegions(probs: ArrayLike<number>, totalSeconds: number, options: Partial<RegionOptions> = {}): Region[] {
  const o = { ...REGION_DEFAULTS, ...options };
  const neg = o.negThreshold ?? Math.max(o.threshold - 0.15, 0.01);
  const fs = o.frameSeconds;
  const frames: Array<[number, number]> = [];
  let triggered = false;
  let start = 0;
  let tempEnd = -1;
  for (let f = 0; f < probs.length; f++) {
    const p = probs[f]!;
    if (p >= o.threshold && tempEnd >= 0) tempEnd = -1;
    if (p >= o.threshold && !triggered) {
      triggered = true;
      start = f;
      continue;
    }
    if (p < neg && triggered) {
      if (tempEnd < 0) tempEnd = f;
      if ((f - tempEnd) * fs < o.minSilenceSeconds) continue;
      if ((tempEnd - start) * fs >= o.minSpeechSeconds) frames.push([start, tempEnd]);
      triggered = false;
      tempEnd = -1;
    }
  }
  if (triggered && (probs.length - start) * fs >= o.minSpeechSeconds) frames.push([start, probs.length]);

  // Split over-long regions at the least speech-like frame of their middle half, recursively.
  const split = (a: number, b: number, out: Array<[number, number]>): void => {
    if ((b - a) * fs <= o.maxSpeechSeconds || b - a < 4) {
      out.push([a, b]);
      return;
    }
    const from = a + Math.floor((b - a) / 4);
    const to = b - Math.floor((b - a) / 4);
    let cut = from;
    for (let f = from; f < to; f++) if (probs[f]! < probs[cut]!) cut = f;
    split(a, cut, out);
    split(cut, b, out);
  };
  const bounded: Array<[number, number]> = [];
  for (const [a, b] of frames) split(a, b, bounded);

  // Pad into the pause on each side; a pause shorter than two pads is shared half and half.
  const regions: Region[] = [];
  for (let i = 0; i < bounded.length; i++) {
    const [a, b] = bounded[i]!;
    const before = i === 0 ? a * fs : (a - bounded[i - 1]![1]) * fs / 2;
    const after = i === bounded.length - 1 ? totalSeconds - b * fs : (bounded[i + 1]![0] - b) * fs / 2;
    regions.push({ start: Math.max(0, a * fs - Math.min(o.padSeconds, before)), end: Math.min(totalSeconds, b * fs + Math.min(o.padSeconds, Math.max(0, after))) });
  }
  return regions;
}

/** Joins regions that touch across a window boundary when the result stays within maxSeconds. */
export function joinAcross(regions: readonly Region[], maxGap: number, maxSeconds: number): Region[] {
  const out: Region[] = [];
  for (const r of regions) {
    const last = out.at(-1);
    if (last && r.start - last.end <= maxGap && r.end - last.start <= maxSeconds) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
