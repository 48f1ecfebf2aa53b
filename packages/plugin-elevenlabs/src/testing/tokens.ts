// The fake Scribe answer for some audio: a deterministic token stream as the API sends it —
// `word` tokens with float-second times and a logprob ≤ 0, a `spacing` token between words, an
// `audio_event` "(laughter)" after every third sentence when events are asked for — with speakers
// taking turns by sentence. The first sentence goes to `speaker_1` when there are two voices
// (the API's ids are opaque and its examples sometimes start there), so a client that numbers
// speakers by id rather than by appearance is caught.
import { createHash } from 'node:crypto';

export interface FakeToken {
  text: string;
  start: number;
  end: number;
  type: 'word' | 'spacing' | 'audio_event';
  speaker_id: string;
  logprob: number;
}

const WORDS = 'well let us look at the numbers first then decide who takes which part of the work'.split(' ');
const SENTENCE = 5;
const round = (s: number) => Math.round(s * 1000) / 1000;

export function scribeTokens(seconds: number, audio: Buffer, options: { speakers: number; audioEvents: boolean }): FakeToken[] {
  const digest = createHash('sha256').update(audio).digest();
  const tokens: FakeToken[] = [];
  const voice = (sentence: number) => `speaker_${options.speakers > 1 ? (sentence + 1) % options.speakers : 0}`;
  let clock = 0.12;
  let index = 0;
  for (let sentence = 0; clock + 0.3 < seconds; sentence++) {
    const speaker_id = voice(sentence);
    for (let n = 0; n < SENTENCE && clock + 0.3 < seconds; n++, index++) {
      if (tokens.length > 0) tokens.push({ text: ' ', start: round(clock - 0.08), end: round(clock), type: 'spacing', speaker_id, logprob: 0 });
      const raw = WORDS[(digest[index % digest.length]! + index) % WORDS.length]!;
      const text = (n === 0 ? raw.charAt(0).toUpperCase() + raw.slice(1) : raw) + (n === SENTENCE - 1 || clock + 0.68 >= seconds ? '.' : '');
      tokens.push({ text, start: round(clock), end: round(clock + 0.3), type: 'word', speaker_id, logprob: -round((digest[(index + 7) % digest.length]! % 40) / 200) });
      clock += 0.38;
    }
    if (options.audioEvents && sentence % 3 === 2 && clock + 0.6 < seconds) {
      tokens.push({ text: ' ', start: round(clock - 0.08), end: round(clock), type: 'spacing', speaker_id, logprob: 0 });
      tokens.push({ text: '(laughter)', start: round(clock), end: round(clock + 0.5), type: 'audio_event', speaker_id, logprob: 0 });
      clock += 0.58;
    }
    clock += 0.7;
  }
  return tokens;
}
