// Helpers the output adapters share: shape checks, time rounding; turns from labelled segments
// come from core (diarizationFrom).
import { SpxError, transcriptDocument, type Segment, type Transcript, type Word } from '@spx/core';
import type { OutputInfo } from './types.js';

export type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function badOutput(adapter: string, what: string): SpxError {
  return new SpxError('API_BAD_RESPONSE', `The ${adapter} adapter cannot read the model output: ${what}.`, {
    hint: 'Check that the adapter matches the model (and version) in `model`/`version`, or write an adapter for this model.',
  });
}

/** Seconds rounded to milliseconds. */
export function sec(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A speaker label, or undefined for the models' "no overlap" labels. */
export function speakerLabel(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const label = value.trim();
  return label === '' || label.toUpperCase() === 'UNKNOWN' ? undefined : label;
}

export interface RawWord {
  text: string;
  start?: number;
  end?: number;
  confidence?: number;
  speaker?: string;
}

/**
 * Gives words without times (WhisperX cannot align digits and symbols) the gap between their
 * neighbours inside the segment, so every canonical word has a start and an end.
 */
export function placeWords(raw: RawWord[], segStart: number, segEnd: number): Word[] {
  const words: Word[] = [];
  for (let i = 0; i < raw.length; i++) {
    const w = raw[i]!;
    if (w.text === '') continue;
    let start = w.start;
    let end = w.end;
    if (start === undefined || end === undefined) {
      const prevEnd = words.length > 0 ? words[words.length - 1]!.end : segStart;
      let nextStart = segEnd;
      for (let j = i + 1; j < raw.length; j++) {
        const s = raw[j]!.start;
        if (s !== undefined) {
          nextStart = s;
          break;
        }
      }
      start ??= prevEnd;
      end ??= Math.max(start, nextStart);
    }
    words.push({
      text: w.text,
      start: sec(start),
      end: sec(Math.max(start, end)),
      ...(w.confidence !== undefined ? { confidence: w.confidence } : {}),
      ...(w.speaker ? { speaker: w.speaker } : {}),
    });
  }
  return words;
}

export function collapseSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export interface SegmentFields {
  /** Name of the per-word confidence field (`probability`, `score`). */
  confidence: string;
  /** Words without a speaker of their own take the segment's. */
  wordsInheritSpeaker: boolean;
  /** The output's language value, if any. */
  language: unknown;
}

/** Maps the `segments` array both speech models return (Whisper-style segments with words) to a Transcript. */
export function transcriptFromSegments(adapter: string, rawSegments: unknown[], info: OutputInfo, fields: SegmentFields): Transcript {
  const segments: Segment[] = [];
  rawSegments.forEach((raw, index) => {
    if (!isObject(raw)) throw badOutput(adapter, `segments[${index}] is not an object`);
    const start = num(raw.start);
    const end = num(raw.end);
    if (start === undefined || end === undefined) throw badOutput(adapter, `segments[${index}] lacks start/end`);
    const speaker = speakerLabel(raw.speaker);
    const rawWords: RawWord[] = Array.isArray(raw.words)
      ? raw.words.filter(isObject).map((w) => {
          const wordSpeaker = speakerLabel(w.speaker) ?? (fields.wordsInheritSpeaker ? speaker : undefined);
          const confidence = num(w[fields.confidence]);
          return {
            text: typeof w.word === 'string' ? w.word.trim() : '',
            start: num(w.start),
            end: num(w.end),
            ...(confidence !== undefined ? { confidence: Math.min(1, Math.max(0, confidence)) } : {}),
            ...(wordSpeaker ? { speaker: wordSpeaker } : {}),
          };
        })
      : [];
    const words = placeWords(rawWords, start, end);
    const text = typeof raw.text === 'string' ? collapseSpace(raw.text) : words.map((w) => w.text).join(' ');
    if (text === '' && words.length === 0) return;
    segments.push({ start: sec(start), end: sec(Math.max(start, end)), text, ...(words.length > 0 ? { words } : {}), ...(speaker ? { speaker } : {}) });
  });
  const language = typeof fields.language === 'string' && fields.language ? fields.language : undefined;
  const timestamps = segments.some((s) => s.words && s.words.length > 0) ? 'word' : 'segment';
  return transcriptDocument({ engine: info.engine, model: info.model, language, timestamps, duration: info.duration, segments });
}
