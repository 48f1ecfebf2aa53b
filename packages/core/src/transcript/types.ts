// Canonical data shapes every engine emits and core/merge + core/export consume. The types come
// from the schemas in schema.ts (one declaration for both); docs/transcript-format.md documents
// them field by field. Times are seconds from the start of the input audio.
export type { ChunkProvenance, Diarization, Segment, SpeakerTurn, Transcript, Word } from './schema.js';

export const TRANSCRIPT_FORMAT = 'spx-transcript';
export const DIARIZATION_FORMAT = 'spx-diarization';
