// The merged transcript: who said each word. core/merge writes it, core/export reads it.
// Documented field by field in docs/transcript-format.md.

/** Label used for text no speaker turn covers (within the merge tolerance). */
export const UNKNOWN_SPEAKER = 'unknown';

export const MERGED_FORMAT = 'spx-merged';

export interface MergedWord {
  /** Word with the transcript's punctuation and casing. */
  text: string;
  start: number;
  end: number;
  confidence?: number;
  /** Set when turns of two or more speakers overlap this word. */
  overlapped?: boolean;
}

export interface Utterance {
  /** Speaker label (e.g. "SPEAKER_00"), or "unknown". */
  speaker: string;
  /** Display name: the `names` mapping of the label, else the label itself. */
  name: string;
  start: number;
  end: number;
  /** Text with the transcript's punctuation and casing. */
  text: string;
  /** The words, when the transcript had word timestamps; empty otherwise. */
  words: MergedWord[];
  /** True when at least one of its words (or its segment) overlaps another speaker's turn. */
  overlapped: boolean;
  /** Mean word confidence, where the transcript engine gave confidences. */
  confidence?: number;
}

export interface MergedSpeaker {
  id: string;
  name: string;
}

/** How text was given speakers. */
export type SpeakerAssignment = 'word' | 'segment' | 'segment-split' | 'transcript';

export interface MergedSource {
  /** `engine` of the input Transcript. */
  transcriptEngine: string;
  transcriptModel?: string;
  /** `engine` of the input Diarization; absent when the transcript carried its own speakers. */
  diarizationEngine?: string;
  diarizationModel?: string;
  /** `timestamps` of the input Transcript. */
  timestamps: 'word' | 'segment' | 'none';
  /** The unit speakers were assigned to. */
  assignment: SpeakerAssignment;
  /** Whether sentence smoothing was applied. */
  smoothing: boolean;
}

export interface MergedTranscript {
  format: typeof MERGED_FORMAT;
  version: 1;
  language?: string;
  /** Seconds, from the transcript (or diarization) when known. */
  duration?: number;
  /** Speakers in order of first appearance; every utterance's speaker is listed. */
  speakers: MergedSpeaker[];
  /** Sorted by start. */
  utterances: Utterance[];
  source: MergedSource;
}

/** Speaker turns of a merged transcript (one per utterance), e.g. for DER. */
export function mergedToTurns(merged: MergedTranscript): { speaker: string; start: number; end: number }[] {
  return merged.utterances.map((u) => ({ speaker: u.speaker, start: u.start, end: u.end }));
}
