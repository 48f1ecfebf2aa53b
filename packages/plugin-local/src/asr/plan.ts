// Groups speech regions into recognition chunks that start and end inside pauses, so the
// recogniser never sees a cut word: a chunk is a run of whole regions no longer than
// maxSeconds (a single longer region — already split by the VAD at its quietest frame —
// forms its own chunk), padded into the neighbouring pause by at most `pad` seconds (neighbours may share a
// pause; it holds no detected speech, so no word is recognised twice).
import type { Region } from '../vad/regions.js';

export interface Chunk {
  index: number;
  start: number;
  end: number;
  /** Speech regions inside the chunk. */
  regions: number;
}

export function planRecognitionChunks(speech: readonly Region[], duration: number, maxSeconds: number, pad = 0.3): Chunk[] {
  const groups: Region[][] = [];
  for (const r of speech) {
    const group = groups.at(-1);
    if (group && r.end - group[0]!.start <= maxSeconds) group.push(r);
    else groups.push([r]);
  }
  return groups.map((group, index) => {
    const first = group[0]!;
    const last = group.at(-1)!;
    const prevEnd = index === 0 ? 0 : groups[index - 1]!.at(-1)!.end;
    const nextStart = index === groups.length - 1 ? duration : groups[index + 1]![0]!.start;
    const start = Math.max(0, first.start - Math.min(pad, first.start - prevEnd));
    const end = Math.min(duration, last.end + Math.min(pad, nextStart - last.end));
    return { index, start: Math.round(start * 1000) / 1000, end: Math.round(end * 1000) / 1000, regions: group.length };
  });
}

/** Consecutive chunks grouped so each batch holds about `batchSeconds` of audio (at least one chunk). */
export function batchChunks(chunks: readonly Chunk[], batchSeconds: number): Chunk[][] {
  const batches: Chunk[][] = [];
  let size = Number.POSITIVE_INFINITY;
  for (const c of chunks) {
    const len = c.end - c.start;
    if (size + len > batchSeconds) {
      batches.push([]);
      size = 0;
    }
    batches.at(-1)!.push(c);
    size += len;
  }
  return batches;
}
