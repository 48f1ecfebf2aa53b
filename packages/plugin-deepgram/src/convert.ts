// A /v1/listen answer as transcript pieces: one segment per utterance (one speaker each) with
// its words — display text from punctuated_word, confidence 0..1, the speaker as the request's
// own label ("0", "1", …; linked across chunks and renamed SPEAKER_nn by core's stitch). Without
// utterances the channel's words are grouped by speaker. Times stay relative to the upload.
import type { PieceSegment, Word } from '@spx/core';
import type { ApiWord, ListenResponse } from './client.js';

export interface ListenPiece {
  text: string;
  segments: PieceSegment[];
  language?: string;
  requestId?: string;
  /** Seconds of audio Deepgram says it heard. */
  duration?: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

function toWord(w: ApiWord): Word | undefined {
  const text = typeof w?.punctuated_word === 'string' && w.punctuated_word ? w.punctuated_word : w?.word;
  if (typeof text !== 'string' || !text || !finite(w.start) || !finite(w.end) || w.end < w.start || w.start < 0) return undefined;
  return {
    text,
    start: round3(w.start),
    end: round3(w.end),
    ...(finite(w.confidence) ? { confidence: round3(Math.min(1, Math.max(0, w.confidence))) } : {}),
    ...(Number.isInteger(w.speaker) && (w.speaker as number) >= 0 ? { speaker: String(w.speaker) } : {}),
  };
}

function segmentOf(words: Word[], text?: string): PieceSegment {
  const speaker = words[0]!.speaker;
  return { start: words[0]!.start, end: words[words.length - 1]!.end, text: text?.trim() || words.map((w) => w.text).join(' '), words, ...(speaker !== undefined ? { speaker } : {}) };
}

export function listenPiece(response: ListenResponse): ListenPiece {
  const channel = response.results.channels[0]!;
  const alternative = channel.alternatives[0]!;
  const segments: PieceSegment[] = [];
  const utterances = Array.isArray(response.results.utterances) ? response.results.utterances.filter((u) => (u?.channel ?? 0) === 0) : undefined;
  if (utterances && utterances.length > 0) {
    for (const utterance of utterances) {
      const words = (Array.isArray(utterance.words) ? utterance.words : []).map(toWord).filter((w): w is Word => w !== undefined);
      if (words.length === 0) continue;
      const speaker = Number.isInteger(utterance.speaker) ? String(utterance.speaker) : words[0]!.speaker;
      const labelled = speaker === undefined ? words : words.map((w) => ({ ...w, speaker: w.speaker ?? speaker }));
      segments.push({ ...segmentOf(labelled, typeof utterance.transcript === 'string' ? utterance.transcript : undefined), ...(speaker !== undefined ? { speaker } : {}) });
    }
  } else {
    let run: Word[] = [];
    for (const word of (Array.isArray(alternative.words) ? alternative.words : []).map(toWord)) {
      if (!word) continue;
      if (run.length > 0 && (run[0]!.speaker !== word.speaker || word.start - run[run.length - 1]!.end > 0.8)) {
        segments.push(segmentOf(run));
        run = [];
      }
      run.push(word);
    }
    if (run.length > 0) segments.push(segmentOf(run));
  }
  segments.sort((a, b) => a.start - b.start);
  const language = typeof channel.detected_language === 'string' && channel.detected_language ? channel.detected_language : undefined;
  const requestId = typeof response.metadata.request_id === 'string' ? response.metadata.request_id : undefined;
  return {
    text: alternative.transcript.trim(),
    segments,
    ...(language ? { language } : {}),
    ...(requestId ? { requestId } : {}),
    ...(finite(response.metadata.duration) ? { duration: response.metadata.duration } : {}),
  };
}
