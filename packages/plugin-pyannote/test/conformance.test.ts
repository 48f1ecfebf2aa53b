import { expect } from 'chai';
import { pluginConformanceTests } from '@spx/core/testing';
import plugin from '../src/index.js';
import { fileURLToPath } from 'node:url';

describe('@spx/plugin-pyannote conformance', () => {
  const audio = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));
  const env = { PYANNOTEAI_API_KEY: 'pk-conformance' };
  pluginConformanceTests(it, plugin, { stages: { 'pyannote/diarize': { params: { audio }, env }, 'pyannote/voiceprint': { params: { sample: audio }, env }, 'pyannote/identify': { params: { audio }, env } } });

  it('exposes the three stages with pricing and a preflight', () => {
    expect(Object.keys(plugin.stages)).to.deep.equal(['pyannote/diarize', 'pyannote/voiceprint', 'pyannote/identify']);
    for (const stage of Object.values(plugin.stages)) {
      expect(stage.pricing?.unit).to.equal('audio hour');
      expect(stage.preflight).to.be.a('function');
    }
    expect(plugin.name).to.equal('@spx/plugin-pyannote');
  });
});
