// Audio and annotation file formats, each read or written in one place.
export { parseWav, readWavInfo, encodeWav, WAV_PCM, WAV_FLOAT, type WavInfo } from './wav.js';
export { writeRttm, parseRttm, rttmField } from './rttm.js';
export { encodedBytesPerSecond, bitrateValue, ENCODED_SIZE_FACTORS, AUDIO_FORMATS, type AudioFormat, type EncodedRate } from './audio-size.js';
