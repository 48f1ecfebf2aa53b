// A Scribe answer → the canonical spx Transcript. `words[]` mixes three kinds of token: words
// become Words (confidence exp(logprob), 0..1), `spacing` tokens only join the text of a segment
// (so languages written without spaces keep their form), and `audio_event` tokens such as
// "(laughter)" are kept as words when they were asked for, else dropped. The API has no segments:
// consecutive tokens of one speaker form one, and speaker ids (`speaker_0`, sometimes starting at
// `speaker_1`) become SPEAKER_00, SPEAKER_01, … in order of first appearance.
import { TRANSCRIPT, checkDocument, numberSpeakers, transcriptDocument, type Segment, type Transcript, type Word } from '@spx/core';
import type { ApiToken, ApiTranscription } from './client.js';

export const ENGINE = 'elevenlabs';

/** exp(logprob) as a 0..1 confidence; undefined when the API gave none. */
export function confidenceOf(logprob: number | undefined): number | undefined {
  if (typeof logprob !== 'number' || Number.isNaN(logprob)) return undefined;
  return Math.min(1, Math.max(0, Math.exp(Math.min(0, logprob))));
}

export interface ConvertOptions {
  model: string;
  /** Speaker ids are kept only when diarization was asked for (the API may label everything speaker_0). */
  diarized: boolean;
  /** Keep `audio_event` tokens as words. */
  audioEvents: boolean;
  /** Seconds, from the file when known. */
  duration?: number;
}

interface Building {
  segment: Segment;
  /** Text so far, spacing included, not yet trimmed. */
  text: string;
}

export function transcriptFromScribe(answer: ApiTranscription, options: ConvertOptions): Transcript {
  const built: Building[] = [];
  let pendingSpace = '';
  for (const token of answer.words) {
    if (token.type === 'spacing') {
      pendingSpace += token.text;
      continue;
    }
    if (token.type === 'audio_event' && !options.audioEvents) continue;
    const word = toWord(token, options.diarized);
    const current = built.at(-1);
    if (current && current.segment.speaker === word.speaker) {
      current.text += pendingSpace + word.text;
      current.segment.words!.push(word);
      current.segment.end = Math.max(current.segment.end, word.end);
    } else {
      built.push({ segment: { start: word.start, end: word.end, text: '', words: [word], ...(word.speaker ? { speaker: word.speaker } : {}) }, text: word.text });
    }
    pendingSpace = '';
  }
  const segments = built.map(({ segment, text }) => ({ ...segment, text: text.trim() }));
  const duration = options.duration ?? (typeof answer.audio_duration_secs === 'number' && answer.audio_duration_secs >= 0 ? answer.audio_duration_secs : undefined);
  const transcript = transcriptDocument({
    engine: ENGINE,
    model: options.model,
    language: typeof answer.language_code === 'string' ? answer.language_code : undefined,
    timestamps: 'word',
    duration,
    segments: numberSpeakers(segments),
  });
  return checkDocument(TRANSCRIPT, transcript, `the ElevenLabs answer${answer.transcription_id ? ` ${answer.transcription_id}` : ''}`);
}

function toWord(token: ApiToken, diarized: boolean): Word {
  // Checked by the client: words and events carry finite times.
  const start = token.start!;
  const word: Word = { text: token.text, start, end: Math.max(start, token.end!) };
  const confidence = token.type === 'word' ? confidenceOf(token.logprob) : undefined;
  if (confidence !== undefined) word.confidence = Math.round(confidence * 10_000) / 10_000;
  if (diarized && typeof token.speaker_id === 'string' && token.speaker_id) word.speaker = token.speaker_id;
  return word;
}
