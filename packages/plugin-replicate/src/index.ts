// @spx/plugin-replicate: run hosted speech models on Replicate as a resumable spx stage.
import { createRequire } from 'node:module';
import { definePlugin } from '@spx/core';
import { predictStage } from './stages/predict.js';

const { name, version } = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export default definePlugin({ name, version, apiVersion: 1, stages: { 'replicate/predict': predictStage } });

export { createPredictStage, predictStage, PRICE_PER_PREDICTION_SECOND, MAX_UPLOAD_BYTES, type PredictParams, type PredictOutputs, type PredictStageOptions } from './stages/predict.js';
export {
  ReplicateClient,
  baseUrlFromEnv,
  normalizeBaseUrl,
  DEFAULT_BASE_URL,
  TOKEN_VARIABLE,
  BASE_URL_VARIABLE,
  TERMINAL_STATUSES,
  type Prediction,
  type PredictionStatus,
  type FileObject,
  type CreatePredictionRequest,
  type ReplicateClientOptions,
} from './client.js';
export * from './adapters/index.js';
export { audioDuration, audioMediaType } from './audio.js';
