// Quality metrics: word error rate and diarization error rate.
export { normalizeWords, wordErrorRate, type AlignmentOp, type NormalizeOptions, type WerOptions, type WerResult } from './wer.js';
export { diarizationErrorRate, DEFAULT_COLLAR, type DerOptions, type DerResult } from './der.js';
export { maxWeightAssignment } from './hungarian.js';
