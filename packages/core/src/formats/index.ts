// @spx/core/formats — file formats, each read or written in one place: WAV headers, RTTM, the
// encoded size of audio, the merged transcript (core/merge's output), the transcript edits applied
// to it, and its renderings as subtitles and documents (core/export's formats).
export { parseWav, readWavInfo, encodeWav, WAV_PCM, WAV_FLOAT, type WavInfo } from './wav.js';
export { writeRttm, parseRttm, rttmField } from './rttm.js';
export { encodedBytesPerSecond, bitrateValue, ENCODED_SIZE_FACTORS, AUDIO_FORMATS, type AudioFormat, type EncodedRate } from './audio-size.js';
export * from '../stages/merged.js';
export { mergeTranscript, MERGE_DEFAULTS, type MergeOptions, type MergeStats } from '../stages/merge.js';
export { buildCues, wrapLines, CUE_DEFAULTS, type Cue, type CueOptions } from '../stages/export/cues.js';
export { render, toSrt, toVtt, toJson, toTxt, toMarkdown, toRttm, toTsv, toDocx, EXPORT_FORMATS, MEDIA_TYPES, type ExportFormat, type RenderOptions } from '../stages/export/formats.js';
export { applyEdits, combineEdits, utteranceKey, TranscriptEditsSchema, type TranscriptEdits, type UtteranceEdit, type EditOutcome, type DroppedEdit } from '../stages/edits.js';
