// @spx/plugin-local: the offline engine. Silero VAD, pocketsphinx recognition and MFCC/BIC
// diarization, emitting the same canonical Transcript / Diarization files as the paid engines.
import { createRequire } from 'node:module';
import { definePlugin } from '@spx/core';
import { diarizeStage } from './stages/diarize.js';
import { transcribeStage } from './stages/transcribe.js';
import { vadStage } from './stages/vad.js';

export { streamPcm, readPcm, SAMPLE_RATE, type PcmStreamOptions } from './audio/pcm.js';
export { writeWav } from './audio/wav.js';
export { fft, powerSpectrum } from './dsp/fft.js';
export { MfccExtractor, melFilterbank, dctMatrix, hzToMel, melToHz, MFCC_DEFAULTS, type MfccOptions, type MfccResult } from './dsp/mfcc.js';
export { speechRegions, type Region, type RegionOptions } from './vad/regions.js';
export { detectSpeech, readSpeechSegments, SPEECH_FORMAT, VAD_DEFAULTS, type SpeechSegments, type VadOptions, type WorkHooks } from './vad/detect.js';
export { parsePocketsphinx, recognizeFile, findPocketsphinx, findPocketsphinxBatch, type Utterance } from './asr/pocketsphinx.js';
export { decodeBatch, parseHypseg, type BatchWord } from './asr/batch.js';
export { alignVersions, choiceGrammar, readPath, type Block } from './asr/union.js';
export { planRecognitionChunks, batchChunks, type Chunk } from './asr/plan.js';
export { transcribeSpeech, type TranscribeOptions } from './asr/transcribe.js';
export { statsOf, addStats, deltaBic, meanLogLikelihood, type GaussStats, type BicOptions } from './diarize/gaussian.js';
export { clusterBic, type ClusterOptions, type ClusterResult, type SpeakerCountConstraints } from './diarize/cluster.js';
export { detectChanges, PrefixStats } from './diarize/change.js';
export { diarizeSpeech, diarizeWindow, linkWindows, DIARIZE_DEFAULTS, type DiarizeOptions, type WindowResult } from './diarize/diarize.js';
export type { LocalVadParams } from './stages/vad.js';
export type { LocalTranscribeParams } from './stages/transcribe.js';
export type { LocalDiarizeParams } from './stages/diarize.js';

const { name, version } = createRequire(import.meta.url)('../package.json') as { name: string; version: string };
const stages = { 'local/vad': vadStage, 'local/transcribe': transcribeStage, 'local/diarize': diarizeStage };

export default definePlugin({ name, version, apiVersion: 1, stages });
