import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { PyannoteClient, pyannoteJob } from '../src/index.js';
// Through the package's public subpath, as other packages' end-to-end tests import it.
import { startFakePyannote, type FakePyannote } from '@spx/plugin-pyannote/testing';
import { makeVoices, removeDir, type Voices } from './helpers.js';

describe('fake pyannoteAI server', () => {
  let voices: Voices;
  let fake: FakePyannote;

  before(async () => {
    voices = await makeVoices();
  });
  after(async () => {
    await removeDir(voices?.dir);
  });
  afterEach(async () => {
    await fake?.close();
  });

  const call = (path: string, init: RequestInit = {}, key = fake.apiKey) =>
    fetch(`${fake.baseURL}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });

  it('answers /v1/test with the key and 401 without it', async () => {
    fake = await startFakePyannote();
    expect(await (await call('/v1/test')).json()).to.deep.equal({ status: 'OK', message: 'Test connection successful' });
    const refused = await call('/v1/test', {}, 'nope');
    expect(refused.status).to.equal(401);
    expect(await refused.json()).to.have.keys('requestId', 'message');
    expect(fake.requests.every((r) => !JSON.stringify(r).includes(fake.apiKey))).to.equal(true);
  });

  it('keeps every request as it arrived in received, the key included', async () => {
    fake = await startFakePyannote();
    await call('/v1/media/input', { method: 'POST', body: JSON.stringify({ url: 'media://a.wav' }) }, 'pk-SECRET');
    expect(fake.received.map((r) => [r.method, r.path, r.status, r.headers.authorization, r.json])).to.deep.equal([['POST', '/v1/media/input', 401, 'Bearer pk-SECRET', { url: 'media://a.wav' }]]);
  });

  it('with echoKey, names the presented key in the message of every error answer, in the ApiError shape', async () => {
    fake = await startFakePyannote({ echoKey: true, script: [{ route: 'POST /v1/diarize', status: 403 }] });
    const refused = await call('/v1/test', {}, 'pk-wrong-SECRET');
    expect(refused.status).to.equal(401);
    const body = (await refused.json()) as { requestId: string; message: string };
    expect(body).to.have.keys('requestId', 'message');
    expect(body.message).to.equal('API key pk-wrong-SECRET: Invalid API key');
    const forbidden = await call('/v1/diarize', { method: 'POST', body: JSON.stringify({ url: 'media://x' }) });
    expect(forbidden.status).to.equal(403);
    expect(((await forbidden.json()) as { message: string }).message).to.contain(`API key ${fake.apiKey}`);
    expect((await (await call('/v1/test')).json()) as object).to.deep.equal({ status: 'OK', message: 'Test connection successful' });
  });

  it('takes an upload through a presigned PUT and moves a job pending → running → succeeded', async () => {
    fake = await startFakePyannote({ jobSteps: 2 });
    const input = await call('/v1/media/input', { method: 'POST', body: JSON.stringify({ url: 'media://t/dialog.wav' }) });
    expect(input.status).to.equal(201);
    const { url } = (await input.json()) as { url: string };
    expect(url.startsWith(`${fake.baseURL}/upload/`)).to.equal(true);
    expect((await fetch(url, { method: 'PUT', body: await readFile(voices.dialog) })).status).to.equal(200);
    const created = await call('/v1/diarize', { method: 'POST', body: JSON.stringify({ url: 'media://t/dialog.wav', numSpeakers: null, minSpeakers: null, maxSpeakers: null }) });
    expect(created.status).to.equal(200);
    const { jobId, status } = (await created.json()) as { jobId: string; status: string };
    expect(status).to.equal('created');
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push(((await (await call(`/v1/jobs/${jobId}`)).json()) as { status: string }).status);
    expect(seen).to.deep.equal(['pending', 'running', 'succeeded']);
    const done = (await (await call(`/v1/jobs/${jobId}`)).json()) as { output: { diarization: unknown[] }; createdAt: string };
    expect(done.output.diarization).to.have.length(3);
    expect(done.createdAt).to.be.a('string');
  });

  it('answers 404 for unknown and expired jobs', async () => {
    fake = await startFakePyannote();
    expect((await call('/v1/jobs/nope')).status).to.equal(404);
    const created = (await (await call('/v1/diarize', { method: 'POST', body: JSON.stringify({ url: 'media://never/uploaded.wav' }) })).json()) as { jobId: string };
    fake.expireJob();
    expect((await call(`/v1/jobs/${created.jobId}`)).status).to.equal(404);
    expect(fake.counts.notFound).to.equal(2);
  });

  it('fails jobs on media that was never uploaded, with output.error', async () => {
    fake = await startFakePyannote({ jobSteps: 0 });
    const { jobId } = (await (await call('/v1/diarize', { method: 'POST', body: JSON.stringify({ url: 'media://never/uploaded.wav' }) })).json()) as { jobId: string };
    const job = (await (await call(`/v1/jobs/${jobId}`)).json()) as { status: string; output: { error: string } };
    expect(job.status).to.equal('failed');
    expect(job.output.error).to.contain('was not found');
  });

  it('validates requests with 400 ValidationErrorResponse', async () => {
    fake = await startFakePyannote();
    const bad = await call('/v1/identify', { method: 'POST', body: JSON.stringify({ url: 'media://a.wav', minSpeakers: 3, maxSpeakers: 2, voiceprints: [{ label: 'SPEAKER_00', voiceprint: 'x' }] }) });
    expect(bad.status).to.equal(400);
    const body = (await bad.json()) as { message: string; errors: Array<{ field: string }> };
    expect(body.errors.map((e) => e.field)).to.include.members(['minSpeakers', 'voiceprints[0].label', 'voiceprints[0].voiceprint']);
    expect((await call('/v1/media/input', { method: 'POST', body: JSON.stringify({ url: 'file:///etc/passwd' }) })).status).to.equal(400);
  });

  it('sends rate-limit headers, and scripted 429 with retry-after and reset', async () => {
    fake = await startFakePyannote({ script: [{ route: 'GET /v1/test', status: 429, retryAfter: 2 }] });
    const limited = await call('/v1/test');
    expect(limited.status).to.equal(429);
    expect(limited.headers.get('retry-after')).to.equal('2');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).to.be.greaterThan(Date.now() / 1000);
    const ok = await call('/v1/test');
    expect(ok.status).to.equal(200);
    expect(ok.headers.get('x-ratelimit-limit')).to.equal('100');
    expect(Number(ok.headers.get('x-ratelimit-remaining'))).to.equal(98);
  });

  it('enforces the rate limit when asked to', async () => {
    fake = await startFakePyannote({ rateLimit: 2, enforceRateLimit: true });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call('/v1/test')).status);
    expect(statuses).to.deep.equal([200, 200, 429, 429]);
  });

  it('gets a fresh presigned URL once when storage refuses the first PUT', async () => {
    fake = await startFakePyannote({ script: [{ route: 'PUT /upload', status: 403 }] });
    const client = new PyannoteClient({ apiKey: fake.apiKey, baseURL: `${fake.baseURL}/` });
    expect(await client.upload(voices.alice, 'media://a.wav')).to.equal('media://a.wav');
    expect(fake.counts).to.include({ mediaInputs: 2, uploads: 1 });
  });

  it('scripts failed and canceled outcomes, reported by the client with their reason', async () => {
    fake = await startFakePyannote({ jobSteps: 1, outcome: (job) => (job.request.model === 'community-1' ? { status: 'canceled' } : { status: 'failed', error: 'GPU on fire' }) });
    const client = new PyannoteClient({ apiKey: fake.apiKey, baseURL: fake.baseURL });
    await client.upload(voices.alice, 'media://a.wav');
    const failed = await client.diarize({ url: 'media://a.wav' });
    const canceled = await client.diarize({ url: 'media://a.wav', model: 'community-1' });
    const { poll } = pyannoteJob(client, (output) => output);
    const end = async (id: string) => {
      for (let polls = 0; polls < 10; polls++) {
        const state = await poll(id);
        if (state.state !== 'pending') return state;
      }
      throw new Error(`job ${id} did not end within 10 polls`);
    };
    expect(await end(failed.jobId)).to.deep.include({ state: 'failed', reason: 'GPU on fire' });
    expect(await end(canceled.jobId)).to.deep.include({ state: 'canceled', reason: 'the job was canceled' });
  });
});
