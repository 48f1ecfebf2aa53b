// Speaker turns from a transcript whose words (or segments) already carry speakers, as engines
// that transcribe and diarize in one request answer: the Diarization core/merge and the RTTM
// export read, without a second engine.
import type { Diarization, Segment, SpeakerTurn } from './schema.js';
import { diarizationDocument } from './types.js';

/** Speaker turns from labelled words (when present) or segments; same-speaker neighbours closer than `joinGap` s merge. */
export function turnsFromSegments(segments: readonly Segment[], joinGap = 0.5): SpeakerTurn[] {
  const pieces: SpeakerTurn[] = [];
  for (const segment of segments) {
    const labelled = segment.words?.filter((w) => w.speaker) ?? [];
    if (labelled.length > 0) {
      for (const w of labelled) pieces.push({ speaker: w.speaker!, start: w.start, end: w.end });
    } else if (segment.speaker) {
      pieces.push({ speaker: segment.speaker, start: segment.start, end: segment.end });
    }
  }
  pieces.sort((a, b) => a.start - b.start || a.end - b.end);
  const turns: SpeakerTurn[] = [];
  for (const piece of pieces) {
    const last = turns[turns.length - 1];
    if (last && last.speaker === piece.speaker && piece.start - last.end <= joinGap) last.end = Math.max(last.end, piece.end);
    else turns.push({ ...piece });
  }
  return turns;
}

/** The canonical Diarization built from a transcript's labelled segments. */
export function diarizationFrom(segments: readonly Segment[], engine: string, model: string, duration?: number): Diarization {
  const turns = turnsFromSegments(segments);
  const speakers: string[] = [];
  for (const turn of turns) if (!speakers.includes(turn.speaker)) speakers.push(turn.speaker);
  const exclusive = turns.every((t, i) => i === 0 || t.start >= turns[i - 1]!.end);
  return diarizationDocument({ engine, model, turns, exclusiveTurns: exclusive ? turns.map((t) => ({ ...t })) : undefined, speakers, duration });
}
