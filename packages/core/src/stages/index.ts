// The built-in plugin: core/merge and core/export, registered by the engine as built in.
import { createRequire } from 'node:module';
import { definePlugin } from '../plugins/define.js';
import { exportStage } from './export-stage.js';
import { mergeStage } from './merge-stage.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export const corePlugin = definePlugin({
  name: '@spx/core',
  version,
  apiVersion: 1,
  stages: {
    'core/merge': mergeStage,
    'core/export': exportStage,
  },
});

export { mergeStage, exportStage };
export { mergeTranscript, MERGE_DEFAULTS, type MergeOptions, type MergeStats } from './merge.js';
export type { MergeParams, MergeOutputs } from './merge-stage.js';
export type { ExportParams, ExportOutputs } from './export-stage.js';
export { buildCues, wrapLines, CUE_DEFAULTS, type Cue, type CueOptions } from './export/cues.js';
export { render, toSrt, toVtt, toJson, toTxt, toMarkdown, toRttm, toTsv, toDocx, EXPORT_FORMATS, MEDIA_TYPES, type ExportFormat, type RenderOptions } from './export/formats.js';
export * from './merged.js';
export { applyEdits, combineEdits, isEmptyEdits, describeEdit, utteranceKey, EDIT_TOLERANCE, TranscriptEditsSchema, UtteranceEditSchema, type TranscriptEdits, type UtteranceEdit, type EditOutcome, type DroppedEdit } from './edits.js';
export { restorePunctuation, joinWords, wordKey } from './text.js';
