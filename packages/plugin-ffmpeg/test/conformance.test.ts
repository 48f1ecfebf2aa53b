import { pluginConformanceTests } from '@spx/core/testing';
import plugin from '../src/index.js';
import { fileURLToPath } from 'node:url';

describe('@spx/plugin-ffmpeg conformance', () => {
  const input = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));
  pluginConformanceTests(it, plugin, { stages: { 'ffmpeg/convert': { params: { input } }, 'ffmpeg/probe': { params: { input } }, 'ffmpeg/chunk': { params: { input } } } });
});
