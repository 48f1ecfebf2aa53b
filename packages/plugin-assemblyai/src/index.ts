// @spx/plugin-assemblyai: diarized, word-timed transcripts from the AssemblyAI API.
import { createRequire } from 'node:module';
import { definePlugin } from '@spx/core';
import { transcribeStage } from './stages/transcribe.js';

const { name, version } = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export default definePlugin({ name, version, apiVersion: 1, stages: { 'assemblyai/transcribe': transcribeStage } });

export { transcribeStage, transcriptRequest, DEFAULT_SPEECH_MODELS, LIMITS, PRICING, type TranscribeParams, type TranscribeOutputs } from './stages/transcribe.js';
export { AssemblyAIClient, SERVICE, KEY_VARIABLE, BASE_URL_VARIABLE, DEFAULT_BASE_URL, type ApiTranscript, type ApiWord, type ApiUtterance, type TranscriptRequest, type AssemblyAIClientOptions } from './client.js';
export { transcriptFromResult, ENGINE } from './convert.js';
export { jobState, uploadAudio, UPLOAD_KEPT_MS, type JobRecord } from './jobs.js';
