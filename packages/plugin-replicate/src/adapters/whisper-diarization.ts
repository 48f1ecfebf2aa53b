// thomasmol/whisper-diarization: faster-whisper + pyannote; always labels speakers.
import type { Json, Segment, Transcript } from '@spx/core';
import { defineAdapter, type AdapterResult, type OutputInfo } from './types.js';
import { badOutput, collapseSpace, diarizationFrom, isObject, num, placeWords, sec, speakerLabel, type RawWord } from './shared.js';

const NAME = 'whisper-diarization';

/** Maps a whisper-diarization output (`{segments, num_speakers, language}`) to canonical shapes. */
export function whisperDiarizationOutput(output: unknown, info: OutputInfo): AdapterResult {
  if (!isObject(output)) throw badOutput(NAME, `expected an object, got ${output === null ? 'null' : typeof output}`);
  if (!Array.isArray(output.segments)) throw badOutput(NAME, '"segments" is not an array');
  const segments: Segment[] = [];
  output.segments.forEach((raw, index) => {
    if (!isObject(raw)) throw badOutput(NAME, `segments[${index}] is not an object`);
    const start = num(raw.start);
    const end = num(raw.end);
    if (start === undefined || end === undefined) throw badOutput(NAME, `segments[${index}] lacks start/end`);
    const speaker = speakerLabel(raw.speaker);
    const rawWords: RawWord[] = Array.isArray(raw.words)
      ? raw.words.filter(isObject).map((w) => {
          const wordSpeaker = speakerLabel(w.speaker) ?? speaker;
          const confidence = num(w.probability);
          return {
            text: typeof w.word === 'string' ? w.word.trim() : '',
            start: num(w.start),
            end: num(w.end),
            ...(confidence !== undefined ? { confidence: Math.min(1, Math.max(0, confidence)) } : {}),
            ...(wordSpeaker ? { speaker: wordSpeaker } : {}),
          };
        })
      : [];
    const words = placeWords(rawWords, start, end);
    const text = typeof raw.text === 'string' ? collapseSpace(raw.text) : words.map((w) => w.text).join(' ');
    if (text === '' && words.length === 0) return;
    segments.push({ start: sec(start), end: sec(Math.max(start, end)), text, ...(words.length > 0 ? { words } : {}), ...(speaker ? { speaker } : {}) });
  });
  const language = typeof output.language === 'string' && output.language ? output.language : undefined;
  const transcript: Transcript = {
    format: 'spx-transcript',
    version: 1,
    engine: info.engine,
    model: info.model,
    ...(language ? { language } : {}),
    timestamps: segments.some((s) => s.words && s.words.length > 0) ? 'word' : 'segment',
    ...(info.duration !== undefined ? { duration: info.duration } : {}),
    segments,
  };
  return { transcript, diarization: diarizationFrom(segments, info.engine, info.model, info.duration) };
}

export const whisperDiarization = defineAdapter({
  name: NAME,
  model: 'thomasmol/whisper-diarization',
  diarizes: () => true,
  input(audio, options) {
    const input: Record<string, Json> = { file: audio };
    if (options.speakers !== undefined) input.num_speakers = options.speakers;
    if (options.language) input.language = options.language;
    if (options.prompt) input.prompt = options.prompt;
    return input;
  },
  output: whisperDiarizationOutput,
});
