// The transcript page's data and its edits. The page shows the merged transcript with the saved
// edits applied (what the next export writes) and names utterances by their index in the merged
// file; a change from the page becomes an edit keyed by that utterance's speaker label and span.
import { applyEdits, canonicalJson, combineEdits, runTranscript, SpxError, utteranceKey, type MergedTranscript, type RunState, type TranscriptEdits, type UtteranceEdit } from './engine.js';

export interface TranscriptView {
  duration: number;
  speakers: Array<{ id: string; name: string }>;
  /** `[speaker, start, end, text, words, edited, originalSpeaker]`, words as `[text, start, end, confidence|null]`. */
  utterances: Array<[string, number, number, string, Array<[string, number, number, number | null]>, 0 | 1, string]>;
  dropped: Array<{ edit: string; reason: string }>;
  edits: TranscriptEdits;
  /** Whether the export on record was made with these edits (false: re-export to write them). */
  exported: boolean;
}

export async function transcriptView(state: RunState, edits: TranscriptEdits): Promise<{ view: TranscriptView; merged: MergedTranscript }> {
  const { merged } = await runTranscript(state);
  const outcome = applyEdits(merged, edits);
  const editedKeys = new Set((edits.utterances ?? []).map(utteranceKey));
  const utterances = outcome.merged.utterances.map((u, i): TranscriptView['utterances'][number] => {
    const original = merged.utterances[i]!;
    return [u.speaker, u.start, u.end, u.text, u.words.map((w) => [w.text, w.start, w.end, w.confidence ?? null]), editedKeys.has(utteranceKey(original)) ? 1 : 0, original.speaker];
  });
  const last = merged.utterances.at(-1);
  const exportRecord = Object.values(state.stages).find((r) => r.destination !== undefined);
  const exportedWith = exportRecord && typeof exportRecord.params === 'object' && exportRecord.params && !Array.isArray(exportRecord.params) ? (exportRecord.params.edits ?? {}) : undefined;
  return {
    merged,
    view: {
      duration: merged.duration ?? last?.end ?? 0,
      speakers: outcome.merged.speakers,
      utterances,
      dropped: outcome.dropped,
      edits,
      // The record keeps params as canonical JSON (keys sorted): compare in that form.
      exported: exportedWith !== undefined && canonicalJson(combineEdits(undefined, exportedWith as TranscriptEdits)) === canonicalJson(combineEdits(undefined, edits)),
    },
  };
}

/** What the page asks to change. */
export interface EditChange {
  /** Label → new name; null or "" removes the name. */
  speakers?: Record<string, string | null>;
  /** One utterance by index: its new text and/or speaker (its own values undo the edit). */
  utterance?: { index: number; text?: string; assign?: string };
  clear?: boolean;
}

export function changedEdits(saved: TranscriptEdits, change: EditChange, merged: MergedTranscript): TranscriptEdits {
  if (change.clear) return {};
  const speakers = { ...(saved.speakers ?? {}) };
  for (const [label, name] of Object.entries(change.speakers ?? {})) {
    if (typeof label !== 'string' || !label || label.length > 200) throw usage('a speaker label must be 1–200 characters');
    if (name === null || name === '') delete speakers[label];
    else if (typeof name === 'string' && name.trim() && name.length <= 200) speakers[label] = name.trim();
    else throw usage(`the name for ${label} must be 1–200 characters`);
  }
  let utterances = [...(saved.utterances ?? [])];
  if (change.utterance) {
    const { index, text, assign } = change.utterance;
    const original = Number.isInteger(index) ? merged.utterances[index] : undefined;
    if (!original) throw usage(`there is no utterance ${String(index)}`);
    const key = utteranceKey(original);
    const previous = utterances.find((e) => utteranceKey(e) === key);
    const next: UtteranceEdit = { speaker: original.speaker, start: original.start, end: original.end, ...(previous?.text !== undefined ? { text: previous.text } : {}), ...(previous?.assign !== undefined ? { assign: previous.assign } : {}) };
    if (text !== undefined) {
      if (typeof text !== 'string' || text.length > 20_000) throw usage('the text must be a string of at most 20,000 characters');
      if (text.trim() === original.text.trim()) delete next.text;
      else next.text = text.trim();
    }
    if (assign !== undefined) {
      if (typeof assign !== 'string' || !assign.trim() || assign.length > 200) throw usage('the speaker label must be 1–200 characters');
      if (assign.trim() === original.speaker) delete next.assign;
      else next.assign = assign.trim();
    }
    utterances = utterances.filter((e) => utteranceKey(e) !== key);
    if (next.text !== undefined || next.assign !== undefined) utterances.push(next);
  }
  return combineEdits(undefined, { speakers, utterances });
}

const usage = (message: string) => new SpxError('EDITS_INVALID', `Edit refused: ${message}.`, { hint: 'Edit from the transcript page.' });
