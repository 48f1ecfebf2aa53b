// Transcript edits: speaker names, an utterance given to another speaker, an utterance's text
// fixed. They are an overlay that core/export applies to the merged transcript; the merged file
// (and every paid output before it) is never changed. An utterance edit names the utterance by its
// speaker label and time span in the merged transcript it was made on, so the same edits still
// apply after upstream stages rerun — and an edit whose utterance is gone is dropped, with a reason.
import { Type, type Static } from '@sinclair/typebox';
import type { MergedTranscript, MergedWord, Utterance } from './merged.js';

/** Seconds an utterance's start and end may move (an upstream rerun) and still take its edit. */
export const EDIT_TOLERANCE = 0.3;

const label = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });

export const UtteranceEditSchema = Type.Object(
  {
    speaker: label('Speaker label of the utterance as the merged transcript has it (e.g. "SPEAKER_01").'),
    start: Type.Number({ minimum: 0, description: 'Start of the utterance, seconds.' }),
    end: Type.Number({ minimum: 0, description: 'End of the utterance, seconds.' }),
    text: Type.Optional(Type.String({ maxLength: 20_000, description: 'The corrected text.' })),
    assign: Type.Optional(label('Speaker label the utterance is given to instead.')),
  },
  { additionalProperties: false },
);

export const TranscriptEditsSchema = Type.Object(
  {
    speakers: Type.Optional(Type.Record(Type.String({ minLength: 1, maxLength: 200 }), Type.String({ minLength: 1, maxLength: 200 }), { description: 'Speaker label → display name.' })),
    utterances: Type.Optional(Type.Array(UtteranceEditSchema, { maxItems: 100_000, description: 'Edits of single utterances.' })),
  },
  { additionalProperties: false, description: 'Transcript edits (docs/transcript-format.md#edits).' },
);

export type UtteranceEdit = Static<typeof UtteranceEditSchema>;
export type TranscriptEdits = Static<typeof TranscriptEditsSchema>;

/** An edit that no longer fits the transcript, and why. */
export interface DroppedEdit {
  edit: string;
  reason: string;
}

export interface EditOutcome {
  merged: MergedTranscript;
  /** Names applied / utterance edits applied. */
  applied: { speakers: number; utterances: number };
  dropped: DroppedEdit[];
}

export function isEmptyEdits(edits: TranscriptEdits | undefined): boolean {
  return !edits || (Object.keys(edits.speakers ?? {}).length === 0 && (edits.utterances ?? []).length === 0);
}

/** `later` over `earlier`: its names replace theirs, its utterance edits replace theirs for the same utterance. */
export function combineEdits(earlier: TranscriptEdits | undefined, later: TranscriptEdits | undefined): TranscriptEdits {
  const named = { ...(earlier?.speakers ?? {}), ...(later?.speakers ?? {}) };
  const speakers = Object.fromEntries(Object.keys(named).sort().map((id) => [id, named[id]!]));
  const byKey = new Map<string, UtteranceEdit>();
  for (const edit of [...(earlier?.utterances ?? []), ...(later?.utterances ?? [])]) {
    const key = utteranceKey(edit);
    byKey.set(key, { ...byKey.get(key), ...edit });
  }
  const utterances = [...byKey.values()].sort((a, b) => a.start - b.start || a.speaker.localeCompare(b.speaker));
  return { ...(Object.keys(speakers).length ? { speakers } : {}), ...(utterances.length ? { utterances } : {}) };
}

/** Identifies an utterance edit: the utterance's label and span (to the millisecond). */
export function utteranceKey(u: { speaker: string; start: number; end: number }): string {
  return `${u.speaker}@${u.start.toFixed(3)}-${u.end.toFixed(3)}`;
}

export function describeEdit(e: UtteranceEdit): string {
  return `utterance ${e.start.toFixed(2)}–${e.end.toFixed(2)} s of ${e.speaker}`;
}

/** The merged transcript with the edits applied (a new object; `merged` is left as it is). */
export function applyEdits(merged: MergedTranscript, edits: TranscriptEdits): EditOutcome {
  const utterances = merged.utterances.map((u) => ({ ...u }));
  const dropped: DroppedEdit[] = [];
  const taken = new Set<number>();
  let appliedUtterances = 0;
  for (const edit of edits.utterances ?? []) {
    const index = matchUtterance(merged.utterances, edit, taken);
    if (index === undefined) {
      dropped.push({ edit: describeEdit(edit), reason: 'the transcript has no utterance of that speaker at that time any more' });
      continue;
    }
    taken.add(index);
    const target = utterances[index]!;
    if (edit.assign !== undefined) target.speaker = edit.assign;
    if (edit.text !== undefined && edit.text !== target.text) retext(target, edit.text);
    appliedUtterances++;
  }
  const names = new Map(merged.speakers.map((s) => [s.id, s.name]));
  let appliedSpeakers = 0;
  for (const [id, name] of Object.entries(edits.speakers ?? {})) {
    if (!Object.hasOwn(edits.speakers!, id)) continue;
    if (!names.has(id) && !utterances.some((u) => u.speaker === id)) {
      dropped.push({ edit: `name "${name}" for ${id}`, reason: 'no utterance has that speaker' });
      continue;
    }
    names.set(id, name);
    appliedSpeakers++;
  }
  const speakers: MergedTranscript['speakers'] = [];
  const listed = new Set<string>();
  for (const u of utterances) {
    u.name = names.get(u.speaker) ?? u.speaker;
    if (!listed.has(u.speaker)) {
      listed.add(u.speaker);
      speakers.push({ id: u.speaker, name: u.name });
    }
  }
  return { merged: { ...merged, speakers, utterances }, applied: { speakers: appliedSpeakers, utterances: appliedUtterances }, dropped };
}

/** Index of the utterance an edit names: same label, start and end within the tolerance, the closest one. */
function matchUtterance(utterances: Utterance[], edit: UtteranceEdit, taken: ReadonlySet<number>): number | undefined {
  // Utterances are sorted by start: find the first that can start within the tolerance.
  let lo = 0;
  let hi = utterances.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (utterances[mid]!.start < edit.start - EDIT_TOLERANCE) lo = mid + 1;
    else hi = mid;
  }
  let best: number | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let i = lo; i < utterances.length && utterances[i]!.start <= edit.start + EDIT_TOLERANCE; i++) {
    const u = utterances[i]!;
    if (taken.has(i) || u.speaker !== edit.speaker || Math.abs(u.end - edit.end) > EDIT_TOLERANCE) continue;
    const distance = Math.abs(u.start - edit.start) + Math.abs(u.end - edit.end);
    if (distance < bestDistance) {
      best = i;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * New text for an utterance. With as many words as before, each word keeps its timing and takes
 * the new spelling (the usual fix: a misheard word); otherwise the word timings no longer say
 * which word is when, and the utterance keeps only its span (exports divide it by text length).
 * A changed word loses its confidence: the recogniser's doubt was about the old word.
 */
function retext(u: Utterance, text: string): void {
  u.text = text;
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  if (u.words.length > 0 && tokens.length === u.words.length) {
    u.words = u.words.map((w, i): MergedWord => {
      if (w.text === tokens[i]) return w;
      const { confidence: _dropped, ...rest } = w;
      return { ...rest, text: tokens[i]! };
    });
  } else u.words = [];
  const confidences = u.words.map((w) => w.confidence).filter((c): c is number => c !== undefined);
  if (confidences.length > 0) u.confidence = confidences.reduce((a, b) => a + b, 0) / confidences.length;
  else delete u.confidence;
}
