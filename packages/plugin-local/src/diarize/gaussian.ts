// Sufficient statistics of a Gaussian (count, sum, sum of outer products). Two
// clusters' statistics add exactly, so a merged cluster's model needs no frames,
// and the statistics of a whole window fit in a checkpoint (d + d² numbers).

export interface GaussStats {
  n: number;
  /** Σx, length d. */
  sum: number[];
  /** Σxxᵀ, row-major d×d. */
  sq: number[];
}

export type CovarianceType = 'full' | 'diagonal';

export function emptyStats(d: number): GaussStats {
  return { n: 0, sum: new Array<number>(d).fill(0), sq: new Array<number>(d * d).fill(0) };
}

/** Adds frames (row-major, `d` values per frame) from `from` to `to` (frame indices). */
export function accumulate(stats: GaussStats, frames: ArrayLike<number>, d: number, from = 0, to = frames.length / d): GaussStats {
  const { sum, sq } = stats;
  for (let f = from; f < to; f++) {
    const o = f * d;
    for (let i = 0; i < d; i++) {
      const xi = frames[o + i]!;
      sum[i] = sum[i]! + xi;
      for (let j = i; j < d; j++) sq[i * d + j] = sq[i * d + j]! + xi * frames[o + j]!;
    }
    stats.n++;
  }
  // Mirror the upper triangle.
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) sq[j * d + i] = sq[i * d + j]!;
  return stats;
}

export function statsOf(frames: ArrayLike<number>, d: number, from?: number, to?: number): GaussStats {
  return accumulate(emptyStats(d), frames, d, from, to);
}

export function addStats(a: GaussStats, b: GaussStats): GaussStats {
  return { n: a.n + b.n, sum: a.sum.map((v, i) => v + b.sum[i]!), sq: a.sq.map((v, i) => v + b.sq[i]!) };
}

/** The same mean and covariance as if estimated from `n` frames (n ≤ stats.n). */
export function scaleStats(stats: GaussStats, n: number): GaussStats {
  if (stats.n <= n) return stats;
  const k = n / stats.n;
  return { n, sum: stats.sum.map((v) => v * k), sq: stats.sq.map((v) => v * k) };
}

export function mean(stats: GaussStats): number[] {
  return stats.sum.map((v) => v / stats.n);
}

/** Maximum-likelihood covariance plus `floor` on the diagonal. */
export function covariance(stats: GaussStats, floor = 1e-6, type: CovarianceType = 'full'): Float64Array {
  const d = stats.sum.length;
  const mu = mean(stats);
  const cov = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      if (type === 'diagonal' && i !== j) continue;
      cov[i * d + j] = stats.sq[i * d + j]! / stats.n - mu[i]! * mu[j]!;
    }
    cov[i * d + i] = cov[i * d + i]! + floor;
  }
  return cov;
}

/** Cholesky factor L (lower) of a symmetric positive-definite matrix; null if not PD. */
export function cholesky(a: Float64Array, d: number): Float64Array | null {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * d + j]!;
      for (let k = 0; k < j; k++) s -= l[i * d + k]! * l[j * d + k]!;
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * d + i] = Math.sqrt(s);
      } else {
        l[i * d + j] = s / l[j * d + j]!;
      }
    }
  }
  return l;
}

/** log|Σ| of a symmetric positive-definite matrix (raises the diagonal until it factors). */
export function logDet(a: Float64Array, d: number): number {
  let m = a;
  let jitter = 1e-9;
  for (let attempt = 0; attempt < 30; attempt++) {
    const l = cholesky(m, d);
    if (l) {
      let s = 0;
      for (let i = 0; i < d; i++) s += Math.log(l[i * d + i]!);
      return 2 * s;
    }
    m = Float64Array.from(a);
    for (let i = 0; i < d; i++) m[i * d + i] = m[i * d + i]! + jitter;
    jitter *= 10;
  }
  throw new RangeError('covariance matrix is not positive definite');
}

export interface BicOptions {
  /** Penalty weight λ (1 = the textbook BIC). */
  lambda: number;
  covariance: CovarianceType;
  /** Added to the covariance diagonal (variance floor). */
  floor: number;
}

export const BIC_DEFAULTS: BicOptions = { lambda: 1, covariance: 'full', floor: 1e-3 };

export function logDetOf(stats: GaussStats, options: BicOptions): number {
  return logDet(covariance(stats, options.floor, options.covariance), stats.sum.length);
}

/**
 * ΔBIC of modelling two sets with one Gaussian instead of two (Chen & Gopalakrishnan 1998):
 * ½[n·log|Σ| − n₁·log|Σ₁| − n₂·log|Σ₂|] − λ·½·P·log n. Negative: the same source is the better model.
 */
export function deltaBic(a: GaussStats, b: GaussStats, options: BicOptions = BIC_DEFAULTS, logDetA?: number, logDetB?: number): number {
  const d = a.sum.length;
  const n = a.n + b.n;
  const joint = addStats(a, b);
  const la = logDetA ?? logDetOf(a, options);
  const lb = logDetB ?? logDetOf(b, options);
  const params = options.covariance === 'full' ? d + (d * (d + 1)) / 2 : 2 * d;
  return 0.5 * (n * logDetOf(joint, options) - a.n * la - b.n * lb) - options.lambda * 0.5 * params * Math.log(n);
}

/** A Gaussian ready for scoring: mean, inverse covariance and log-determinant. */
export interface GaussModel {
  mean: number[];
  inverse: Float64Array;
  logDet: number;
}

export function modelOf(stats: GaussStats, options: BicOptions = BIC_DEFAULTS): GaussModel {
  const d = stats.sum.length;
  let floor = options.floor;
  let l = cholesky(covariance(stats, floor, options.covariance), d);
  while (!l && floor < 1e3) {
    floor *= 10;
    l = cholesky(covariance(stats, floor, options.covariance), d);
  }
  if (!l) throw new RangeError('covariance matrix is not positive definite');
  let logdet = 0;
  for (let i = 0; i < d; i++) logdet += 2 * Math.log(l[i * d + i]!);
  return { mean: mean(stats), inverse: invertFromCholesky(l, d), logDet: logdet };
}

/** Mean log-likelihood per frame of the frames summarised by `x` under `model`. */
export function scoreStats(x: GaussStats, model: GaussModel): number {
  const d = model.mean.length;
  const mu = model.mean;
  // Σ (xᵢ−μ)ᵀΣ⁻¹(xᵢ−μ) = tr(Σ⁻¹S), S = Σxxᵀ − Σx·μᵀ − μ·Σxᵀ + n·μμᵀ.
  let trace = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const s = x.sq[j * d + i]! - x.sum[j]! * mu[i]! - mu[j]! * x.sum[i]! + x.n * mu[j]! * mu[i]!;
      trace += model.inverse[i * d + j]! * s;
    }
  }
  return -0.5 * (d * Math.log(2 * Math.PI) + model.logDet + trace / x.n);
}

/** Mean log-likelihood per frame of the frames summarised by `x` under the Gaussian of `model`. */
export function meanLogLikelihood(x: GaussStats, model: GaussStats, options: BicOptions = BIC_DEFAULTS): number {
  return scoreStats(x, modelOf(model, options));
}

function invertFromCholesky(l: Float64Array, d: number): Float64Array {
  // L⁻¹ by forward substitution, then Σ⁻¹ = L⁻ᵀ·L⁻¹.
  const li = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let i = 0; i < d; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= l[i * d + k]! * li[k * d + c]!;
      li[i * d + c] = s / l[i * d + i]!;
    }
  }
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += li[k * d + i]! * li[k * d + j]!;
      inv[i * d + j] = s;
    }
  }
  return inv;
}
