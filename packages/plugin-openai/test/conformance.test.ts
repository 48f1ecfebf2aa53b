import { pluginConformanceTests } from '@spx/core/testing';
import plugin from '@spx/plugin-openai';
import { fileURLToPath } from 'node:url';

describe('conformance', () => {
  const audio = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));
  pluginConformanceTests(it, plugin, { stages: { 'openai/transcribe': { params: { audio }, env: { OPENAI_API_KEY: 'sk-conformance' } } } });
});
