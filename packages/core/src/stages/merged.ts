// The merged transcript: who said each word. core/merge writes it, core/export reads it.
// Documented field by field in docs/transcript-format.md; the schemas below are its types too.
import { Type, type Static } from '@sinclair/typebox';
import type { DocumentKind } from '../transcript/read.js';

/** Label used for text no speaker turn covers (within the merge tolerance). */
export const UNKNOWN_SPEAKER = 'unknown';

export const MERGED_FORMAT = 'spx-merged' as const;

const seconds = (description: string) => Type.Number({ description });

export const MergedWordSchema = Type.Object({
  text: Type.String({ description: "Word with the transcript's punctuation and casing." }),
  start: seconds('Start, seconds.'),
  end: seconds('End, seconds.'),
  confidence: Type.Optional(Type.Number()),
  overlapped: Type.Optional(Type.Boolean({ description: 'Set when turns of two or more speakers overlap this word.' })),
});

export const UtteranceSchema = Type.Object({
  speaker: Type.String({ description: 'Speaker label (e.g. "SPEAKER_00"), or "unknown".' }),
  name: Type.String({ description: 'Display name: the `names` mapping of the label, else the label itself.' }),
  start: seconds('Start, seconds.'),
  end: seconds('End, seconds.'),
  text: Type.String({ description: "Text with the transcript's punctuation and casing." }),
  words: Type.Array(MergedWordSchema, { description: 'The words, when the transcript had word timestamps; empty otherwise.' }),
  overlapped: Type.Boolean({ description: "True when at least one of its words (or its segment) overlaps another speaker's turn." }),
  confidence: Type.Optional(Type.Number({ description: 'Mean word confidence, where the transcript engine gave confidences.' })),
});

export const MergedSpeakerSchema = Type.Object({ id: Type.String(), name: Type.String() });

/** How text was given speakers. */
export const SpeakerAssignmentSchema = Type.Union([Type.Literal('word'), Type.Literal('segment'), Type.Literal('segment-split'), Type.Literal('transcript')]);

export const MergedSourceSchema = Type.Object({
  transcriptEngine: Type.String({ description: '`engine` of the input Transcript.' }),
  transcriptModel: Type.Optional(Type.String()),
  diarizationEngine: Type.Optional(Type.String({ description: '`engine` of the input Diarization; absent when the transcript carried its own speakers.' })),
  diarizationModel: Type.Optional(Type.String()),
  timestamps: Type.Union([Type.Literal('word'), Type.Literal('segment'), Type.Literal('none')], { description: '`timestamps` of the input Transcript.' }),
  assignment: SpeakerAssignmentSchema,
  smoothing: Type.Boolean({ description: 'Whether sentence smoothing was applied.' }),
});

export const MergedTranscriptSchema = Type.Object({
  format: Type.Literal(MERGED_FORMAT),
  version: Type.Literal(1),
  language: Type.Optional(Type.String()),
  duration: Type.Optional(Type.Number({ minimum: 0, description: 'Seconds, from the transcript (or diarization) when known.' })),
  speakers: Type.Array(MergedSpeakerSchema, { description: "Speakers in order of first appearance; every utterance's speaker is listed." }),
  utterances: Type.Array(UtteranceSchema, { description: 'Sorted by start.' }),
  source: MergedSourceSchema,
});

export type MergedWord = Static<typeof MergedWordSchema>;
export type Utterance = Static<typeof UtteranceSchema>;
export type MergedSpeaker = Static<typeof MergedSpeakerSchema>;
export type SpeakerAssignment = Static<typeof SpeakerAssignmentSchema>;
export type MergedSource = Static<typeof MergedSourceSchema>;
export type MergedTranscript = Static<typeof MergedTranscriptSchema>;

export const MERGED: DocumentKind<typeof MergedTranscriptSchema> = { schema: MergedTranscriptSchema, what: 'Merged transcript', producedBy: 'core/merge' };

/** Speaker turns of a merged transcript (one per utterance), e.g. for DER. */
export function mergedToTurns(merged: MergedTranscript): { speaker: string; start: number; end: number }[] {
  return merged.utterances.map((u) => ({ speaker: u.speaker, start: u.start, end: u.end }));
}
