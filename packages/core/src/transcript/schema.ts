// The canonical documents every engine emits and core/merge + core/export consume, declared once:
// each TypeBox schema below is both the JSON Schema files are validated against and, through
// Static<>, the TypeScript type (types.ts). Documented in docs/transcript-format.md. Times are
// seconds from the start of the input audio.
import { Type, type Static } from '@sinclair/typebox';

const seconds = (description: string) => Type.Number({ description });
const confidence = Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: '0..1 where the engine gives one.' }));

export const WordSchema = Type.Object({
  text: Type.String(),
  start: seconds('Start, seconds.'),
  end: seconds('End, seconds.'),
  confidence,
  speaker: Type.Optional(Type.String({ description: 'Set by engines that already know the speaker (turn-mode transcription, diarizing models).' })),
});

export const SegmentSchema = Type.Object({
  start: seconds('Start, seconds.'),
  end: seconds('End, seconds.'),
  text: Type.String({ description: "Text with the engine's punctuation and casing." }),
  words: Type.Optional(Type.Array(WordSchema, { description: 'Present when the engine returned word timestamps.' })),
  speaker: Type.Optional(Type.String()),
  chunk: Type.Optional(Type.Integer({ minimum: 0, description: 'Index into `chunks` this segment came from.' })),
});

export const ChunkProvenanceSchema = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  start: seconds('Offset of the chunk in the input audio, seconds.'),
  end: seconds('End of the chunk in the input audio, seconds.'),
  sha256: Type.Optional(Type.String()),
  bytes: Type.Optional(Type.Integer({ minimum: 0, description: 'Bytes uploaded for this chunk, where it was uploaded.' })),
});

export const TranscriptSchema = Type.Object({
  format: Type.Literal('spx-transcript'),
  version: Type.Literal(1),
  engine: Type.String({ description: 'Engine id, e.g. "openai", "replicate/whisperx", "local/pocketsphinx".' }),
  model: Type.Optional(Type.String()),
  language: Type.Optional(Type.String()),
  timestamps: Type.Union([Type.Literal('word'), Type.Literal('segment'), Type.Literal('none')], { description: 'What the timestamps really are: never invented.' }),
  duration: Type.Optional(Type.Number({ minimum: 0 })),
  segments: Type.Array(SegmentSchema),
  chunks: Type.Optional(Type.Array(ChunkProvenanceSchema)),
});

export const SpeakerTurnSchema = Type.Object({
  speaker: Type.String(),
  start: seconds('Start, seconds.'),
  end: seconds('End, seconds.'),
  confidence: Type.Optional(Type.Number({ description: 'Match or assignment confidence, where the engine gives one.' })),
});

export const DiarizationSchema = Type.Object({
  format: Type.Literal('spx-diarization'),
  version: Type.Literal(1),
  engine: Type.String(),
  model: Type.Optional(Type.String()),
  turns: Type.Array(SpeakerTurnSchema, { description: 'Possibly overlapping turns (who speaks when).' }),
  exclusiveTurns: Type.Optional(Type.Array(SpeakerTurnSchema, { description: 'One speaker at a time, where the engine provides it; merge prefers these.' })),
  speakers: Type.Array(Type.String(), { description: 'Speaker labels in order of first appearance.' }),
  names: Type.Optional(Type.Record(Type.String(), Type.String(), { description: "Label → display name (identification, or a pipeline's `speakers` map)." })),
  duration: Type.Optional(Type.Number({ minimum: 0 })),
});

export type Word = Static<typeof WordSchema>;
export type Segment = Static<typeof SegmentSchema>;
export type ChunkProvenance = Static<typeof ChunkProvenanceSchema>;
export type Transcript = Static<typeof TranscriptSchema>;
export type SpeakerTurn = Static<typeof SpeakerTurnSchema>;
export type Diarization = Static<typeof DiarizationSchema>;
