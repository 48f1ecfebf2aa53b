import { expect } from 'chai';
import { pluginConformanceTests } from '@spx/core/testing';
import plugin, { createPredictStage, defineAdapter, whisperDiarization } from '../src/index.js';
import { fileURLToPath } from 'node:url';

describe('plugin-replicate conformance', () => {
  const audio = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));
  pluginConformanceTests(it, plugin, { stages: { 'replicate/predict': { params: { audio }, env: { REPLICATE_API_TOKEN: 'r8_conformance' } } } });

  it('exposes replicate/predict with pricing per prediction second', () => {
    expect(Object.keys(plugin.stages)).to.deep.equal(['replicate/predict']);
    expect(plugin.stages['replicate/predict']!.pricing).to.deep.include({ unit: 'prediction second' });
  });

  it('builds a stage for custom adapters, listing them in the params schema', () => {
    const mine = defineAdapter({ ...whisperDiarization, name: 'my-model', model: 'me/my-model' });
    const stage = createPredictStage({ adapters: { 'my-model': mine } });
    const adapterSchema = (stage.params.properties as Record<string, { enum: string[]; default: string }>).adapter;
    expect(adapterSchema).to.deep.include({ enum: ['my-model'], default: 'my-model' });
  });
});
