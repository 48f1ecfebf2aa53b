// @spx/plugin-ffmpeg: stages that convert, probe and chunk audio with the real ffmpeg binaries,
// plus the library functions other plugins use to cut audio.
import { createRequire } from 'node:module';
import { definePlugin } from '@spx/core';
import { chunkStage } from './stages/chunk.js';
import { convertStage } from './stages/convert.js';
import { probeStage } from './stages/probe.js';

export { findBinaries, INSTALL_HINT, type Binaries, type Env } from './binaries.js';
export { probeAudio, measureDuration, audioDurationKnown, type AudioInfo, type StreamInfo, type ProbeOptions } from './probe.js';
export {
  convertAudio,
  convertAudioMeasured,
  extractSegment,
  extractSegmentMeasured,
  formatFromPath,
  MEDIA_TYPES,
  OPUS_SAMPLE_RATES,
  type ConvertOptions,
  type SegmentOptions,
  type EncodeOptions,
  type WriteResult,
} from './convert.js';
export { checkAudioLimits, checkedUpload, type AudioLimits, type CheckedAudio, type LimitOptions } from './limits.js';
export { detectSilences, type Silence, type SilenceOptions } from './silence.js';
export { planChunks, chunkLimit, type ChunkPlan, type ChunkPlanOptions } from './plan.js';
export { summarizeStderr } from './errors.js';

export type { Chunk, ChunkParams } from './stages/chunk.js';
export type { ConvertParams } from './stages/convert.js';
export type { ProbeParams } from './stages/probe.js';

const { name, version } = createRequire(import.meta.url)('../package.json') as { name: string; version: string };
const stages = { 'ffmpeg/convert': convertStage, 'ffmpeg/probe': probeStage, 'ffmpeg/chunk': chunkStage };

export default definePlugin({ name, version, apiVersion: 1, stages });
