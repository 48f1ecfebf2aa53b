// What the fake Deepgram server hears in an upload: speech regions of 16-bit PCM WAV labelled
// by voice (a low or a high pitch, so one voice alone stays one speaker), numbered 0, 1, … in
// order of first appearance in that request — as Deepgram numbers each request's speakers on its
// own. Other media get evenly spread words with speakers taking turns. Words are deterministic.
import { createHash } from 'node:crypto';
import { audioDuration, decodePcm16, medianPitch, speechRegions } from '@spx/core/testing';
import { parseWav } from '@spx/core/formats';

export interface HeardWord {
  word: string;
  punctuated: string;
  start: number;
  end: number;
  confidence: number;
  speaker: number;
}

export type Heard = { ok: true; duration: number; sha256: string; words: HeardWord[] } | { ok: false; reason: string };

const VOCABULARY = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(' ');
/** Pitch between the two voices of the samples (espeak-ng male ~120 Hz, female ~200 Hz). */
const PITCH_SPLIT_HZ = 160;
const WORDS_PER_SECOND = 2.5;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

interface Span {
  start: number;
  end: number;
  voice: string;
}

export function hear(data: Buffer): Heard {
  const sha256 = createHash('sha256').update(data).digest('hex');
  const duration = audioDuration(data);
  if (data.length < 16 || duration === undefined || !(duration > 0)) return { ok: false, reason: 'failed to process audio: corrupt or unsupported data' };
  const wav = parseWav(data);
  let spans: Span[];
  if (wav && wav.formatTag === 1 && wav.bitsPerSample === 16) {
    const pcm = decodePcm16(data, wav.dataOffset, wav.dataBytes, wav.sampleRate, wav.channels);
    let voice = 'low';
    spans = speechRegions(pcm).map((region) => {
      const f0 = medianPitch(pcm, region.start, region.end);
      if (f0 !== undefined) voice = f0 < PITCH_SPLIT_HZ ? 'low' : 'high';
      return { start: region.start, end: region.end, voice };
    });
  } else {
    spans = [];
    for (let t = 0, i = 0; t < duration - 0.2; i++, t += 3.5) spans.push({ start: t, end: Math.min(duration, t + 3.2), voice: i % 2 === 0 ? 'a' : 'b' });
  }
  const numbers = new Map<string, number>();
  const seed = Buffer.from(sha256, 'hex');
  const words: HeardWord[] = [];
  for (const span of spans) {
    if (!numbers.has(span.voice)) numbers.set(span.voice, numbers.size);
    const count = Math.max(1, Math.round((span.end - span.start) * WORDS_PER_SECOND));
    const slot = (span.end - span.start) / count;
    for (let k = 0; k < count; k++) {
      const n = words.length;
      const word = VOCABULARY[(seed[n % seed.length]! + n * 7) % VOCABULARY.length]!;
      const last = k === count - 1;
      words.push({
        word,
        punctuated: `${k === 0 ? word[0]!.toUpperCase() + word.slice(1) : word}${last ? '.' : ''}`,
        start: round3(span.start + k * slot),
        end: round3(span.start + k * slot + slot * 0.8),
        confidence: round3(0.8 + (seed[(n + 3) % seed.length]! % 20) / 100),
        speaker: numbers.get(span.voice)!,
      });
    }
  }
  return { ok: true, duration, sha256, words };
}
