// @spx/plugin-pyannote: diarization, voiceprints and speaker identification with the pyannoteAI API.
import { createRequire } from 'node:module';
import { definePlugin } from '@spx/core';
import { diarizeStage } from './stages/diarize.js';
import { identifyStage } from './stages/identify.js';
import { voiceprintStage } from './stages/voiceprint.js';

const { name, version } = createRequire(import.meta.url)('../package.json') as { name: string; version: string };
const stages = { 'pyannote/diarize': diarizeStage, 'pyannote/voiceprint': voiceprintStage, 'pyannote/identify': identifyStage };

export default definePlugin({ name, version, apiVersion: 1, stages });

export { diarizeStage, identifyStage, voiceprintStage };
export type { DiarizeParams, DiarizeOutputs } from './stages/diarize.js';
export type { IdentifyParams, IdentifyOutputs } from './stages/identify.js';
export type { VoiceprintParams, VoiceprintOutputs } from './stages/voiceprint.js';
export * from './client.js';
export { diarizationFromOutput, identifiedDiarization, matchesFromOutput, toTurns, transcriptFromOutput, ENGINE, type SpeakerMatch } from './convert.js';
export { pyannoteJob, jobState, uploadMedia, mediaKeyFor, MEDIA_KEPT_MS, MEDIA_REUSE_MS, type JobRecord } from './jobs.js';
export { declaredSpeakers, readVoiceprintFile, voiceprintFor, VOICEPRINT_FORMAT, AUDIO_EXTENSIONS, type VoiceprintFile, type SpeakerSource, type SpeakerDeclaration } from './voiceprints.js';
export { PRICING, readEnv } from './stages/common.js';
