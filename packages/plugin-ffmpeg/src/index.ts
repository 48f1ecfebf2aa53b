// @spx/plugin-ffmpeg: stages that convert, probe and chunk audio with the real ffmpeg binaries,
// plus the library functions other plugins use to cut audio.
export { findBinaries, INSTALL_HINT, type Binaries } from './binaries.js';
export { probeAudio, measureDuration, type AudioInfo, type StreamInfo, type ProbeOptions } from './probe.js';
export {
  convertAudio,
  convertAudioMeasured,
  extractSegment,
  extractSegmentMeasured,
  formatFromPath,
  bitrateValue,
  AUDIO_FORMATS,
  MEDIA_TYPES,
  OPUS_SAMPLE_RATES,
  type AudioFormat,
  type ConvertOptions,
  type SegmentOptions,
  type EncodeOptions,
} from './convert.js';
export { detectSilences, type Silence, type SilenceOptions } from './silence.js';
export { planChunks, chunkLimit, type ChunkPlan, type ChunkPlanOptions } from './plan.js';
export { summarizeStderr } from './errors.js';
