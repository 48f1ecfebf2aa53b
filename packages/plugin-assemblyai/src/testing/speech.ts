// What the fake AssemblyAI server "hears" in an upload: its duration (ffprobe on a temporary copy,
// the real tool) and a deterministic transcript for it — sentences of a few words, speakers taking
// turns by sentence, times in integer milliseconds as the API sends them — so that the same audio
// always gives the same answer and a resumed run's exports can be compared byte for byte.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeAudio } from '@spx/plugin-ffmpeg';

export interface FakeWord {
  text: string;
  start: number;
  end: number;
  confidence: number;
  speaker: string | null;
  channel: null;
}

export interface FakeUtterance {
  speaker: string;
  start: number;
  end: number;
  confidence: number;
  text: string;
  words: FakeWord[];
  channel: null;
}

const VOCABULARY = ['so', 'the', 'plan', 'for', 'today', 'is', 'simple', 'we', 'review', 'last', 'week', 'then', 'agree', 'on', 'next', 'steps', 'and', 'owners'];
const WORD_MS = 380;
const GAP_MS = 120;
const PAUSE_MS = 900;
const WORDS_PER_SENTENCE = 6;

/** Seconds of audio in `bytes`, or undefined when ffprobe cannot read them. */
export async function audioSeconds(bytes: Buffer): Promise<number | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'spx-fake-aai-'));
  try {
    const file = join(dir, 'upload');
    await writeFile(file, bytes);
    const { duration } = await probeAudio(file, { env: process.env });
    return duration > 0 ? duration : undefined;
  } catch {
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Speaker letters as the API gives them: A, B, …, Z, AA, AB, … */
function letter(n: number): string {
  return n < 26 ? String.fromCharCode(65 + n) : letter(Math.floor(n / 26) - 1) + letter(n % 26);
}

/** The words and utterances of `seconds` of audio for `speakers` voices (null: no speaker labels). */
export function cannedTranscript(seconds: number, audio: Buffer, speakers: number | null): { words: FakeWord[]; utterances: FakeUtterance[] | null } {
  const seed = createHash('sha256').update(audio).digest();
  const endMs = Math.floor(seconds * 1000);
  const words: FakeWord[] = [];
  const utterances: FakeUtterance[] = [];
  for (let t = 250, sentence = 0; t + WORD_MS <= endMs; sentence++) {
    const speaker = speakers === null ? null : letter(sentence % Math.max(1, speakers));
    const spoken: FakeWord[] = [];
    for (let i = 0; i < WORDS_PER_SENTENCE && t + WORD_MS <= endMs; i++, t += WORD_MS + GAP_MS) {
      const base = VOCABULARY[(seed[(sentence * WORDS_PER_SENTENCE + i) % seed.length]! + i) % VOCABULARY.length]!;
      const last = i === WORDS_PER_SENTENCE - 1 || t + 2 * WORD_MS + GAP_MS > endMs;
      const text = `${i === 0 ? base[0]!.toUpperCase() + base.slice(1) : base}${last ? '.' : ''}`;
      spoken.push({ text, start: t, end: t + WORD_MS, confidence: 0.9 + (seed[i]! % 10) / 100, speaker, channel: null });
    }
    t += PAUSE_MS - GAP_MS;
    words.push(...spoken);
    if (speaker !== null && spoken.length > 0) {
      const confidence = spoken.reduce((sum, w) => sum + w.confidence, 0) / spoken.length;
      utterances.push({ speaker, start: spoken[0]!.start, end: spoken.at(-1)!.end, confidence, text: spoken.map((w) => w.text).join(' '), words: spoken, channel: null });
    }
  }
  return { words, utterances: speakers === null ? null : utterances };
}
