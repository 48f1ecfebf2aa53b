// Mel-frequency cepstral coefficients (Davis & Mermelstein 1980, as in HTK/Kaldi):
// pre-emphasis → Hamming window → |FFT|² → triangular mel filterbank → log → DCT-II.
import { powerSpectrum } from './fft.js';

export interface MfccOptions {
  sampleRate: number;
  /** Analysis window, samples (25 ms at 16 kHz = 400). */
  frameLength: number;
  /** Frame step, samples (10 ms at 16 kHz = 160). */
  hop: number;
  fftSize: number;
  numFilters: number;
  /** Cepstra kept, c1..cN (c0, the log energy, is returned separately). */
  numCeps: number;
  lowHz: number;
  highHz: number;
  preEmphasis: number;
}

export const MFCC_DEFAULTS: MfccOptions = {
  sampleRate: 16000,
  frameLength: 400,
  hop: 160,
  fftSize: 512,
  numFilters: 24,
  numCeps: 13,
  lowHz: 60,
  highHz: 7600,
  preEmphasis: 0.97,
};

export const hzToMel = (hz: number): number => 2595 * Math.log10(1 + hz / 700);
export const melToHz = (mel: number): number => 700 * (10 ** (mel / 2595) - 1);

/** Triangular filters equally spaced on the mel scale; each row has fftSize/2+1 weights. */
export function melFilterbank(options: Pick<MfccOptions, 'sampleRate' | 'fftSize' | 'numFilters' | 'lowHz' | 'highHz'>): Float64Array[] {
  const { sampleRate, fftSize, numFilters, lowHz, highHz } = options;
  const bins = fftSize / 2 + 1;
  const lowMel = hzToMel(lowHz);
  const highMel = hzToMel(highHz);
  const edges = Array.from({ length: numFilters + 2 }, (_, i) => melToHz(lowMel + ((highMel - lowMel) * i) / (numFilters + 1)));
  const filters: Float64Array[] = [];
  for (let m = 0; m < numFilters; m++) {
    const [left, centre, right] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
    const row = new Float64Array(bins);
    for (let k = 0; k < bins; k++) {
      const hz = (k * sampleRate) / fftSize;
      if (hz > left && hz < right) row[k] = hz <= centre ? (hz - left) / (centre - left) : (right - hz) / (right - centre);
    }
    filters.push(row);
  }
  return filters;
}

/** Orthonormal DCT-II matrix rows 0..count-1 for inputs of length n. */
export function dctMatrix(count: number, n: number): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let k = 0; k < count; k++) {
    const row = new Float64Array(n);
    const scale = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
    for (let i = 0; i < n; i++) row[i] = scale * Math.cos((Math.PI * k * (i + 0.5)) / n);
    rows.push(row);
  }
  return rows;
}

export interface MfccResult {
  /** numFrames × numCeps, row-major. */
  ceps: Float64Array;
  /** c0 per frame (log filterbank energy, DCT-scaled). */
  energy: Float64Array;
  numFrames: number;
  numCeps: number;
}

/** Reusable extractor: filterbank, window and DCT are built once. */
export class MfccExtractor {
  readonly options: MfccOptions;
  private readonly filters: Float64Array[];
  private readonly window: Float64Array;
  private readonly dct: Float64Array[];

  constructor(options: Partial<MfccOptions> = {}) {
    this.options = { ...MFCC_DEFAULTS, ...options };
    const o = this.options;
    if (o.frameLength > o.fftSize) throw new RangeError(`frameLength ${o.frameLength} exceeds fftSize ${o.fftSize}`);
    this.filters = melFilterbank(o);
    this.window = Float64Array.from({ length: o.frameLength }, (_, i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (o.frameLength - 1)));
    this.dct = dctMatrix(o.numCeps + 1, o.numFilters);
  }

  /** Number of whole frames in `length` samples. */
  frameCount(length: number): number {
    const { frameLength, hop } = this.options;
    return length < frameLength ? 0 : Math.floor((length - frameLength) / hop) + 1;
  }

  /** MFCCs of every whole frame of `samples` (floats in −1..1). */
  compute(samples: ArrayLike<number>): MfccResult {
    const o = this.options;
    const numFrames = this.frameCount(samples.length);
    const ceps = new Float64Array(numFrames * o.numCeps);
    const energy = new Float64Array(numFrames);
    const frame = new Float64Array(o.frameLength);
    const spectrum = new Float64Array(o.fftSize / 2 + 1);
    const logMel = new Float64Array(o.numFilters);
    for (let f = 0; f < numFrames; f++) {
      const offset = f * o.hop;
      let mean = 0;
      for (let i = 0; i < o.frameLength; i++) mean += samples[offset + i]!;
      mean /= o.frameLength;
      // DC removal, pre-emphasis (first sample uses itself as predecessor), window.
      let prev = samples[offset]! - mean;
      for (let i = 0; i < o.frameLength; i++) {
        const x = samples[offset + i]! - mean;
        frame[i] = (x - o.preEmphasis * prev) * this.window[i]!;
        prev = x;
      }
      powerSpectrum(frame, o.fftSize, spectrum);
      for (let m = 0; m < o.numFilters; m++) {
        const row = this.filters[m]!;
        let sum = 0;
        for (let k = 0; k < row.length; k++) sum += row[k]! * spectrum[k]!;
        logMel[m] = Math.log(Math.max(sum, 1e-10));
      }
      for (let c = 0; c <= o.numCeps; c++) {
        const row = this.dct[c]!;
        let sum = 0;
        for (let m = 0; m < o.numFilters; m++) sum += row[m]! * logMel[m]!;
        if (c === 0) energy[f] = sum;
        else ceps[f * o.numCeps + c - 1] = sum;
      }
    }
    return { ceps, energy, numFrames, numCeps: o.numCeps };
  }
}
