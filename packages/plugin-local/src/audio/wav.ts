// Writes the chunks handed to the recogniser (16-bit PCM WAV, encoded by core) and evens out
// their loudness first.
import { writeFile } from 'node:fs/promises';
import { encodeWav } from '@spx/core/formats';

export async function writeWav(path: string, samples: Float32Array, sampleRate: number): Promise<void> {
  await writeFile(path, encodeWav(samples, sampleRate));
}

/** RMS level in dBFS of the loudest 50 ms blocks that together hold half the energy-bearing blocks (speech level). */
export function speechLevelDb(samples: Float32Array, sampleRate: number): number {
  const block = Math.max(1, Math.round(sampleRate * 0.05));
  const powers: number[] = [];
  for (let i = 0; i + block <= samples.length; i += block) {
    let s = 0;
    for (let j = i; j < i + block; j++) s += samples[j]! * samples[j]!;
    powers.push(s / block);
  }
  if (powers.length === 0) return -Infinity;
  powers.sort((a, b) => b - a);
  const top = powers.slice(0, Math.max(1, Math.ceil(powers.length / 2)));
  const mean = top.reduce((a, b) => a + b, 0) / top.length;
  return mean > 0 ? 10 * Math.log10(mean) : -Infinity;
}

export function peakDb(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]!));
  return peak > 0 ? 20 * Math.log10(peak) : -Infinity;
}

/**
 * Scales samples in place so the speech level is `targetDb` dBFS, never letting the peak
 * exceed `ceilingDb`. Returns the gain applied, dB. Silence (no level) is left alone.
 */
export function normalizeLevel(samples: Float32Array, sampleRate: number, targetDb: number, ceilingDb = -1): number {
  const level = speechLevelDb(samples, sampleRate);
  if (!Number.isFinite(level)) return 0;
  let gain = targetDb - level;
  gain = Math.min(gain, ceilingDb - peakDb(samples));
  const k = 10 ** (gain / 20);
  for (let i = 0; i < samples.length; i++) samples[i] = samples[i]! * k;
  return gain;
}
