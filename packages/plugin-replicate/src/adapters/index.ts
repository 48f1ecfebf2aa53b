// The built-in adapters, by name.
import type { ReplicateAdapter } from './types.js';
import { whisperDiarization } from './whisper-diarization.js';
import { whisperx } from './whisperx.js';

export const builtinAdapters: Readonly<Record<string, ReplicateAdapter>> = Object.freeze({
  [whisperDiarization.name]: whisperDiarization,
  [whisperx.name]: whisperx,
});

export { whisperDiarization, whisperDiarizationOutput } from './whisper-diarization.js';
export { whisperx, whisperxOutput, HF_TOKEN_VARIABLE } from './whisperx.js';
export { defineAdapter, type ReplicateAdapter, type AdapterOptions, type AdapterResult, type OutputInfo } from './types.js';
export { placeWords } from './shared.js';
export { turnsFromSegments, diarizationFrom } from '@spx/core';
