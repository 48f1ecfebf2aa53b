// Speaker labels across uploads. A diarizing engine numbers the speakers of each request on its
// own ("0", "1", … in the order it met them), so the same person may be "1" in one chunk and "0"
// in the next. Chunks that overlap hear the same seconds twice: who speaks there in both links
// the labels (linkSpeakers); a voice silent in the overlap is linked only when it is the one
// left on both sides. numberSpeakers then renames every label SPEAKER_00, SPEAKER_01, …
// in order of first appearance, the form every spx engine's speakers take.
import type { Segment } from './schema.js';

/** What linkSpeakers reads of a piece: its span and its labelled speech (times absolute). */
export interface SpeakerPiece {
  index: number;
  start: number;
  end: number;
  segments: ReadonlyArray<{ start: number; end: number; speaker?: string; words?: ReadonlyArray<{ start: number; end: number; speaker?: string }> }>;
}

/** Seconds two labels must speak at the same time in an overlap before they count as one person. */
export const MIN_SHARED_SECONDS = 0.2;

interface Span {
  speaker: string;
  start: number;
  end: number;
}

/** Labelled spans of a piece inside [from, to]: its words where it has them, else its segments. */
function spansIn(piece: SpeakerPiece, from: number, to: number): Span[] {
  const spans: Span[] = [];
  for (const segment of piece.segments) {
    const parts = segment.words?.length ? segment.words.map((w) => ({ start: w.start, end: w.end, speaker: w.speaker ?? segment.speaker })) : [segment];
    for (const part of parts) {
      const start = Math.max(from, part.start);
      const end = Math.min(to, part.end);
      if (part.speaker !== undefined && end > start) spans.push({ speaker: part.speaker, start, end });
    }
  }
  return spans;
}

/** Labels of a piece in order of first appearance. */
function labelsOf(piece: SpeakerPiece): string[] {
  return [...new Set(spansIn(piece, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY).sort((a, b) => a.start - b.start).map((s) => s.speaker))];
}

/**
 * For pieces in time order, maps each piece's own labels to shared ones (`S0`, `S1`, …). A label
 * of a piece takes the shared label of the earlier piece's speaker it talks at the same time with
 * most inside their overlap (one to one, at least MIN_SHARED_SECONDS together). When then one
 * label of the piece and one speaker of the earlier piece are left, they are taken for one person
 * who was silent in the overlap. Any other label — a new voice, or pieces that do not overlap —
 * gets a new shared label.
 */
export function linkSpeakers(pieces: readonly SpeakerPiece[]): Map<number, Map<string, string>> {
  const links = new Map<number, Map<string, string>>();
  let next = 0;
  let prev: SpeakerPiece | undefined;
  for (const piece of pieces) {
    const own = new Map<string, string>();
    if (prev && prev.end > piece.start) {
      const earlier = links.get(prev.index)!;
      const from = piece.start;
      const to = prev.end;
      // Seconds each (shared label of the earlier piece, own label) pair speaks at the same time.
      const together: Array<{ global: string; local: string; seconds: number }> = [];
      const theirs = spansIn(prev, from, to);
      for (const mine of spansIn(piece, from, to)) {
        for (const other of theirs) {
          const seconds = Math.min(mine.end, other.end) - Math.max(mine.start, other.start);
          if (seconds <= 0) continue;
          const global = earlier.get(other.speaker) ?? other.speaker;
          const pair = together.find((p) => p.global === global && p.local === mine.speaker);
          if (pair) pair.seconds += seconds;
          else together.push({ global, local: mine.speaker, seconds });
        }
      }
      const taken = new Set<string>();
      together.sort((a, b) => b.seconds - a.seconds || a.global.localeCompare(b.global) || a.local.localeCompare(b.local));
      for (const pair of together) {
        if (pair.seconds < MIN_SHARED_SECONDS || own.has(pair.local) || taken.has(pair.global)) continue;
        own.set(pair.local, pair.global);
        taken.add(pair.global);
      }
      // One voice of each piece left over (silent in the overlap, or heard there too briefly):
      // the same number of people on both sides, so take them for one person.
      const mineLeft = labelsOf(piece).filter((label) => !own.has(label));
      const theirsLeft = [...new Set(earlier.values())].filter((global) => !taken.has(global));
      if (mineLeft.length === 1 && theirsLeft.length === 1) own.set(mineLeft[0]!, theirsLeft[0]!);
    }
    for (const label of labelsOf(piece)) if (!own.has(label)) own.set(label, `S${next++}`);
    links.set(piece.index, own);
    prev = piece;
  }
  return links;
}

/** SPEAKER_00, SPEAKER_01, … */
export function speakerLabel(n: number): string {
  return `SPEAKER_${String(n).padStart(2, '0')}`;
}

/**
 * The segments with every speaker label (of segments and words) renamed SPEAKER_00, SPEAKER_01, …
 * in order of first appearance in time. Segments keep their order; unlabelled ones stay unlabelled.
 */
export function numberSpeakers(segments: readonly Segment[]): Segment[] {
  const firstSeen = new Map<string, number>();
  const see = (label: string | undefined, at: number) => {
    if (label === undefined) return;
    const known = firstSeen.get(label);
    if (known === undefined || at < known) firstSeen.set(label, at);
  };
  for (const segment of segments) {
    see(segment.speaker, segment.start);
    for (const word of segment.words ?? []) see(word.speaker, word.start);
  }
  const order = [...firstSeen.entries()].sort((a, b) => a[1] - b[1]).map(([label]) => label);
  const rename = new Map(order.map((label, i) => [label, speakerLabel(i)]));
  return segments.map((segment) => ({
    ...segment,
    ...(segment.speaker !== undefined ? { speaker: rename.get(segment.speaker)! } : {}),
    ...(segment.words ? { words: segment.words.map((w) => (w.speaker !== undefined ? { ...w, speaker: rename.get(w.speaker)! } : w)) } : {}),
  }));
}
