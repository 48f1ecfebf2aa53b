// Deterministic, plausible model outputs for the fake server, laid out over the audio's duration.

const SENTENCES = [
  'Hello, thanks for calling.',
  'Hi, my order number is 42 17.',
  'Thank you, one moment please.',
  'I can see it shipped yesterday.',
  'Great, when will it arrive?',
  'It should be there by Friday.',
  'Perfect, that is all I needed.',
  'You are welcome, have a nice day.',
];

const WORD_SECONDS = 0.36;
const GAP_SECONDS = 0.3;

interface Planned {
  start: number;
  end: number;
  text: string;
  speaker: string;
  words: Array<{ word: string; start: number; end: number }>;
}

const r3 = (value: number) => Math.round(value * 1000) / 1000;

/** Lays sentences end to end over `duration` seconds, alternating `speakers` voices. */
export function planSegments(duration: number, speakers = 2): Planned[] {
  const planned: Planned[] = [];
  const voices = Math.max(1, Math.min(50, Math.floor(speakers)));
  let t = Math.min(0.2, duration / 10);
  for (let i = 0; t + WORD_SECONDS <= duration && i < 10_000; i++) {
    // A sentence cut by the end of the audio keeps only the words that fit.
    const fit = Math.floor((duration - t) / WORD_SECONDS + 1e-9);
    const tokens = SENTENCES[i % SENTENCES.length]!.split(' ').slice(0, fit);
    const end = t + tokens.length * WORD_SECONDS;
    const words = tokens.map((word, k) => ({ word, start: r3(t + k * WORD_SECONDS), end: r3(t + (k + 0.9) * WORD_SECONDS) }));
    planned.push({ start: r3(t), end: r3(end), text: tokens.join(' '), speaker: `SPEAKER_${String(i % voices).padStart(2, '0')}`, words });
    t = end + GAP_SECONDS;
  }
  return planned;
}

function probability(seed: number): number {
  return r3(0.8 + ((seed * 37) % 19) / 100);
}

export interface WhisperDiarizationFakeOptions {
  speakers?: number;
  language?: string;
}

/** thomasmol/whisper-diarization output: segments with words (leading space kept), probabilities and speakers. */
export function fakeWhisperDiarizationOutput(duration: number, options: WhisperDiarizationFakeOptions = {}) {
  const speakers = options.speakers ?? 2;
  const segments = planSegments(duration, speakers).map((s, i) => ({
    start: s.start,
    end: s.end,
    text: s.text,
    speaker: s.speaker,
    avg_logprob: -r3(0.1 + (i % 5) * 0.05),
    duration: r3(s.end - s.start),
    words: s.words.map((w, k) => ({ start: w.start, end: w.end, word: ` ${w.word}`, probability: probability(i * 31 + k), speaker: s.speaker })),
  }));
  return { segments, num_speakers: new Set(segments.map((s) => s.speaker)).size, language: options.language ?? 'en' };
}

export interface WhisperxFakeOptions {
  align?: boolean;
  diarization?: boolean;
  speakers?: number;
  language?: string;
}

/** victor-upmeet/whisperx output: segments (text with a leading space); words when aligned (digits unaligned); speakers when diarized. */
export function fakeWhisperxOutput(duration: number, options: WhisperxFakeOptions = {}) {
  const segments = planSegments(duration, options.speakers ?? 2).map((s, i) => {
    const segment: Record<string, unknown> = { start: s.start, end: s.end, text: ` ${s.text}` };
    if (options.align) {
      segment.words = s.words.map((w, k) => {
        // WhisperX cannot align digits: such words come without start/end/score.
        if (/^\d/.test(w.word)) return options.diarization ? { word: w.word, speaker: s.speaker } : { word: w.word };
        const word: Record<string, unknown> = { word: w.word, start: w.start, end: w.end, score: probability(i * 17 + k) };
        if (options.diarization) word.speaker = s.speaker;
        return word;
      });
    }
    if (options.diarization) segment.speaker = s.speaker;
    return segment;
  });
  return { detected_language: options.language ?? 'en', segments };
}
