// Canonical data shapes every engine emits and core/merge + core/export consume.
// Documented in docs/transcript-format.md. Times are seconds from the start of the input audio.

export interface Word {
  text: string;
  start: number;
  end: number;
  /** 0..1 where the engine gives one. */
  confidence?: number;
  /** Set by engines that already know the speaker (turn-mode transcription, diarizing models). */
  speaker?: string;
}

export interface Segment {
  start: number;
  end: number;
  /** Text with the engine's punctuation and casing. */
  text: string;
  /** Present when the engine returned word timestamps. */
  words?: Word[];
  speaker?: string;
  /** Index into `chunks` this segment came from. */
  chunk?: number;
}

export interface ChunkProvenance {
  index: number;
  /** Offset of the chunk in the input audio, seconds. */
  start: number;
  end: number;
  sha256?: string;
  /** Bytes uploaded for this chunk, where it was uploaded. */
  bytes?: number;
}

export interface Transcript {
  format: 'spx-transcript';
  version: 1;
  /** Engine id, e.g. "openai", "replicate/whisperx", "local/pocketsphinx". */
  engine: string;
  model?: string;
  language?: string;
  /** What the timestamps really are: never invented. */
  timestamps: 'word' | 'segment' | 'none';
  duration?: number;
  segments: Segment[];
  chunks?: ChunkProvenance[];
}

export interface SpeakerTurn {
  speaker: string;
  start: number;
  end: number;
  /** Match or assignment confidence, where the engine gives one. */
  confidence?: number;
}

export interface Diarization {
  format: 'spx-diarization';
  version: 1;
  engine: string;
  model?: string;
  /** Possibly overlapping turns (who speaks when). */
  turns: SpeakerTurn[];
  /** One speaker at a time, where the engine provides it; merge prefers these. */
  exclusiveTurns?: SpeakerTurn[];
  /** Speaker labels in order of first appearance. */
  speakers: string[];
  /** Label → display name (identification, or a pipeline's `speakers` map). */
  names?: Record<string, string>;
  duration?: number;
}

export const TRANSCRIPT_FORMAT = 'spx-transcript';
export const DIARIZATION_FORMAT = 'spx-diarization';
