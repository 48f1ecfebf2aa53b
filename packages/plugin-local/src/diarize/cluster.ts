// Agglomerative hierarchical clustering of Gaussian-modelled items with the ΔBIC merge
// criterion: repeatedly merge the pair with the lowest ΔBIC; stop when every pair's ΔBIC is
// positive (two models fit better than one), bounded by the speaker-count constraints.
import { addStats, deltaBic, emptyStats, logDetOf, modelOf, scaleStats, scoreStats, BIC_DEFAULTS, type BicOptions, type GaussStats } from './gaussian.js';

export interface SpeakerCountConstraints {
  /** Exact number of clusters wanted (overrides the criterion). */
  numSpeakers?: number;
  minSpeakers?: number;
  maxSpeakers?: number;
}

export interface ClusterOptions extends SpeakerCountConstraints {
  bic?: Partial<BicOptions>;
  /** Compare clusters as if each held at most this many frames (keeps long clusters comparable). */
  capFrames?: number;
  /** Rounds of reassigning items to their most likely cluster, each followed by more merging. */
  refine?: number;
}

export interface ClusterResult {
  /** Cluster index (0..k-1, ordered by first item) of each input item. */
  labels: number[];
  /** Statistics of each resulting cluster. */
  clusters: GaussStats[];
  /** ΔBIC of each merge made, in order. */
  merges: number[];
}

/**
 * Clusters `items`, then refines: every item moves to the cluster under whose Gaussian its
 * frames are most likely, emptied clusters vanish and the survivors are merged again by ΔBIC
 * (this absorbs the small, phonetically narrow clusters greedy merging leaves behind).
 */
export function clusterBic(items: readonly GaussStats[], options: ClusterOptions = {}): ClusterResult {
  let result = agglomerate(items, options);
  const bic: BicOptions = { ...BIC_DEFAULTS, ...options.bic };
  const d = items[0]?.sum.length ?? 0;
  const minK = Math.max(1, options.numSpeakers ?? options.minSpeakers ?? 1);
  for (let round = 0; round < (options.refine ?? 3) && result.clusters.length > minK; round++) {
    const models = result.clusters.map((c) => modelOf(c, bic));
    const labels = items.map((item) => {
      let best = 0;
      let bestScore = -Infinity;
      models.forEach((m, k) => {
        const score = scoreStats(item, m);
        if (score > bestScore) {
          bestScore = score;
          best = k;
        }
      });
      return best;
    });
    const used = [...new Set(labels)].sort((a, b) => a - b);
    if (used.length < minK) break;
    const clusters = used.map(() => emptyStats(d));
    const members: number[][] = used.map(() => []);
    labels.forEach((label, i) => {
      const k = used.indexOf(label);
      clusters[k] = addStats(clusters[k]!, items[i]!);
      members[k]!.push(i);
    });
    const merged = agglomerate(clusters, options);
    const next = items.map((_, i) => merged.labels[used.indexOf(labels[i]!)]!);
    const changed = next.some((l, i) => l !== result.labels[i]);
    result = { labels: next, clusters: merged.clusters, merges: [...result.merges, ...merged.merges] };
    if (!changed) break;
  }
  return relabel(items, result);
}

/** Labels ordered by first item; cluster statistics rebuilt from the items. */
function relabel(items: readonly GaussStats[], result: ClusterResult): ClusterResult {
  const order = new Map<number, number>();
  for (const l of result.labels) if (!order.has(l)) order.set(l, order.size);
  const labels = result.labels.map((l) => order.get(l)!);
  const d = items[0]?.sum.length ?? 0;
  const clusters = Array.from({ length: order.size }, () => emptyStats(d));
  labels.forEach((l, i) => (clusters[l] = addStats(clusters[l]!, items[i]!)));
  return { labels, clusters, merges: result.merges };
}

/** Greedy ΔBIC merging; memory is O(n²) for n items, so callers bound n (per window). */
function agglomerate(items: readonly GaussStats[], options: ClusterOptions = {}): ClusterResult {
  const bic: BicOptions = { ...BIC_DEFAULTS, ...options.bic };
  const n = items.length;
  if (n === 0) return { labels: [], clusters: [], merges: [] };
  const minK = Math.max(1, options.numSpeakers ?? options.minSpeakers ?? 1);
  const maxK = Math.max(minK, options.numSpeakers ?? options.maxSpeakers ?? Number.POSITIVE_INFINITY);
  const cap = options.capFrames ?? Number.POSITIVE_INFINITY;
  const view = (s: GaussStats): GaussStats => scaleStats(s, cap);

  const stats: (GaussStats | null)[] = items.map((s) => ({ n: s.n, sum: [...s.sum], sq: [...s.sq] }));
  const logDets = stats.map((s) => logDetOf(view(s!), bic));
  const members: number[][] = items.map((_, i) => [i]);
  const dist = new Float64Array(n * n).fill(Number.POSITIVE_INFINITY);
  const pair = (i: number, j: number): number => deltaBic(view(stats[i]!), view(stats[j]!), bic, logDets[i], logDets[j]);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) dist[i * n + j] = pair(i, j);

  let count = n;
  const merges: number[] = [];
  while (count > minK) {
    let best = Number.POSITIVE_INFINITY;
    let bi = -1;
    let bj = -1;
    for (let i = 0; i < n; i++) {
      if (!stats[i]) continue;
      for (let j = i + 1; j < n; j++) {
        const v = dist[i * n + j]!;
        if (stats[j] && v < best) {
          best = v;
          bi = i;
          bj = j;
        }
      }
    }
    if (bi < 0) break;
    if (best > 0 && count <= maxK) break;
    stats[bi] = addStats(stats[bi]!, stats[bj]!);
    stats[bj] = null;
    members[bi]!.push(...members[bj]!);
    members[bj] = [];
    logDets[bi] = logDetOf(view(stats[bi]!), bic);
    for (let k = 0; k < n; k++) {
      if (k === bi || !stats[k]) continue;
      const v = pair(Math.min(bi, k), Math.max(bi, k));
      dist[Math.min(bi, k) * n + Math.max(bi, k)] = v;
    }
    merges.push(best);
    count--;
  }

  const alive = stats.map((s, i) => (s ? i : -1)).filter((i) => i >= 0);
  alive.sort((a, b) => Math.min(...members[a]!) - Math.min(...members[b]!));
  const labels = new Array<number>(n).fill(-1);
  alive.forEach((c, label) => {
    for (const m of members[c]!) labels[m] = label;
  });
  return { labels, clusters: alive.map((c) => stats[c]!), merges };
}

