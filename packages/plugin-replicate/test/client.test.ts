import { expect } from 'chai';
import { baseUrlFromEnv, normalizeBaseUrl, ReplicateClient } from '../src/index.js';
import { startFakeReplicate } from '../src/testing/index.js';

describe('client', () => {
  it('defaults to the public API and tolerates a trailing slash or /v1 in REPLICATE_BASE_URL', () => {
    expect(baseUrlFromEnv({})).to.equal('https://api.replicate.com');
    expect(baseUrlFromEnv({ REPLICATE_BASE_URL: 'http://127.0.0.1:9/' })).to.equal('http://127.0.0.1:9');
    expect(normalizeBaseUrl('https://api.replicate.com/v1/')).to.equal('https://api.replicate.com');
  });

  it('creates through the model endpoint without a version, and reports 404 as undefined from findPrediction', async () => {
    const fake = await startFakeReplicate({ steps: { starting: 0, processing: 0 } });
    try {
      const client = new ReplicateClient({ token: fake.token, baseURL: `${fake.baseURL}/v1` });
      const created = await client.createPrediction({ model: 'thomasmol/whisper-diarization', input: { file: 'data:audio/wav;base64,AAAA' } });
      expect(fake.requests[0]).to.include({ method: 'POST', path: '/v1/models/thomasmol/whisper-diarization/predictions', status: 201 });
      expect(created.version).to.equal(fake.versions['thomasmol/whisper-diarization']);
      expect(await client.findPrediction('missing')).to.equal(undefined);
      const error = (await client.getPrediction('missing').then(() => ({ code: 'none' }), (e: unknown) => e)) as { code: string };
      expect(error.code).to.equal('API_ERROR');
      const refused = (await client.createPrediction({ model: 'nobody/nothing', input: {} }).then(() => ({ code: 'none', message: '' }), (e: unknown) => e)) as { code: string; message: string };
      expect(refused.code).to.equal('API_ERROR');
      expect(refused.message).to.contain('404');
    } finally {
      await fake.close();
    }
  });
});
