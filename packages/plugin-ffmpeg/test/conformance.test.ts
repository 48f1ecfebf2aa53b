import { pluginConformanceTests } from '@spx/core/testing';
import plugin from '../src/index.js';

describe('@spx/plugin-ffmpeg conformance', () => {
  pluginConformanceTests(it, plugin);
});
