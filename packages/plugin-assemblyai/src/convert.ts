// A completed AssemblyAI transcript → the canonical spx Transcript: integer milliseconds become
// seconds, each utterance (a speaker turn) a segment with its words, and the API's speaker
// letters SPEAKER_00, SPEAKER_01, … in order of first appearance. The answer is input: a word
// without finite times or text makes the whole answer API_BAD_RESPONSE rather than a wrong file.
import { TRANSCRIPT, checkDocument, numberSpeakers, transcriptDocument, type Segment, type Transcript, type Word } from '@spx/core';
import { SERVICE, badResponse, type ApiTranscript, type ApiWord } from './client.js';

export const ENGINE = 'assemblyai';

const seconds = (ms: number) => Math.round(ms) / 1000;

function toWord(word: ApiWord, id: string): Word {
  if (!word || typeof word.text !== 'string' || !Number.isFinite(word.start) || !Number.isFinite(word.end)) throw badResponse(`transcript ${id} holds a word without text or times`);
  const out: Word = { text: word.text, start: seconds(word.start), end: seconds(Math.max(word.start, word.end)) };
  if (typeof word.confidence === 'number' && word.confidence >= 0 && word.confidence <= 1) out.confidence = word.confidence;
  if (typeof word.speaker === 'string' && word.speaker) out.speaker = word.speaker;
  return out;
}

/** Consecutive words of one speaker as one segment (when the answer has no utterances). */
function turnsOf(words: Word[]): Segment[] {
  const segments: Segment[] = [];
  for (const word of words) {
    const last = segments.at(-1);
    if (last && last.speaker === word.speaker) {
      last.words!.push(word);
      last.end = word.end;
      last.text = `${last.text} ${word.text}`;
    } else segments.push({ start: word.start, end: word.end, text: word.text, words: [word], ...(word.speaker ? { speaker: word.speaker } : {}) });
  }
  return segments;
}

export interface ConvertOptions {
  /** Seconds, when known from the file (else the API's integer audio_duration). */
  duration?: number;
  /** The speech_models list sent, when the answer does not name the model used. */
  requestedModels: string[];
}

export function transcriptFromResult(result: ApiTranscript, options: ConvertOptions): Transcript {
  const id = result.id;
  if (!Array.isArray(result.words)) throw badResponse(`transcript ${id} is completed but holds no words list`);
  const utterances = Array.isArray(result.utterances) ? result.utterances : [];
  const segments: Segment[] =
    utterances.length > 0
      ? utterances.map((u) => {
          const words = (Array.isArray(u.words) ? u.words : []).map((w) => toWord({ ...w, speaker: w.speaker ?? u.speaker }, id));
          if (!Number.isFinite(u.start) || !Number.isFinite(u.end) || typeof u.text !== 'string') throw badResponse(`transcript ${id} holds an utterance without text or times`);
          return { start: seconds(u.start), end: seconds(Math.max(u.start, u.end)), text: u.text, words, ...(typeof u.speaker === 'string' && u.speaker ? { speaker: u.speaker } : {}) };
        })
      : turnsOf(result.words.map((w) => toWord(w, id)));
  const apiDuration = typeof result.audio_duration === 'number' && result.audio_duration >= 0 ? result.audio_duration : undefined;
  const duration = options.duration ?? apiDuration;
  const transcript = transcriptDocument({
    engine: ENGINE,
    model: typeof result.speech_model_used === 'string' && result.speech_model_used ? result.speech_model_used : options.requestedModels.join(','),
    language: typeof result.language_code === 'string' ? result.language_code : undefined,
    timestamps: 'word',
    duration,
    segments: numberSpeakers(segments),
  });
  return checkDocument(TRANSCRIPT, transcript, `the ${SERVICE} answer for transcript ${id}`);
}
