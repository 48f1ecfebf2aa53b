import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { pluginConformanceTests } from '@spx/core/testing';
import plugin from '../src/index.js';
import { startFakeAssemblyAI, type FakeAssemblyAI } from '../src/testing/index.js';

describe('@spx/plugin-assemblyai conformance', () => {
  const audio = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));
  const env: Record<string, string> = {};
  let fake: FakeAssemblyAI;
  before(async () => {
    fake = await startFakeAssemblyAI();
    Object.assign(env, { ASSEMBLYAI_API_KEY: fake.apiKey, ASSEMBLYAI_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', PATH: process.env.PATH ?? '' });
  });
  after(() => fake.close());

  pluginConformanceTests(it, plugin, { stages: { 'assemblyai/transcribe': { params: { audio, pollIntervalMs: 5, maxPollIntervalMs: 10 }, env, resume: true, documents: { transcript: 'transcript' } } } });

  it('exposes assemblyai/transcribe with pricing per audio hour and a preflight', () => {
    expect(Object.keys(plugin.stages)).to.deep.equal(['assemblyai/transcribe']);
    const stage = plugin.stages['assemblyai/transcribe']!;
    expect(stage.pricing?.unit).to.equal('audio hour');
    expect(stage.preflight).to.be.a('function');
    expect(plugin.name).to.equal('@spx/plugin-assemblyai');
  });
});
