// @spx/plugin-elevenlabs: diarized, word-timed transcripts from ElevenLabs Scribe.
import { createRequire } from 'node:module';
import { definePlugin } from '@spx/core';
import { transcribeStage } from './stages/transcribe.js';

const { name, version } = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export default definePlugin({ name, version, apiVersion: 1, stages: { 'elevenlabs/transcribe': transcribeStage } });

export { transcribeStage, DEFAULT_MODEL, LIMITS, PRICING, type TranscribeParams, type TranscribeOutputs } from './stages/transcribe.js';
export { ScribeClient, readDetail, SERVICE, KEY_VARIABLE, BASE_URL_VARIABLE, DEFAULT_BASE_URL, type ApiToken, type ApiTranscription, type ScribeRequest, type ScribeClientOptions, type TokenType } from './client.js';
export { transcriptFromScribe, confidenceOf, ENGINE, type ConvertOptions } from './convert.js';
