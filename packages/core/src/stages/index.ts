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
export type { MergeParams, MergeOutputs } from './merge-stage.js';
export type { ExportParams, ExportOutputs } from './export-stage.js';
