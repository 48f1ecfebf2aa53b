import { pluginConformanceTests } from '@spx/core/testing';
import plugin from '../src/index.js';
import { startFakeDeepgram, type FakeDeepgram } from '../src/testing/index.js';
import { SAMPLE, envFor } from './helpers.js';

describe('plugin-deepgram conformance', () => {
  let fake: FakeDeepgram;
  const env: Record<string, string> = {};
  before(async () => {
    fake = await startFakeDeepgram();
    Object.assign(env, envFor(fake));
  });
  after(() => fake.close());
  pluginConformanceTests(it, plugin, { stages: { 'deepgram/transcribe': { params: { audio: SAMPLE }, env, resume: true, documents: { transcript: 'transcript', diarization: 'diarization' } } } });
});
