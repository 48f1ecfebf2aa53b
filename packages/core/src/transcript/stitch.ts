// Joins per-piece results of a chunked or per-turn transcription (one upload each) into one
// canonical Transcript. Piece times are shifted by each piece's offset before they are stored,
// so here they are already absolute. Where consecutive chunks overlap, the overlap is split at
// its midpoint: the earlier chunk keeps words whose midpoint lies before it, the later one the
// rest, so a word heard in both chunks appears once. Speaker labels of diarizing engines are
// per upload: they are either prefixed with the chunk (`c3-A`), or linked across chunks by who
// speaks in the shared overlap (speakers.ts) and numbered SPEAKER_00… in order of appearance.
import type { ChunkProvenance, Segment, Transcript, Word } from './schema.js';
import { linkSpeakers, numberSpeakers } from './speakers.js';
import { transcriptDocument } from './types.js';

/** A piece of transcript from one upload (times relative to the upload until shifted). */
export interface PieceSegment {
  start: number;
  end: number;
  text: string;
  words?: Word[];
  speaker?: string;
}

/** What one finished upload leaves in the checkpoint store (times absolute, seconds). */
export interface PieceResult {
  index: number;
  start: number;
  end: number;
  sha256: string;
  bytes: number;
  text: string;
  language?: string;
  /** Turn mode: the speaker of the turn group. */
  speaker?: string;
  /** Empty for text-only answers. */
  segments: PieceSegment[];
}

/** One upload: its span of the input, the bytes sent, and in turn mode the speaker of the group. */
export type PieceUpload = Pick<PieceResult, 'index' | 'start' | 'end' | 'sha256' | 'bytes' | 'speaker'>;

/** What the service answered for one upload (times relative to the upload). */
export type PieceAnswer = Pick<PieceResult, 'text' | 'language' | 'segments'>;

/**
 * The result to store for one finished upload: its provenance and the answer, with the answer's
 * times made absolute and clamped to the upload's span. Other fields of `upload` are left out.
 */
export function pieceResult(upload: PieceUpload, answer: PieceAnswer): PieceResult {
  return {
    index: upload.index,
    start: upload.start,
    end: upload.end,
    sha256: upload.sha256,
    bytes: upload.bytes,
    text: answer.text,
    ...(answer.language ? { language: answer.language } : {}),
    ...(upload.speaker ? { speaker: upload.speaker } : {}),
    segments: shiftSegments(answer.segments, upload.start, upload.end),
  };
}

/** Shifts relative upload times by `offset` and clamps them into [offset, limit]. */
export function shiftSegments(segments: PieceSegment[], offset: number, limit: number): PieceSegment[] {
  const at = (t: number) => roundMs(Math.min(limit, Math.max(offset, offset + t)));
  return segments.map((s) => ({
    ...s,
    start: at(s.start),
    end: at(s.end),
    ...(s.words ? { words: s.words.map((w) => ({ ...w, start: at(w.start), end: at(w.end) })) } : {}),
  }));
}

export interface StitchOptions {
  engine: string;
  model: string;
  language?: string;
  timestamps: Transcript['timestamps'];
  duration?: number;
  /** `turns`: every piece is one speaker's turn group; its words are clipped to the group. */
  mode: 'chunks' | 'turns';
  /** Cut ranges (turn groups without padding) to clip words to, by piece index. */
  clip?: Map<number, { start: number; end: number }>;
  /**
   * Per-upload speaker labels of several chunks: `prefix` (default) keeps them apart as
   * `c<chunk>-<label>`; `link` maps them onto one set through the overlaps and numbers them
   * SPEAKER_00… in order of appearance (also for a single piece).
   */
  speakers?: 'prefix' | 'link';
}

export function stitch(pieces: PieceResult[], options: StitchOptions): Transcript {
  const ordered = [...pieces].sort((a, b) => a.start - b.start || a.index - b.index);
  const segments: Segment[] = [];
  const linking = options.mode === 'chunks' && options.speakers === 'link';
  const prefixing = options.mode === 'chunks' && !linking && ordered.length > 1;
  const links = linking ? linkSpeakers(ordered) : undefined;
  ordered.forEach((piece, i) => {
    let lo = Number.NEGATIVE_INFINITY;
    let hi = Number.POSITIVE_INFINITY;
    if (options.mode === 'chunks') {
      const prev = ordered[i - 1];
      const next = ordered[i + 1];
      if (prev && prev.end > piece.start) lo = (prev.end + piece.start) / 2;
      if (next && piece.end > next.start) hi = (piece.end + next.start) / 2;
    } else {
      const clip = options.clip?.get(piece.index);
      if (clip) [lo, hi] = [clip.start, clip.end];
    }
    const inside = (a: number, b: number) => {
      const mid = (a + b) / 2;
      return mid >= lo && mid < hi;
    };
    const speakerOf = (label: string | undefined): string | undefined => {
      if (piece.speaker) return piece.speaker;
      if (label === undefined) return undefined;
      if (links) return links.get(piece.index)?.get(label) ?? label;
      return prefixing ? `c${piece.index}-${label}` : label;
    };
    if (piece.segments.length === 0) {
      // Text only: the chunk's range, or in turn mode the turn group's own times.
      const span = (options.mode === 'turns' && options.clip?.get(piece.index)) || piece;
      if (piece.text) segments.push({ start: span.start, end: span.end, text: piece.text, chunk: piece.index, ...(piece.speaker ? { speaker: piece.speaker } : {}) });
      return;
    }
    for (const seg of piece.segments) {
      const speaker = speakerOf(seg.speaker);
      if (seg.words && seg.words.length > 0) {
        const kept = seg.words.filter((w) => inside(w.start, w.end));
        if (kept.length === 0) continue;
        const words: Word[] = kept.map((w) => {
          const own = speaker ?? speakerOf(w.speaker);
          return own ? { ...w, speaker: own } : w;
        });
        const whole = kept.length === seg.words.length;
        segments.push({
          start: whole ? Math.min(seg.start, kept[0]!.start) : kept[0]!.start,
          end: whole ? Math.max(seg.end, kept[kept.length - 1]!.end) : kept[kept.length - 1]!.end,
          text: whole ? seg.text : kept.map((w) => w.text).join(' '),
          words,
          chunk: piece.index,
          ...(speaker ? { speaker } : {}),
        });
      } else if (options.mode === 'turns' || inside(seg.start, seg.end)) {
        segments.push({ start: seg.start, end: seg.end, text: seg.text, chunk: piece.index, ...(speaker ? { speaker } : {}) });
      }
    }
  });
  segments.sort((a, b) => a.start - b.start || (a.chunk ?? 0) - (b.chunk ?? 0));
  if (options.mode === 'chunks') monotonic(segments);
  const chunks: ChunkProvenance[] = ordered.map((p) => ({ index: p.index, start: p.start, end: p.end, sha256: p.sha256, bytes: p.bytes }));
  const { engine, model, language, timestamps } = options;
  const duration = options.duration === undefined ? undefined : roundMs(options.duration);
  return transcriptDocument({ engine, model, language, timestamps, duration, segments: linking ? numberSpeakers(segments) : segments, chunks });
}

/**
 * Where the kept words of two chunks meet, the later chunk's first word may start a little
 * before the earlier chunk's last word ends; start it at that end so times never go back.
 */
function monotonic(segments: Segment[]): void {
  let lastEnd = 0;
  for (const segment of segments) {
    if (!segment.words?.length) {
      lastEnd = Math.max(lastEnd, segment.end);
      continue;
    }
    const before = lastEnd;
    for (const word of segment.words) {
      if (word.start < lastEnd) word.start = Math.min(lastEnd, word.end);
      lastEnd = Math.max(lastEnd, word.end);
    }
    if (segment.start < before) segment.start = segment.words[0]!.start;
  }
}

/** Seconds rounded to whole milliseconds. */
export function roundMs(t: number): number {
  return Math.round(t * 1000) / 1000;
}
