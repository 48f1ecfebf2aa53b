// Transcripts of the fake OpenAI server: deterministic words (from the upload's hash, or the
// test's own text) spread evenly over the audio's duration, rendered in each response_format
// (json, text, srt, vtt, verbose_json with segments and words, diarized_json).
import type { Answer } from '@spx/core/testing';

const LANGUAGES: Record<string, string> = { en: 'english', de: 'german', fr: 'french', es: 'spanish', it: 'italian', nl: 'dutch', pt: 'portuguese', ja: 'japanese' };
const VOCABULARY = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(' ');

export function renderTranscript(request: { model: string; format: string; fields: Record<string, string[]>; duration: number; text: string; language: string; diarize: boolean }): Answer {
  const { format, duration, text } = request;
  const tokens = text.split(/\s+/).filter(Boolean);
  const words = spread(tokens, duration);
  const segments = group(words);
  const round = (value: number) => Math.round(value * 100) / 100;
  const usage = request.model === 'whisper-1' ? { type: 'duration', seconds: Math.ceil(duration) } : { type: 'tokens', input_tokens: Math.ceil(duration * 10), output_tokens: tokens.length, total_tokens: Math.ceil(duration * 10) + tokens.length };
  const json = (value: unknown): Answer => ({ status: 200, json: value });
  const plain = (value: string): Answer => ({ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, raw: value });
  switch (format) {
    case 'text':
      return plain(`${text}\n`);
    case 'srt':
    case 'vtt':
      return plain(subtitles(segments, format));
    case 'verbose_json': {
      const granularities = request.fields['timestamp_granularities[]'] ?? request.fields.timestamp_granularities ?? ['segment'];
      return json({
        task: 'transcribe',
        language: LANGUAGES[request.language] ?? request.language,
        duration: round(duration),
        text,
        ...(granularities.includes('segment') ? { segments: segments.map((s, id) => ({ id, seek: 0, start: round(s.start), end: round(s.end), text: ` ${s.text}`, tokens: [], temperature: 0, avg_logprob: -0.2, compression_ratio: 1.2, no_speech_prob: 0.01 })) } : {}),
        ...(granularities.includes('word') ? { words: words.map((w) => ({ word: w.text.replace(/[.,]$/, ''), start: round(w.start), end: round(w.end) })) } : {}),
        usage,
      });
    }
    case 'diarized_json':
      return json({
        task: 'transcribe',
        duration: round(duration),
        text,
        segments: segments.map((s, id) => ({ type: 'transcript.text.segment', id: `seg_${String(id + 1).padStart(3, '0')}`, start: round(s.start), end: round(s.end), text: s.text, speaker: id % 2 === 0 ? 'A' : 'B' })),
        usage,
      });
    default:
      return json({ text, usage });
  }
}

interface Timed {
  text: string;
  start: number;
  end: number;
}

/** Even slots over the duration; each word fills 80 % of its slot. */
function spread(tokens: string[], duration: number): Timed[] {
  const slot = tokens.length > 0 ? duration / tokens.length : 0;
  return tokens.map((text, i) => ({ text, start: i * slot, end: i * slot + slot * 0.8 }));
}

/** Sentences of up to 8 words become segments. */
function group(words: Timed[]): Timed[] {
  const out: Timed[] = [];
  for (let i = 0; i < words.length; i += 8) {
    const part = words.slice(i, i + 8);
    out.push({ text: part.map((w) => w.text).join(' '), start: part[0]!.start, end: part[part.length - 1]!.end });
  }
  return out;
}

export function generatedText(sha256: string, duration: number, wordsPerSecond: number): string {
  const count = Math.max(1, Math.round(duration * wordsPerSecond));
  const seed = Buffer.from(sha256, 'hex');
  const words: string[] = [];
  for (let i = 0; i < count; i++) {
    let word = VOCABULARY[(seed[i % seed.length]! + i * 7) % VOCABULARY.length]!;
    if (i % 8 === 0) word = word[0]!.toUpperCase() + word.slice(1);
    if (i % 8 === 7 || i === count - 1) word += '.';
    words.push(word);
  }
  return words.join(' ');
}

function subtitles(segments: Timed[], kind: 'srt' | 'vtt'): string {
  const stamp = (t: number) => {
    const ms = Math.round(t * 1000);
    const h = String(Math.floor(ms / 3_600_000)).padStart(2, '0');
    const m = String(Math.floor(ms / 60_000) % 60).padStart(2, '0');
    const s = String(Math.floor(ms / 1000) % 60).padStart(2, '0');
    return `${h}:${m}:${s}${kind === 'srt' ? ',' : '.'}${String(ms % 1000).padStart(3, '0')}`;
  };
  const cues = segments.map((s, i) => `${kind === 'srt' ? `${i + 1}\n` : ''}${stamp(s.start)} --> ${stamp(s.end)}\n${s.text}\n`);
  return `${kind === 'vtt' ? 'WEBVTT\n\n' : ''}${cues.join('\n')}`;
}
