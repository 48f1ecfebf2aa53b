// victor-upmeet/whisperx: WhisperX large-v3; word alignment and pyannote diarization are opt-in.
import { defineAdapter, type AdapterOptions, type AdapterResult, type OutputInfo } from './types.js';
import { diarizationFrom, type Json } from '@spx/core';
import { badOutput, isObject, transcriptFromSegments } from './shared.js';

const NAME = 'whisperx';
/** Environment variable with the Hugging Face token WhisperX needs to diarize. */
export const HF_TOKEN_VARIABLE = 'HF_TOKEN';

/** Maps a WhisperX output (`{detected_language, segments}`) to canonical shapes. */
export function whisperxOutput(output: unknown, info: OutputInfo): AdapterResult {
  if (!isObject(output)) throw badOutput(NAME, `expected an object, got ${output === null ? 'null' : typeof output}`);
  if (!Array.isArray(output.segments)) throw badOutput(NAME, '"segments" is not an array');
  const transcript = transcriptFromSegments(NAME, output.segments, info, {
    confidence: 'score',
    wordsInheritSpeaker: false,
    language: output.detected_language,
  });
  return info.diarized ? { transcript, diarization: diarizationFrom(transcript.segments, info.engine, info.model, info.duration) } : { transcript };
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
