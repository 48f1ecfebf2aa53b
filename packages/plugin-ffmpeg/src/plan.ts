// planChunks: a pure function that splits [0, duration] into pieces under a duration and/or
// byte limit, cutting inside the latest silence before each limit, else hard at the limit.
import { SpxError } from '@spx/core';
import type { Silence } from './silence.js';

export interface ChunkPlanOptions {
  /** Total length in seconds. */
  duration: number;
  /** Silent spans (from detectSilences), any order. */
  silences: readonly Silence[];
  /** Longest chunk in seconds (overlap included). */
  maxDuration?: number;
  /** Largest chunk file in bytes; needs bytesPerSecond. */
  maxBytes?: number;
  /** Encoded bytes per second of audio, to turn maxBytes into seconds. */
  bytesPerSecond?: number;
  /** Bytes reserved per chunk for container headers (default 4096). */
  headerBytes?: number;
  /** Seconds each chunk repeats from the end of the previous one (default 0). */
  overlap?: number;
  /** How far before the limit a silence may be, in seconds (default 30, at most half the limit). */
  searchWindow?: number;
}

export interface ChunkPlan {
  index: number;
  start: number;
  end: number;
}

const EPS = 1e-6;
/** Seconds of a silence that must lie inside the search window for a cut there. */
const MIN_USABLE = 0.2;
const floorMs = (n: number): number => Math.floor(n * 1000 + EPS) / 1000;
const ceilMs = (n: number): number => Math.ceil(n * 1000 - EPS) / 1000;

function invalid(message: string, hint: string): SpxError {
  return new SpxError('PARAMS_INVALID', message, { hint });
}

/** The longest chunk the options allow, in seconds (Infinity when unlimited). */
export function chunkLimit(options: Pick<ChunkPlanOptions, 'maxDuration' | 'maxBytes' | 'bytesPerSecond' | 'headerBytes'>): number {
  let limit = Number.POSITIVE_INFINITY;
  if (options.maxDuration !== undefined) {
    if (!(options.maxDuration > 0)) throw invalid(`maxDuration ${options.maxDuration} is not valid.`, 'Use a positive number of seconds.');
    limit = options.maxDuration;
  }
  if (options.maxBytes !== undefined) {
    if (!(options.bytesPerSecond && options.bytesPerSecond > 0)) throw invalid('maxBytes needs bytesPerSecond to turn bytes into seconds.', 'Pass bytesPerSecond (e.g. 32000 for 16 kHz mono 16-bit WAV).');
    const usable = options.maxBytes - (options.headerBytes ?? 4096);
    if (!(usable > 0)) throw invalid(`maxBytes ${options.maxBytes} leaves no room for audio.`, 'Use a larger maxBytes.');
    limit = Math.min(limit, usable / options.bytesPerSecond);
  }
  if (limit < 0.05) throw invalid(`Chunks limited to ${limit.toFixed(4)} s are too short.`, 'Raise maxDuration / maxBytes.');
  return limit;
}

export function planChunks(options: ChunkPlanOptions): ChunkPlan[] {
  const { duration } = options;
  if (!(Number.isFinite(duration) && duration > 0)) throw invalid(`Duration ${duration} is not valid.`, 'Probe the file first; its duration must be positive.');
  const limit = chunkLimit(options);
  const overlap = options.overlap ?? 0;
  if (!(overlap >= 0)) throw invalid(`Overlap ${overlap} s is not valid.`, 'Use a number of seconds >= 0.');
  if (limit !== Number.POSITIVE_INFINITY && overlap * 2 >= limit) throw invalid(`Overlap ${overlap} s is too long for chunks of at most ${limit.toFixed(3)} s.`, 'Use an overlap shorter than half the chunk limit.');
  if (duration <= limit) return [{ index: 0, start: 0, end: duration }];
  const window = Math.min(options.searchWindow ?? 30, limit / 2);
  if (!(window >= 0)) throw invalid(`searchWindow ${options.searchWindow} is not valid.`, 'Use a number of seconds >= 0.');
  const silences = [...options.silences].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);

  const chunks: ChunkPlan[] = [];
  let pos = 0; // where the previous chunk was cut
  for (let index = 0; ; index++) {
    const start = index === 0 ? 0 : Math.max(0, ceilMs(pos - overlap));
    const hard = start + limit;
    if (hard >= duration) {
      chunks.push({ index, start, end: duration });
      return chunks;
    }
    // Cuts must move forward by more than the overlap, so every chunk adds new audio.
    const lo = Math.max(hard - window, pos + overlap + 0.001);
    let cut: number | undefined;
    for (const silence of silences) {
      if (silence.start > hard) break;
      const a = Math.max(silence.start, lo);
      const b = Math.min(silence.end, hard);
      if (a > b) continue;
      // A silence that only grazes the window (e.g. starts just before the limit) would put the
      // cut right at the edge of speech: it needs MIN_USABLE seconds inside, or all of itself.
      if (b - a < Math.min(MIN_USABLE, silence.end - silence.start) - EPS) continue;
      const mid = floorMs((a + b) / 2);
      if (mid >= a - 0.0005 && mid > pos) cut = mid; // later silences win: nearest below the limit
    }
    cut ??= floorMs(hard);
    chunks.push({ index, start, end: cut });
    pos = cut;
  }
}
