// @spx/plugin-deepgram: the deepgram/transcribe stage (diarized, word-timed transcripts from
// Deepgram's pre-recorded API), plus its client. The fake server for tests lives in
// `@spx/plugin-deepgram/testing`.
import { createRequire } from 'node:module';
import { definePlugin } from '@spx/core';
import { transcribeStage } from './stages/transcribe.js';

const { name, version } = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export default definePlugin({ name, version, apiVersion: 1, stages: { 'deepgram/transcribe': transcribeStage } });

export { transcribeStage, PRICING, type TranscribeParams, type TranscribeOutputs } from './stages/transcribe.js';
export { DeepgramClient, errorMessage, queryString, SERVICE, KEY_VARIABLE, BASE_URL_VARIABLE, DEFAULT_BASE_URL, MAX_UPLOAD_BYTES, type DeepgramClientOptions, type ListenQuery, type ListenResponse, type ApiWord, type ApiUtterance } from './client.js';
export { listenPiece, type ListenPiece } from './convert.js';
