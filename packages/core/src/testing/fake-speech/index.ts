// What fake speech APIs share to answer plausibly from the audio they receive: its duration
// (from the container header) and, for 16-bit PCM WAV, speech regions and per-region pitch
// grouped into speakers. The fake OpenAI, pyannoteAI and Deepgram servers use them.
export { audioDuration } from './audio-duration.js';
export { clusterByPitch, decodePcm16, medianPitch, pitchSimilarity, speechRegions, type Pcm, type Region } from './voice.js';
