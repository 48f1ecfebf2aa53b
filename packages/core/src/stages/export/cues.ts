// Subtitle-sized cues from utterances. A cue never spans two speakers. With word
// timestamps, words are packed greedily up to the size limits, preferring to end a
// cue at a sentence end; without them, an utterance's text is cut at the limits and
// its time divided by character share. Linear in the number of words.
import type { MergedTranscript, Utterance } from '../merged.js';
import { endsSentence, joinWords } from '../text.js';

export interface CueOptions {
  /** Longest line, characters (speaker prefix included on the first line). */
  maxLineChars?: number;
  /** Lines per cue. */
  maxLines?: number;
  /** Longest cue, seconds. */
  maxCueSeconds?: number;
  /** Shortest cue shown, seconds: a shorter cue is extended up to the next cue's start. */
  minCueSeconds?: number;
}

export const CUE_DEFAULTS = { maxLineChars: 42, maxLines: 2, maxCueSeconds: 6, minCueSeconds: 1 } as const;

export interface Cue {
  start: number;
  end: number;
  speaker: string;
  name: string;
  text: string;
  /** True for the first cue of an utterance. */
  first: boolean;
}

export function buildCues(merged: MergedTranscript, options: CueOptions = {}): Cue[] {
  const maxLine = options.maxLineChars ?? CUE_DEFAULTS.maxLineChars;
  const maxLines = options.maxLines ?? CUE_DEFAULTS.maxLines;
  const maxSeconds = options.maxCueSeconds ?? CUE_DEFAULTS.maxCueSeconds;
  const minSeconds = options.minCueSeconds ?? CUE_DEFAULTS.minCueSeconds;
  const cues: Cue[] = [];
  for (const u of merged.utterances) {
    // The speaker prefix ("Anna: ") takes part of the first line.
    const lines = new LineFiller(maxLine, maxLines, u.name.length + 2);
    if (u.words.length > 0) wordCues(u, lines, maxSeconds, merged.language, cues);
    else textCues(u, lines, maxSeconds, cues);
  }
  // Stretch very short cues into the silence after them, never over the next cue.
  for (let i = 0; i < cues.length; i++) {
    const c = cues[i]!;
    if (c.end - c.start >= minSeconds) continue;
    const limit = i + 1 < cues.length ? cues[i + 1]!.start : Number.POSITIVE_INFINITY;
    c.end = Math.max(c.end, Math.min(c.start + minSeconds, limit));
  }
  return cues;
}

/** Greedy line packing: whether one more word still fits in the cue's lines. */
class LineFiller {
  private line = 0;
  private used = 0;
  private empty = true;
  constructor(
    private readonly maxLine: number,
    private readonly maxLines: number,
    private readonly prefix: number,
  ) {
    this.reset();
  }
  reset(): void {
    this.line = 1;
    this.used = this.prefix;
    this.empty = true;
  }
  /** Adds a word of `length` characters; false (and unchanged) when the cue is full. A first word always fits. */
  add(length: number): boolean {
    if (this.empty) {
      this.empty = false;
      // A long name leaves the first word its own line.
      if (this.used > 0 && this.used + length > this.maxLine && this.maxLines > 1) {
        this.line = 2;
        this.used = length;
      } else this.used += length;
      return true;
    }
    if (this.used + 1 + length <= this.maxLine) {
      this.used += 1 + length;
      return true;
    }
    if (this.line < this.maxLines) {
      this.line++;
      this.used = length;
      return true;
    }
    return false;
  }
}

function wordCues(u: Utterance, lines: LineFiller, maxSeconds: number, language: string | undefined, cues: Cue[]): void {
  const words = u.words;
  let from = 0;
  let lastSentenceEnd = -1;
  let first = true;
  const emit = (to: number) => {
    const piece = words.slice(from, to);
    cues.push({ start: piece[0]!.start, end: piece[piece.length - 1]!.end, speaker: u.speaker, name: u.name, text: joinWords(piece.map((p) => p.text), language), first });
    first = false;
    from = to;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const late = i > from && w.end - words[from]!.start > maxSeconds;
    if (late || !lines.add(w.text.length)) {
      // Prefer to cut after a sentence end in the second half of the cue.
      const cut = lastSentenceEnd >= from && lastSentenceEnd + 1 - from >= (i - from) / 2 ? lastSentenceEnd + 1 : i;
      emit(cut);
      // Refill with the words carried into the next cue (fewer than half a cue), then this one.
      lines.reset();
      lastSentenceEnd = -1;
      for (let k = from; k < i; k++) {
        lines.add(words[k]!.text.length);
        if (endsSentence(words[k]!.text)) lastSentenceEnd = k;
      }
      if (!lines.add(w.text.length)) {
        emit(i);
        lines.reset();
        lines.add(w.text.length);
      }
    }
    if (endsSentence(w.text)) lastSentenceEnd = i;
  }
  if (from < words.length) emit(words.length);
}

function textCues(u: Utterance, lines: LineFiller, maxSeconds: number, cues: Cue[]): void {
  const tokens = u.text.split(/\s+/).filter((t) => t.length > 0);
  if (tokens.length === 0) return;
  const total = tokens.reduce((n, t) => n + t.length + 1, 0);
  const span = Math.max(0, u.end - u.start);
  // Characters per cue so that no cue exceeds maxSeconds at this utterance's speaking rate.
  const byTime = span > 0 ? Math.max(1, Math.floor((maxSeconds / span) * total)) : Number.POSITIVE_INFINITY;
  let from = 0;
  let chars = 0;
  let done = 0;
  let first = true;
  const emit = (to: number) => {
    const start = u.start + (done / total) * span;
    done += chars;
    cues.push({ start, end: u.start + (done / total) * span, speaker: u.speaker, name: u.name, text: tokens.slice(from, to).join(' '), first });
    first = false;
    from = to;
    chars = 0;
  };
  for (let i = 0; i < tokens.length; i++) {
    const len = tokens[i]!.length + 1;
    if (i > from && (chars + len > byTime || !lines.add(len - 1))) {
      emit(i);
      lines.reset();
      lines.add(len - 1);
    } else if (i === from) lines.add(len - 1);
    chars += len;
  }
  emit(tokens.length);
}

/** Breaks cue text into at most `maxLines` lines near equal length, at spaces. */
export function wrapLines(text: string, maxLine: number, maxLines: number): string[] {
  if (text.length <= maxLine || maxLines < 2) return [text];
  const lines: string[] = [];
  let rest = text;
  for (let line = 1; line < maxLines && rest.length > maxLine; line++) {
    const target = Math.ceil(rest.length / (maxLines - line + 1));
    // The space nearest the balanced target that keeps this line within maxLine.
    let best = -1;
    for (let k = rest.indexOf(' '); k !== -1 && k <= maxLine; k = rest.indexOf(' ', k + 1)) {
      if (best === -1 || Math.abs(k - target) < Math.abs(best - target)) best = k;
    }
    if (best === -1) break;
    lines.push(rest.slice(0, best));
    rest = rest.slice(best + 1);
  }
  lines.push(rest);
  return lines;
}
