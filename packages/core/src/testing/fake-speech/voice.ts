// Signal features fake speech APIs use to make plausible outputs from 16-bit PCM WAV:
// speech regions by frame energy, a median pitch per region by autocorrelation, and a 1-D
// k-means over log pitch to group regions into speakers. Good enough to tell synthetic
// voices apart (espeak-ng male vs female); not a diarization model.

export interface Region {
  start: number;
  end: number;
  /** Median F0 in Hz of the region's voiced frames, when it has any. */
  f0?: number;
}

export interface Pcm {
  /** Mono samples in -1..1. */
  samples: Float32Array;
  rate: number;
}

/** Mono PCM from 16-bit interleaved little-endian samples (decimated to ~8 kHz). */
export function decodePcm16(data: Buffer, offset: number, bytes: number, sampleRate: number, channels: number): Pcm {
  const stride = 2 * channels;
  const total = Math.floor(Math.min(bytes, data.length - offset) / stride);
  const step = Math.max(1, Math.floor(sampleRate / 8000));
  const samples = new Float32Array(Math.floor(total / step));
  for (let i = 0, j = 0; j < samples.length; i += step, j++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += data.readInt16LE(offset + i * stride + c * 2);
    samples[j] = sum / channels / 32768;
  }
  return { samples, rate: sampleRate / step };
}

/** Speech regions by energy: 20 ms frames, gaps under `mergeGap` s joined, regions under 0.2 s dropped. */
export function speechRegions(pcm: Pcm, mergeGap = 0.35): Region[] {
  const frame = Math.max(1, Math.round(pcm.rate * 0.02));
  const energies: number[] = [];
  for (let start = 0; start + frame <= pcm.samples.length; start += frame) {
    let sum = 0;
    for (let i = start; i < start + frame; i++) sum += pcm.samples[i]! * pcm.samples[i]!;
    energies.push(Math.sqrt(sum / frame));
  }
  const peak = energies.reduce((a, b) => Math.max(a, b), 0);
  if (peak < 0.003) return [];
  const threshold = peak * 0.06;
  const raw: Region[] = [];
  let open = -1;
  energies.forEach((e, i) => {
    if (e >= threshold && open < 0) open = i;
    if ((e < threshold || i === energies.length - 1) && open >= 0) {
      raw.push({ start: open * 0.02, end: (e < threshold ? i : i + 1) * 0.02 });
      open = -1;
    }
  });
  const merged: Region[] = [];
  for (const region of raw) {
    const last = merged[merged.length - 1];
    if (last && region.start - last.end < mergeGap) last.end = region.end;
    else merged.push({ ...region });
  }
  return merged.filter((r) => r.end - r.start >= 0.2).map((r) => ({ start: round2(r.start), end: round2(r.end) }));
}

/** Median F0 (Hz, 70–400) of the voiced 32 ms frames between start and end (s), hop 30 ms. */
export function medianPitch(pcm: Pcm, start: number, end: number): number | undefined {
  const win = Math.round(pcm.rate * 0.032);
  const hop = Math.round(pcm.rate * 0.03);
  const minLag = Math.max(2, Math.floor(pcm.rate / 400));
  const maxLag = Math.ceil(pcm.rate / 70);
  const from = Math.max(0, Math.floor(start * pcm.rate));
  const to = Math.min(pcm.samples.length - win - maxLag, Math.floor(end * pcm.rate));
  const pitches: number[] = [];
  const x = pcm.samples;
  for (let s = from; s < to; s += hop) {
    let energy = 0;
    for (let i = s; i < s + win; i++) energy += x[i]! * x[i]!;
    if (energy / win < 1e-5) continue;
    const scores = new Float64Array(maxLag + 1);
    let best = 0;
    for (let lag = minLag; lag <= maxLag; lag++) {
      let num = 0;
      let e2 = 0;
      for (let i = s; i < s + win; i++) {
        num += x[i]! * x[i + lag]!;
        e2 += x[i + lag]! * x[i + lag]!;
      }
      const r = num / Math.sqrt(energy * e2 + 1e-12);
      scores[lag] = r;
      if (r > best) best = r;
    }
    if (best < 0.5) continue;
    // The shortest lag close to the best avoids sub-harmonic (octave-down) picks.
    let lag = minLag;
    while (lag < maxLag && scores[lag]! < best * 0.9) lag++;
    pitches.push(pcm.rate / lag);
  }
  if (pitches.length === 0) return undefined;
  pitches.sort((a, b) => a - b);
  return round2(pitches[Math.floor(pitches.length / 2)]!);
}

/** Cluster index (0-based, numbered by first appearance) for each region, `k` clusters over log2 pitch. */
export function clusterByPitch(regions: Region[], k: number): number[] {
  const voiced = regions.map((r) => (r.f0 ? Math.log2(r.f0) : undefined));
  const values = voiced.filter((v): v is number => v !== undefined);
  if (values.length === 0 || k <= 1) return regions.map(() => 0);
  const sorted = [...values].sort((a, b) => a - b);
  const clusters = Math.min(k, values.length);
  let centers = Array.from({ length: clusters }, (_, i) => sorted[Math.min(sorted.length - 1, Math.floor(((i + 0.5) * sorted.length) / clusters))]!);
  const nearest = (v: number) => centers.reduce((best, c, i) => (Math.abs(v - c) < Math.abs(v - centers[best]!) ? i : best), 0);
  for (let iter = 0; iter < 20; iter++) {
    const sums = centers.map(() => 0);
    const counts = centers.map(() => 0);
    for (const v of values) {
      const c = nearest(v);
      sums[c] = sums[c]! + v;
      counts[c] = counts[c]! + 1;
    }
    const next = centers.map((c, i) => (counts[i] ? sums[i]! / counts[i]! : c));
    if (next.every((c, i) => c === centers[i])) break;
    centers = next;
  }
  const raw: number[] = [];
  let previous = 0;
  for (const v of voiced) {
    const c = v === undefined ? previous : nearest(v);
    raw.push(c);
    previous = c;
  }
  // Renumber by first appearance.
  const order = new Map<number, number>();
  return raw.map((c) => {
    if (!order.has(c)) order.set(c, order.size);
    return order.get(c)!;
  });
}

/** Similarity 0..100 of two voices by pitch: ~100 for the same voice, ~0 an octave apart. */
export function pitchSimilarity(a: number, b: number): number {
  const distance = Math.abs(Math.log2(a / b));
  return Math.round(97 * Math.exp(-((distance / 0.15) ** 2)));
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
