// RTTM (NIST Rich Transcription Time Marked) lines for speaker turns.
import type { SpeakerTurn } from '@spx/core';

/** `SPEAKER <uri> 1 <start> <duration> <NA> <NA> <speaker> <NA> <NA>` per turn. */
export function toRttm(turns: readonly SpeakerTurn[], uri: string): string {
  const id = uri.replace(/\s+/g, '_') || 'audio';
  return turns.map((t) => `SPEAKER ${id} 1 ${t.start.toFixed(3)} ${(t.end - t.start).toFixed(3)} <NA> <NA> ${t.speaker} <NA> <NA>\n`).join('');
}
