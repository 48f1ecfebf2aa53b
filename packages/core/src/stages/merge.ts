// core/merge's algorithm: give every word (or, without word timestamps, every segment)
// the speaker whose turn overlaps it most, optionally smooth within sentences, then
// group into utterances. Sorting is O(n log n); everything after it is one sweep.
import { SpxError } from '../errors/errors.js';
import type { Diarization, SpeakerTurn, Transcript } from '../transcript/types.js';
import { MERGED_FORMAT, UNKNOWN_SPEAKER, type MergedSpeaker, type MergedTranscript, type MergedWord, type SpeakerAssignment, type Utterance } from './merged.js';
import { overlap, sortTurns, TurnSweep } from './sweep.js';
import { smoothSentences } from './smoothing.js';
import { joinWords, restorePunctuation } from './text.js';
import type { Unit } from './units.js';

export interface MergeOptions {
  /** Speaker label → display name; wins over the diarization's own `names`. */
  names?: Readonly<Record<string, string>>;
  /** Seconds: a word overlapping no turn takes the nearest turn this close, else "unknown". */
  tolerance?: number;
  /** Seconds of silence between words that starts a new utterance (and ends a sentence for smoothing). */
  pauseThreshold?: number;
  /** Sentence smoothing: a sentence takes its majority speaker unless a change inside it has ≥ `minTurn` s on both sides. */
  smoothing?: boolean;
  /** Seconds each side of a speaker change needs to survive smoothing. */
  minTurn?: number;
  /** Seconds of silence that end a sentence for smoothing (as do . ? !). */
  sentencePause?: number;
  /** Without word timestamps: split a segment at turn boundaries, dividing its text by time share. */
  splitSegments?: boolean;
}

export const MERGE_DEFAULTS = { tolerance: 1, pauseThreshold: 1.5, smoothing: true, minTurn: 1, sentencePause: 0.5, splitSegments: false } as const;


export interface MergeStats {
  words: number;
  segments: number;
  utterances: number;
  unknown: number;
  overlapped: number;
  smoothed: number;
}

export function mergeTranscript(transcript: Transcript, diarization: Diarization | undefined, options: MergeOptions = {}): { merged: MergedTranscript; stats: MergeStats } {
  const tolerance = options.tolerance ?? MERGE_DEFAULTS.tolerance;
  const pause = options.pauseThreshold ?? MERGE_DEFAULTS.pauseThreshold;
  const minTurn = options.minTurn ?? MERGE_DEFAULTS.minTurn;
  const smoothing = options.smoothing ?? MERGE_DEFAULTS.smoothing;
  const split = options.splitSegments ?? MERGE_DEFAULTS.splitSegments;
  const sentencePause = options.sentencePause ?? MERGE_DEFAULTS.sentencePause;

  const fromTranscript = diarization === undefined;
  let units = buildUnits(transcript, fromTranscript);
  if (fromTranscript && units.length > 0 && !units.some((u) => u.speaker !== UNKNOWN_SPEAKER)) {
    throw new SpxError('INPUT_INVALID', `Transcript from "${transcript.engine}" carries no speakers and no speaker turns were given.`, {
      hint: 'Pass `speakers:` (a Diarization file from a diarization stage) to core/merge.',
    });
  }

  let smoothed = 0;
  let splitUsed = false;
  if (diarization) {
    const all = sortTurns(diarization.turns ?? []);
    const exclusive = diarization.exclusiveTurns && diarization.exclusiveTurns.length > 0 ? sortTurns(diarization.exclusiveTurns) : all;
    if (split && units.some((u) => !u.isWord)) {
      const before = units.length;
      units = splitSegmentUnits(units, exclusive);
      splitUsed = units.length !== before || units.some((u) => u.fixed);
    }
    assignSpeakers(units, exclusive, tolerance);
    markOverlaps(units, all);
  }
  if (smoothing) smoothed = smoothSentences(units, sentencePause, minTurn);

  const names: Record<string, string> = { ...(diarization?.names ?? {}), ...(options.names ?? {}) };
  const nameOf = (label: string) => names[label] ?? (label === UNKNOWN_SPEAKER ? 'Unknown' : label);
  const utterances = groupUtterances(units, pause, nameOf, transcript.language);

  const speakers: MergedSpeaker[] = [];
  const seen = new Set<string>();
  for (const u of utterances) {
    if (!seen.has(u.speaker)) {
      seen.add(u.speaker);
      speakers.push({ id: u.speaker, name: u.name });
    }
  }

  let wordCount = 0;
  for (const u of units) if (u.isWord) wordCount++;
  const assignment: SpeakerAssignment = fromTranscript ? 'transcript' : wordCount === units.length ? 'word' : splitUsed ? 'segment-split' : 'segment';
  const duration = transcript.duration ?? diarization?.duration;
  const merged: MergedTranscript = {
    format: MERGED_FORMAT,
    version: 1,
    ...(transcript.language ? { language: transcript.language } : {}),
    ...(duration !== undefined ? { duration } : {}),
    speakers,
    utterances,
    source: {
      transcriptEngine: transcript.engine,
      ...(transcript.model ? { transcriptModel: transcript.model } : {}),
      ...(diarization ? { diarizationEngine: diarization.engine } : {}),
      ...(diarization?.model ? { diarizationModel: diarization.model } : {}),
      timestamps: transcript.timestamps,
      assignment,
      smoothing,
    },
  };
  let unknown = 0;
  let overlapped = 0;
  for (const u of units) {
    if (u.speaker === UNKNOWN_SPEAKER) unknown++;
    if (u.overlapped) overlapped++;
  }
  return { merged, stats: { words: wordCount, segments: transcript.segments.length, utterances: utterances.length, unknown, overlapped, smoothed } };
}

function buildUnits(transcript: Transcript, speakersFromTranscript: boolean): Unit[] {
  const units: Unit[] = [];
  const useWords = transcript.timestamps !== 'none';
  for (const seg of transcript.segments) {
    const segStart = ms(finite(seg.start, 0));
    const segEnd = Math.max(segStart, ms(finite(seg.end, segStart)));
    const words = useWords ? seg.words : undefined;
    if (words && words.length > 0) {
      const texts = restorePunctuation(seg.text ?? '', words.map((w) => String(w.text ?? '')));
      let last = segStart;
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        const text = texts[i]!;
        if (text.length === 0) continue;
        // A word without times (unaligned numbers, symbols) sits at the previous word's end.
        const start = ms(finite(w.start, last));
        const end = Math.max(start, ms(finite(w.end, start)));
        last = end;
        const unit: Unit = { text, start, end, isWord: true, speaker: speakersFromTranscript ? (w.speaker ?? seg.speaker ?? UNKNOWN_SPEAKER) : UNKNOWN_SPEAKER, overlapped: false, fixed: speakersFromTranscript };
        if (typeof w.confidence === 'number') unit.confidence = w.confidence;
        units.push(unit);
      }
    } else {
      const text = (seg.text ?? '').trim();
      if (text.length === 0) continue;
      units.push({ text, start: segStart, end: segEnd, isWord: false, speaker: speakersFromTranscript ? (seg.speaker ?? UNKNOWN_SPEAKER) : UNKNOWN_SPEAKER, overlapped: false, fixed: speakersFromTranscript });
    }
  }
  return sortByStart(units);
}

/** Stable sort by start (words of one segment keep their order); a no-op pass when already sorted. */
function sortByStart(units: Unit[]): Unit[] {
  for (let i = 1; i < units.length; i++) if (units[i]!.start < units[i - 1]!.start) return units.sort((a, b) => a.start - b.start);
  return units;
}

/** Times are kept to the millisecond (shorter JSON, no float noise such as 1.2000000000000002). */
function ms(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function finite(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** Speaker with the largest summed overlap; for zero-length units, the latest turn containing the point. */
function bestSpeaker(start: number, end: number, turns: SpeakerTurn[]): string | undefined {
  if (turns.length === 0) return undefined;
  if (turns.length === 1) return turns[0]!.speaker;
  if (end <= start) return turns[turns.length - 1]!.speaker;
  let best: string | undefined;
  let bestOverlap = -1;
  // Few turns overlap one word: a linear scan per speaker is cheap.
  for (let i = 0; i < turns.length; i++) {
    const speaker = turns[i]!.speaker;
    let seenBefore = false;
    for (let j = 0; j < i; j++) if (turns[j]!.speaker === speaker) seenBefore = true;
    if (seenBefore) continue;
    let sum = 0;
    for (let j = i; j < turns.length; j++) if (turns[j]!.speaker === speaker) sum += overlap(start, end, turns[j]!.start, turns[j]!.end);
    if (sum > bestOverlap) {
      bestOverlap = sum;
      best = speaker;
    }
  }
  return best;
}

function assignSpeakers(units: Unit[], turns: SpeakerTurn[], tolerance: number): void {
  const sweep = new TurnSweep(turns);
  for (const u of units) {
    const q = sweep.query(u.start, u.end);
    if (u.fixed) continue;
    const best = bestSpeaker(u.start, u.end, q.overlapping);
    if (best !== undefined) {
      u.speaker = best;
      continue;
    }
    const gapBefore = q.before ? u.start - q.before.end : Number.POSITIVE_INFINITY;
    const gapAfter = q.after ? q.after.start - u.end : Number.POSITIVE_INFINITY;
    if (gapBefore <= gapAfter && gapBefore <= tolerance) u.speaker = q.before!.speaker;
    else if (gapAfter <= tolerance) u.speaker = q.after!.speaker;
    else u.speaker = UNKNOWN_SPEAKER;
  }
}

function markOverlaps(units: Unit[], turns: SpeakerTurn[]): void {
  const sweep = new TurnSweep(turns);
  for (const u of units) {
    const { overlapping } = sweep.query(u.start, u.end);
    if (overlapping.length < 2) continue;
    let other: string | undefined;
    for (const t of overlapping) {
      if (u.end > u.start && overlap(u.start, u.end, t.start, t.end) <= 0) continue;
      if (other === undefined) other = t.speaker;
      else if (t.speaker !== other) {
        u.overlapped = true;
        break;
      }
    }
  }
}

/** Splits segment units at exclusive turn boundaries, dividing the text by time share. */
function splitSegmentUnits(units: Unit[], turns: SpeakerTurn[]): Unit[] {
  const sweep = new TurnSweep(turns);
  const out: Unit[] = [];
  for (const u of units) {
    const { overlapping } = sweep.query(u.start, u.end);
    if (u.isWord || u.end <= u.start) {
      out.push(u);
      continue;
    }
    // Pieces: turns clipped to the segment; a later turn cuts an earlier one short.
    const pieces: { speaker: string; start: number; end: number }[] = [];
    for (const t of overlapping) {
      const s = Math.max(u.start, t.start);
      const e = Math.min(u.end, t.end);
      if (e <= s) continue;
      const prev = pieces[pieces.length - 1];
      if (prev && prev.end > s) prev.end = s;
      if (prev && prev.speaker === t.speaker) prev.end = Math.max(prev.end, e);
      else pieces.push({ speaker: t.speaker, start: s, end: e });
    }
    const kept = pieces.filter((p) => p.end > p.start);
    if (kept.length < 2) {
      out.push(u);
      continue;
    }
    // Gaps go half to each neighbour; the ends stretch to the segment's ends.
    kept[0]!.start = u.start;
    kept[kept.length - 1]!.end = u.end;
    for (let i = 1; i < kept.length; i++) {
      const mid = (kept[i - 1]!.end + kept[i]!.start) / 2;
      kept[i - 1]!.end = mid;
      kept[i]!.start = mid;
    }
    const tokens = u.text.split(/\s+/).filter((t) => t.length > 0);
    const total = tokens.reduce((n, t) => n + t.length + 1, 0);
    const span = u.end - u.start;
    let ti = 0;
    let chars = 0;
    for (let pi = 0; pi < kept.length; pi++) {
      const piece = kept[pi]!;
      const limit = pi === kept.length - 1 ? Number.POSITIVE_INFINITY : ((piece.end - u.start) / span) * total;
      const from = ti;
      // A token belongs to the piece its middle falls in.
      while (ti < tokens.length && chars + (tokens[ti]!.length + 1) / 2 <= limit) chars += tokens[ti++]!.length + 1;
      if (ti === from) continue;
      out.push({ text: tokens.slice(from, ti).join(' '), start: piece.start, end: piece.end, isWord: false, speaker: piece.speaker, overlapped: false, fixed: true });
    }
  }
  return sortByStart(out);
}

function groupUtterances(units: Unit[], pause: number, nameOf: (label: string) => string, language?: string): Utterance[] {
  const utterances: Utterance[] = [];
  let i = 0;
  while (i < units.length) {
    const first = units[i]!;
    let end = first.end;
    let j = i + 1;
    while (j < units.length && units[j]!.speaker === first.speaker && units[j]!.start - end <= pause) {
      end = Math.max(end, units[j]!.end);
      j++;
    }
    const texts: string[] = [];
    const words: MergedWord[] = [];
    let overlapped = false;
    let confSum = 0;
    let confCount = 0;
    for (let k = i; k < j; k++) {
      const u = units[k]!;
      texts.push(u.text);
      if (u.overlapped) overlapped = true;
      if (u.isWord) {
        const w: MergedWord = { text: u.text, start: u.start, end: u.end };
        if (u.confidence !== undefined) {
          w.confidence = u.confidence;
          confSum += u.confidence;
          confCount++;
        }
        if (u.overlapped) w.overlapped = true;
        words.push(w);
      }
    }
    const utterance: Utterance = { speaker: first.speaker, name: nameOf(first.speaker), start: first.start, end, text: joinWords(texts, language), words, overlapped };
    if (confCount > 0) utterance.confidence = Math.round((confSum / confCount) * 1000) / 1000;
    utterances.push(utterance);
    i = j;
  }
  return utterances;
}
