// Offline speaker diarization, classical and windowed:
//  1. per window (default 300 s) decode PCM once, MFCCs (c1..c13) over the speech regions;
//  2. speaker-change detection (ΔBIC) inside each region, pieces of at most `pieceSeconds`;
//  3. agglomerative clustering of the pieces with the ΔBIC criterion (full-covariance Gaussians);
//     pieces too short to model are given to the cluster under which they are most likely;
//  4. the windows' clusters (sufficient statistics, exact to merge) are clustered again
//     across the whole recording to link speakers between windows, honouring numSpeakers /
//     minSpeakers / maxSpeakers there.
// Memory: one window of PCM + MFCCs, and O(pieces²) per window; the linking step holds only
// the statistics of each window's clusters.
import { diarizationDocument, type Diarization, type Memo, type SpeakerTurn } from '@spx/core';
import type { Env } from '@spx/plugin-ffmpeg';
import { readPcm } from '../audio/pcm.js';
import { MfccExtractor } from '../dsp/mfcc.js';
import type { SpeechSegments, WorkHooks } from '../vad/detect.js';
import type { Region } from '../vad/regions.js';
import { detectChanges, PrefixStats } from './change.js';
import { clusterBic, type SpeakerCountConstraints } from './cluster.js';
import { addStats, BIC_DEFAULTS, emptyStats, meanLogLikelihood, type BicOptions, type CovarianceType, type GaussStats } from './gaussian.js';
import { mergeWithinVariation, speakerVariation } from './variation.js';

export interface DiarizeOptions extends SpeakerCountConstraints {
  windowSeconds: number;
  /** Longest piece clustered as one unit, seconds. */
  pieceSeconds: number;
  /** Pieces shorter than this are not clustered but assigned afterwards, seconds. */
  minPieceSeconds: number;
  /** ΔBIC penalty weight for clustering. */
  lambda: number;
  /** ΔBIC penalty weight for change detection. */
  changeLambda: number;
  covariance: CovarianceType;
  /** Detect speaker changes inside speech regions. */
  changeDetection: boolean;
  /** Same-speaker turns closer than this are joined, seconds. */
  mergeGap: number;
  /** Cross-window linking compares clusters as if each held at most this many seconds. */
  linkCapSeconds: number;
  /** Speakers holding less than this share of all speech are folded into the most likely other speaker. */
  minSpeakerShare: number;
}

export const DIARIZE_DEFAULTS: DiarizeOptions = {
  windowSeconds: 60,
  pieceSeconds: 3,
  minPieceSeconds: 0.6,
  lambda: 2.5,
  changeLambda: 3,
  covariance: 'full',
  changeDetection: true,
  mergeGap: 0.3,
  linkCapSeconds: 60,
  minSpeakerShare: 0.05,
};

const FRAME_HOP = 0.01;

interface Piece {
  start: number;
  end: number;
  /** Cluster within the window. */
  label: number;
}

/** What one window contributes; stored as its checkpoint. */
export interface WindowResult {
  pieces: Piece[];
  clusters: GaussStats[];
  /** Per cluster, the statistics of its earlier and later half (by time): how much that voice varies. */
  halves?: Array<[GaussStats, GaussStats]>;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Clusters the speech regions of one window (absolute times). */
export async function diarizeWindow(input: string, start: number, end: number, regions: readonly Region[], options: DiarizeOptions, signal: AbortSignal | undefined, env: Env): Promise<WindowResult> {
  if (regions.length === 0) return { pieces: [], clusters: [], halves: [] };
  const from = Math.max(start, regions[0]!.start);
  const to = Math.min(end, regions.at(-1)!.end);
  const pcm = await readPcm({ input, start: from, duration: to - from, signal, env });
  const mfcc = new MfccExtractor();
  const features = mfcc.compute(pcm);
  const d = features.numCeps;
  const bic: BicOptions = { ...BIC_DEFAULTS, lambda: options.lambda, covariance: options.covariance };
  const changeBic: BicOptions = { ...bic, lambda: options.changeLambda };
  const frameOf = (t: number): number => Math.max(0, Math.min(features.numFrames, Math.round((t - from) / FRAME_HOP)));
  const timeOf = (f: number): number => round3(from + f * FRAME_HOP);
  const minFrames = Math.round(options.minPieceSeconds / FRAME_HOP);
  const maxFrames = Math.max(minFrames, Math.round(options.pieceSeconds / FRAME_HOP));

  const spans: Array<{ a: number; b: number; stats: GaussStats }> = [];
  for (const region of regions) {
    const a = frameOf(Math.max(region.start, from));
    const b = frameOf(Math.min(region.end, to));
    if (b - a < 1) continue;
    const slice = features.ceps.subarray(a * d, b * d);
    const prefix = new PrefixStats(slice, d, b - a);
    const cuts = options.changeDetection ? detectChanges(prefix, { window: 100, step: 5, minSegment: Math.max(50, minFrames), bic: changeBic }) : [];
    const bounds = [0, ...cuts, b - a];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const s = bounds[i]!;
      const e = bounds[i + 1]!;
      const parts = Math.max(1, Math.ceil((e - s) / maxFrames));
      for (let p = 0; p < parts; p++) {
        const ps = s + Math.round(((e - s) * p) / parts);
        const pe = s + Math.round(((e - s) * (p + 1)) / parts);
        if (pe > ps) spans.push({ a: a + ps, b: a + pe, stats: prefix.range(ps, pe) });
      }
    }
    signal?.throwIfAborted();
  }
  const long = spans.filter((s) => s.b - s.a >= minFrames);
  const items = long.length > 0 ? long : spans;
  // A window may hold fewer speakers than the recording, so it is never merged below the wanted
  // count: spare clusters are merged away when windows are linked, missing ones cannot be made.
  const local: SpeakerCountConstraints = { minSpeakers: options.numSpeakers ?? options.minSpeakers, maxSpeakers: options.numSpeakers ?? options.maxSpeakers };
  const result = clusterBic(items.map((s) => s.stats), { ...local, bic, capFrames: Math.round(options.linkCapSeconds / FRAME_HOP) });
  const labelOf = new Map(items.map((s, i) => [s, result.labels[i]!]));
  const pieces: Piece[] = spans.map((s) => {
    let label = labelOf.get(s);
    if (label === undefined) {
      let best = -Infinity;
      result.clusters.forEach((c, k) => {
        const ll = meanLogLikelihood(s.stats, c, bic);
        if (ll > best) {
          best = ll;
          label = k;
        }
      });
    }
    return { start: timeOf(s.a), end: timeOf(s.b), label: label ?? 0 };
  });
  return { pieces, clusters: result.clusters, halves: halvesOf(items.map((s) => s.stats), result.labels, result.clusters) };
}

/** Each cluster's items (in time order) split where half its frames are reached. */
function halvesOf(items: readonly GaussStats[], labels: readonly number[], clusters: readonly GaussStats[]): Array<[GaussStats, GaussStats]> {
  const d = clusters[0]?.sum.length ?? 0;
  const halves = clusters.map((): [GaussStats, GaussStats] => [emptyStats(d), emptyStats(d)]);
  const seen = clusters.map(() => 0);
  items.forEach((item, i) => {
    const k = labels[i]!;
    const half = seen[k]! + item.n / 2 <= clusters[k]!.n / 2 ? 0 : 1;
    halves[k]![half] = addStats(halves[k]![half], item);
    seen[k] = seen[k]! + item.n;
  });
  return halves;
}

/** Diarizes the whole recording window by window and links speakers across windows. */
export async function diarizeSpeech(input: string, speech: SpeechSegments, options: DiarizeOptions, hooks: WorkHooks): Promise<Diarization> {
  const step: Memo = hooks.step ?? (<T,>(_key: string, fn: () => Promise<T>) => fn());
  const windows = Math.max(1, Math.ceil(speech.duration / options.windowSeconds));
  const results: WindowResult[] = [];
  for (let w = 0; w < windows; w++) {
    const start = w * options.windowSeconds;
    const end = w === windows - 1 ? speech.duration : (w + 1) * options.windowSeconds;
    // A region belongs to the window holding its start; the window reads to that region's end.
    const regions = speech.speech.filter((r) => r.start >= start && (r.start < end || (w === windows - 1 && r.start <= end)));
    const readEnd = Math.max(end, regions.at(-1)?.end ?? end);
    const value = await step(`diarize-window-${w}`, () => diarizeWindow(input, start, readEnd, regions, options, hooks.signal, hooks.env));
    results.push(value);
    hooks.progress?.(w + 1, windows, `diarization window ${w + 1}/${windows}`);
  }
  return linkWindows(results, options, speech.duration);
}

/** Links window clusters into recording-wide speakers and builds the turns. */
export function linkWindows(results: readonly WindowResult[], options: DiarizeOptions, duration: number): Diarization {
  const items: GaussStats[] = [];
  const owner: Array<[number, number]> = [];
  results.forEach((r, w) => r.clusters.forEach((c, k) => {
    items.push(c);
    owner.push([w, k]);
  }));
  const linked = clusterBic(items, {
    numSpeakers: options.numSpeakers,
    minSpeakers: options.minSpeakers,
    maxSpeakers: options.maxSpeakers,
    bic: { ...BIC_DEFAULTS, lambda: options.lambda, covariance: options.covariance },
    capFrames: Math.round(options.linkCapSeconds / FRAME_HOP),
  });
  const folded = foldSmallSpeakers(items, linked.labels, linked.clusters, options);
  const labels = options.numSpeakers === undefined ? mergeSameVoice(results, folded, options.minSpeakers) : folded;
  const globalOf = new Map<string, number>();
  owner.forEach(([w, k], i) => globalOf.set(`${w}:${k}`, labels[i]!));
  const raw: Array<{ start: number; end: number; g: number }> = [];
  results.forEach((r, w) => r.pieces.forEach((p) => raw.push({ start: p.start, end: p.end, g: globalOf.get(`${w}:${p.label}`) ?? 0 })));
  raw.sort((a, b) => a.start - b.start);
  // Join same-speaker neighbours across short gaps.
  const joined: Array<{ start: number; end: number; g: number }> = [];
  for (const p of raw) {
    const last = joined.at(-1);
    if (last && last.g === p.g && p.start - last.end <= options.mergeGap) last.end = Math.max(last.end, p.end);
    else joined.push({ ...p });
  }
  // Labels in order of first appearance.
  const order = new Map<number, string>();
  for (const p of joined) if (!order.has(p.g)) order.set(p.g, `SPEAKER_${String(order.size).padStart(2, '0')}`);
  const turns: SpeakerTurn[] = joined.map((p) => ({ speaker: order.get(p.g)!, start: round3(p.start), end: round3(p.end) }));
  return diarizationDocument({ engine: 'local/mfcc-bic', model: 'mfcc13-ahc-bic', turns, exclusiveTurns: turns.map((t) => ({ ...t })), speakers: [...order.values()], duration });
}

/**
 * Merges speakers that differ no more than each varies within itself (see variation.ts). The
 * parts of a speaker, in time order, are the halves of its window clusters.
 */
function mergeSameVoice(results: readonly WindowResult[], labels: readonly number[], minSpeakers?: number): number[] {
  const parts = new Map<number, GaussStats[]>();
  let i = 0;
  for (const r of results) {
    r.clusters.forEach((c, k) => {
      const label = labels[i++]!;
      const list = parts.get(label) ?? [];
      list.push(...(r.halves?.[k] ?? [c]));
      parts.set(label, list);
    });
  }
  const ids = [...parts.keys()];
  const owner = mergeWithinVariation(ids.map((id) => speakerVariation({ parts: parts.get(id)! })), minSpeakers);
  const to = new Map(ids.map((id, k) => [id, ids[owner[k]!]!]));
  return labels.map((l) => to.get(l) ?? l);
}

/**
 * Folds speakers with less than `minSpeakerShare` of the speech into the speaker under whose
 * model their frames are most likely (smallest first), keeping at least the minimum count.
 * Greedy ΔBIC merging tends to leave such fragments: a few seconds of one person's speech
 * that are phonetically narrower than that person's whole model.
 */
export function foldSmallSpeakers(items: readonly GaussStats[], labels: readonly number[], clusters: readonly GaussStats[], options: DiarizeOptions): number[] {
  const out = [...labels];
  if (options.numSpeakers !== undefined) return out;
  const keepAtLeast = Math.max(1, options.minSpeakers ?? 1);
  const bic: BicOptions = { ...BIC_DEFAULTS, lambda: options.lambda, covariance: options.covariance };
  const total = clusters.reduce((a, c) => a + c.n, 0);
  const alive = new Set(clusters.map((_, k) => k));
  const bySize = [...alive].sort((a, b) => clusters[a]!.n - clusters[b]!.n);
  for (const k of bySize) {
    if (alive.size <= keepAtLeast || clusters[k]!.n >= options.minSpeakerShare * total) break;
    let best = -1;
    let bestScore = -Infinity;
    for (const other of alive) {
      if (other === k) continue;
      const score = meanLogLikelihood(clusters[k]!, clusters[other]!, bic);
      if (score > bestScore) {
        bestScore = score;
        best = other;
      }
    }
    if (best < 0) break;
    alive.delete(k);
    for (let i = 0; i < out.length; i++) if (out[i] === k) out[i] = best;
  }
  return out;
}

