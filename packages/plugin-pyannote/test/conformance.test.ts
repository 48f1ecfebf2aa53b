import { expect } from 'chai';
import { pluginConformanceTests } from '@spx/core/testing';
import plugin from '../src/index.js';

describe('@spx/plugin-pyannote conformance', () => {
  pluginConformanceTests(it, plugin);

  it('exposes the three stages with pricing and a preflight', () => {
    expect(Object.keys(plugin.stages)).to.deep.equal(['pyannote/diarize', 'pyannote/voiceprint', 'pyannote/identify']);
    for (const stage of Object.values(plugin.stages)) {
      expect(stage.pricing?.unit).to.equal('audio hour');
      expect(stage.preflight).to.be.a('function');
    }
    expect(plugin.name).to.equal('@spx/plugin-pyannote');
  });
});
