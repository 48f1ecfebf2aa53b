// @spx/plugin-openai: the openai/transcribe stage, plus the upload client and helpers
// other code may reuse. The fake server for tests lives in `@spx/plugin-openai/testing`.
import { createRequire } from 'node:module';
import { definePlugin } from '@spx/core';
import { transcribeStage } from './stages/transcribe.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export { transcribeStage, type TranscribeParams } from './stages/transcribe.js';
export { createClient, transcribeUpload, isoLanguage, KEY_VARIABLE, DEFAULT_BASE_URL, UPLOAD_LIMIT_BYTES, type ClientOptions, type TranscriptionClient, type UploadRequest, type UploadResult, type UploadSegment } from './client.js';
export { modelInfo, DEFAULT_MODEL, KNOWN_MODELS, type ModelInfo, type ResponseFormat } from './models.js';
export { tail } from './prompt.js';
export { groupTurns, type TurnGroup, type GroupOptions } from './turns.js';

export default definePlugin({
  name: '@spx/plugin-openai',
  version,
  apiVersion: 1,
  stages: { 'openai/transcribe': transcribeStage },
});
