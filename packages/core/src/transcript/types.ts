// Canonical data shapes every engine emits and core/merge + core/export consume. The types come
// from the schemas in schema.ts (one declaration for both); docs/transcript-format.md documents
// them field by field. Times are seconds from the start of the input audio. The two builders
// give every engine's documents one field order, so equal content is written as equal bytes.
import type { Diarization, SpeakerTurn, Transcript } from './schema.js';

export type { ChunkProvenance, Diarization, Segment, SpeakerTurn, Transcript, Word } from './schema.js';

export const TRANSCRIPT_FORMAT = 'spx-transcript';
export const DIARIZATION_FORMAT = 'spx-diarization';

/** A Transcript's fields but its format and version; an empty model or language and an unknown duration are left out. */
export type TranscriptFields = Omit<Transcript, 'format' | 'version' | 'model' | 'language' | 'duration'> & { model?: string | undefined; language?: string | undefined; duration?: number | undefined };

/** A canonical Transcript, its fields in the one order every engine writes them (equal content, equal bytes). */
export function transcriptDocument({ engine, model, language, timestamps, duration, segments, ...rest }: TranscriptFields): Transcript {
  return { format: TRANSCRIPT_FORMAT, version: 1, engine, ...(model ? { model } : {}), ...(language ? { language } : {}), timestamps, ...(duration === undefined ? {} : { duration }), segments, ...rest };
}

/** A Diarization's fields but its format and version; exclusive turns, names and a duration left undefined are left out. */
export type DiarizationFields = Pick<Diarization, 'engine' | 'turns' | 'speakers'> & { model: string; exclusiveTurns?: SpeakerTurn[] | undefined; names?: Record<string, string> | undefined; duration?: number | undefined };

/** A canonical Diarization, its fields in the one order every engine writes them. */
export function diarizationDocument({ engine, model, turns, exclusiveTurns, speakers, names, duration }: DiarizationFields): Diarization {
  return { format: DIARIZATION_FORMAT, version: 1, engine, model, turns, ...(exclusiveTurns ? { exclusiveTurns } : {}), speakers, ...(names ? { names } : {}), ...(duration === undefined ? {} : { duration }) };
}
