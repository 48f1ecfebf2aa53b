// thomasmol/whisper-diarization: faster-whisper + pyannote; always labels speakers.
import type { Json } from '@spx/core';
import { defineAdapter, type AdapterResult, type OutputInfo } from './types.js';
import { diarizationFrom } from '@spx/core';
import { badOutput, isObject, transcriptFromSegments } from './shared.js';

const NAME = 'whisper-diarization';

/** Maps a whisper-diarization output (`{segments, num_speakers, language}`) to canonical shapes. */
export function whisperDiarizationOutput(output: unknown, info: OutputInfo): AdapterResult {
  if (!isObject(output)) throw badOutput(NAME, `expected an object, got ${output === null ? 'null' : typeof output}`);
  if (!Array.isArray(output.segments)) throw badOutput(NAME, '"segments" is not an array');
  const transcript = transcriptFromSegments(NAME, output.segments, info, {
    confidence: 'probability',
    wordsInheritSpeaker: true,
    language: output.language,
  });
  return { transcript, diarization: diarizationFrom(transcript.segments, info.engine, info.model, info.duration) };
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
