import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { pluginConformanceTests } from '@spx/core/testing';
import plugin from '../src/index.js';
import { startFakeElevenLabs, type FakeElevenLabs } from '../src/testing/index.js';

describe('@spx/plugin-elevenlabs conformance', () => {
  const audio = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));
  const env: Record<string, string> = {};
  let fake: FakeElevenLabs;
  before(async () => {
    fake = await startFakeElevenLabs();
    Object.assign(env, { ELEVENLABS_API_KEY: fake.apiKey, ELEVENLABS_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', PATH: process.env.PATH ?? '' });
  });
  after(() => fake.close());

  pluginConformanceTests(it, plugin, { stages: { 'elevenlabs/transcribe': { params: { audio }, env, resume: true, documents: { transcript: 'transcript' } } } });

  it('exposes elevenlabs/transcribe with pricing per audio hour and a preflight', () => {
    expect(Object.keys(plugin.stages)).to.deep.equal(['elevenlabs/transcribe']);
    const stage = plugin.stages['elevenlabs/transcribe']!;
    expect(stage.pricing?.unit).to.equal('audio hour');
    expect(stage.preflight).to.be.a('function');
    expect(plugin.name).to.equal('@spx/plugin-elevenlabs');
  });
});
