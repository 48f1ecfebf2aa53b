// Turns pyannoteAI job outputs into spx's canonical Diarization, the speaker-only timeline and,
// with STT orchestration, a canonical Transcript with words and speakers.
import { diarizationDocument, transcriptDocument, type Diarization, type Segment, type SpeakerTurn, type Transcript, type Word } from '@spx/core';
import type { ApiTranscribed, ApiTurn, DiarizeOutput, IdentifyOutput } from './client.js';

export const ENGINE = 'pyannoteai';

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Validated, sorted canonical turns. `rename` maps API labels (e.g. to identified names). */
export function toTurns(turns: readonly ApiTurn[] | undefined, rename: (label: string) => { speaker: string; confidence?: number } = (s) => ({ speaker: s })): SpeakerTurn[] {
  const out: SpeakerTurn[] = [];
  for (const turn of turns ?? []) {
    if (!turn || typeof turn.speaker !== 'string' || !Number.isFinite(turn.start) || !Number.isFinite(turn.end) || turn.end < turn.start) continue;
    const named = rename(turn.speaker);
    const own = turn.confidence?.[turn.speaker];
    const confidence = named.confidence ?? (typeof own === 'number' ? own / 100 : undefined);
    out.push({ speaker: named.speaker, start: round3(turn.start), end: round3(turn.end), ...(confidence === undefined ? {} : { confidence: round3(confidence) }) });
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/** Labels in order of first appearance. */
export function speakersOf(...lists: SpeakerTurn[][]): string[] {
  const seen = new Set<string>();
  for (const list of lists) for (const turn of [...list].sort((a, b) => a.start - b.start)) seen.add(turn.speaker);
  return [...seen];
}

export interface DiarizationMeta {
  model: string;
  duration?: number;
}

export function diarizationFromOutput(output: DiarizeOutput, meta: DiarizationMeta): Diarization {
  const turns = toTurns(output.diarization);
  const exclusiveTurns = output.exclusiveDiarization ? toTurns(output.exclusiveDiarization) : undefined;
  const duration = meta.duration === undefined ? undefined : round3(meta.duration);
  return diarizationDocument({ engine: ENGINE, model: meta.model, turns, exclusiveTurns, speakers: speakersOf(exclusiveTurns ?? [], turns), duration });
}

export interface SpeakerMatch {
  /** Diarization label, e.g. SPEAKER_00. */
  speaker: string;
  /** Matched voiceprint label, or null. */
  match: string | null;
  /** Confidence 0..1 of the match (or of the best candidate when unmatched). */
  confidence?: number;
  /** Every candidate's confidence, 0..1. */
  candidates?: Record<string, number>;
}

/** Diarization label → match, from `voiceprints` and, where missing, `identification`. */
export function matchesFromOutput(output: IdentifyOutput): SpeakerMatch[] {
  const matches = new Map<string, SpeakerMatch>();
  for (const entry of output.voiceprints ?? []) {
    if (!entry || typeof entry.speaker !== 'string') continue;
    const candidates = Object.fromEntries(Object.entries(entry.confidence ?? {}).filter(([, v]) => typeof v === 'number').map(([k, v]) => [k, round3(v / 100)]));
    const match = typeof entry.match === 'string' && entry.match ? entry.match : null;
    const best = match ? candidates[match] : Math.max(...Object.values(candidates), Number.NEGATIVE_INFINITY);
    matches.set(entry.speaker, {
      speaker: entry.speaker,
      match,
      ...(best !== undefined && Number.isFinite(best) ? { confidence: best } : {}),
      ...(Object.keys(candidates).length ? { candidates } : {}),
    });
  }
  for (const entry of output.identification ?? []) {
    if (!entry || typeof entry.diarizationSpeaker !== 'string' || matches.has(entry.diarizationSpeaker)) continue;
    matches.set(entry.diarizationSpeaker, { speaker: entry.diarizationSpeaker, match: typeof entry.match === 'string' && entry.match ? entry.match : null });
  }
  return [...matches.values()].sort((a, b) => a.speaker.localeCompare(b.speaker));
}

/**
 * Identification → canonical Diarization: matched turns carry the voiceprint label as speaker
 * (and the match confidence), unmatched ones keep the anonymous label; `names` maps every
 * matched label to its display name.
 */
export function identifiedDiarization(output: IdentifyOutput, meta: DiarizationMeta, displayNames: Record<string, string> = {}): { diarization: Diarization; matches: SpeakerMatch[] } {
  const matches = matchesFromOutput(output);
  const byLabel = new Map(matches.map((m) => [m.speaker, m]));
  const rename = (label: string) => {
    const m = byLabel.get(label);
    return m?.match ? { speaker: m.match, ...(m.confidence === undefined ? {} : { confidence: m.confidence }) } : { speaker: label };
  };
  let turns = toTurns(output.diarization, rename);
  if (turns.length === 0 && output.identification?.length) {
    turns = toTurns(output.identification.map((t) => ({ speaker: t.diarizationSpeaker ?? t.speaker, start: t.start, end: t.end })), rename);
  }
  const exclusiveTurns = output.exclusiveDiarization ? toTurns(output.exclusiveDiarization, rename) : undefined;
  const names: Record<string, string> = {};
  for (const m of matches) if (m.match) names[m.match] = displayNames[m.match] ?? m.match;
  const duration = meta.duration === undefined ? undefined : round3(meta.duration);
  return { diarization: diarizationDocument({ engine: ENGINE, model: meta.model, turns, exclusiveTurns, speakers: speakersOf(exclusiveTurns ?? [], turns), names, duration }), matches };
}


/**
 * A speaker-only Transcript (no words): one segment per exclusive turn (regular turns when the
 * engine gave no exclusive ones), neighbouring turns of one speaker joined, with the speaker
 * set and a short placeholder text "(speech, 2.3 s)". It lets core/merge + core/export write a
 * named speaker timeline (RTTM, TSV, TXT, SRT, JSON) when a pipeline has no transcription.
 */
export function timelineTranscript(diarization: Diarization): Transcript {
  const source = diarization.exclusiveTurns && diarization.exclusiveTurns.length > 0 ? diarization.exclusiveTurns : diarization.turns;
  const joined: SpeakerTurn[] = [];
  for (const turn of [...source].sort((a, b) => a.start - b.start)) {
    const last = joined[joined.length - 1];
    if (last && last.speaker === turn.speaker && turn.start - last.end <= 0.05) last.end = Math.max(last.end, turn.end);
    else joined.push({ speaker: turn.speaker, start: turn.start, end: turn.end });
  }
  const segments = joined.map((t) => ({ start: t.start, end: t.end, speaker: t.speaker, text: `(speech, ${(t.end - t.start).toFixed(1)} s)` }));
  return transcriptDocument({ engine: diarization.engine, model: diarization.model, timestamps: 'segment', duration: diarization.duration, segments });
}

/** Valid, sorted transcribed items (words or turns) with times rounded to ms. */
function transcribed(items: readonly ApiTranscribed[] | undefined): ApiTranscribed[] {
  const out: ApiTranscribed[] = [];
  for (const item of Array.isArray(items) ? items : []) {
    if (!item || typeof item.text !== 'string' || !item.text.trim() || typeof item.speaker !== 'string' || !Number.isFinite(item.start) || !Number.isFinite(item.end) || item.end < item.start || item.start < 0) continue;
    out.push({ start: round3(item.start), end: round3(item.end), text: item.text.trim(), speaker: item.speaker });
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}

/**
 * The STT orchestration's output as a canonical Transcript: one segment per transcribed turn,
 * holding the words of its speaker whose middle falls inside it; words no turn holds become
 * segments of their own (runs of one speaker). Word timestamps when the API gave words, else
 * segment ones. Undefined when the output has no transcription.
 */
export function transcriptFromOutput(output: DiarizeOutput, meta: DiarizationMeta & { sttModel: string }): Transcript | undefined {
  const words = transcribed(output.wordLevelTranscription);
  const turns = transcribed(output.turnLevelTranscription);
  if (output.wordLevelTranscription === undefined && output.turnLevelTranscription === undefined) return undefined;
  const toWord = (w: ApiTranscribed): Word => ({ text: w.text, start: w.start, end: w.end, speaker: w.speaker });
  const segments: Segment[] = [];
  const used = new Set<ApiTranscribed>();
  for (const turn of turns) {
    const own = words.filter((w) => !used.has(w) && w.speaker === turn.speaker && (w.start + w.end) / 2 >= turn.start && (w.start + w.end) / 2 <= turn.end);
    for (const w of own) used.add(w);
    segments.push({ start: turn.start, end: turn.end, text: turn.text, speaker: turn.speaker, ...(own.length ? { words: own.map(toWord) } : {}) });
  }
  let run: ApiTranscribed[] = [];
  const flush = () => {
    if (run.length) segments.push({ start: run[0]!.start, end: run[run.length - 1]!.end, text: run.map((w) => w.text).join(' '), speaker: run[0]!.speaker, words: run.map(toWord) });
    run = [];
  };
  for (const w of words.filter((word) => !used.has(word))) {
    if (run.length && run[0]!.speaker !== w.speaker) flush();
    run.push(w);
  }
  flush();
  segments.sort((a, b) => a.start - b.start || a.end - b.end);
  const duration = meta.duration === undefined ? undefined : round3(meta.duration);
  return transcriptDocument({ engine: ENGINE, model: `${meta.model} + ${meta.sttModel}`, timestamps: words.length > 0 ? 'word' : 'segment', duration, segments });
}
