// victor-upmeet/whisperx: WhisperX large-v3; word alignment and pyannote diarization are opt-in.
import type { Json, Segment, Transcript } from '@spx/core';
import { defineAdapter, type AdapterOptions, type AdapterResult, type OutputInfo } from './types.js';
import { badOutput, collapseSpace, diarizationFrom, isObject, num, placeWords, sec, speakerLabel, type RawWord } from './shared.js';

const NAME = 'whisperx';
/** Environment variable with the Hugging Face token WhisperX needs to diarize. */
export const HF_TOKEN_VARIABLE = 'HF_TOKEN';

/** Maps a WhisperX output (`{detected_language, segments}`) to canonical shapes. */
export function whisperxOutput(output: unknown, info: OutputInfo): AdapterResult {
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
          const wordSpeaker = speakerLabel(w.speaker);
          const confidence = num(w.score);
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
  const language = typeof output.detected_language === 'string' && output.detected_language ? output.detected_language : undefined;
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
  return info.diarized ? { transcript, diarization: diarizationFrom(segments, info.engine, info.model, info.duration) } : { transcript };
}

const diarizes = (options: AdapterOptions) => options.diarize === true;

export const whisperx = defineAdapter({
  name: NAME,
  model: 'victor-upmeet/whisperx',
  diarizes,
  requiredEnv: (options) => (diarizes(options) ? [HF_TOKEN_VARIABLE] : []),
  input(audio, options, env) {
    // Word timestamps are always asked for: they cost little and let exports place words.
    const input: Record<string, Json> = { audio_file: audio, align_output: true };
    if (options.language) input.language = options.language;
    if (options.prompt) input.initial_prompt = options.prompt;
    if (diarizes(options)) {
      input.diarization = true;
      const token = env[HF_TOKEN_VARIABLE];
      if (token) input.huggingface_access_token = token;
      const min = options.minSpeakers ?? options.speakers;
      const max = options.maxSpeakers ?? options.speakers;
      if (min !== undefined) input.min_speakers = min;
      if (max !== undefined) input.max_speakers = max;
    }
    return input;
  },
  output: whisperxOutput,
});
