import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startFakeReplicate, type FakeReplicate } from '../src/testing/index.js';
import { writeWav } from './helpers.js';
import { readFile } from 'node:fs/promises';

describe('testing/fake-server', () => {
  let fake: FakeReplicate | undefined;
  let dir: string;
  let wavUri: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-replicate-fake-'));
    await writeWav(join(dir, 'a.wav'), 4);
    wavUri = `data:audio/wav;base64,${(await readFile(join(dir, 'a.wav'))).toString('base64')}`;
  });
  after(async () => rm(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  const call = async (path: string, init: RequestInit & { token?: string | null } = {}) => {
    const headers = new Headers(init.headers);
    if (init.token !== null) headers.set('authorization', `Bearer ${init.token ?? fake!.token}`);
    const response = await fetch(`${fake!.baseURL}${path}`, { ...init, headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, any>) : undefined };
  };
  const create = (input: Record<string, unknown>, extra: Record<string, string> = {}, model = 'thomasmol/whisper-diarization') =>
    call('/v1/predictions', { method: 'POST', headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify({ version: fake!.versions[model], input }) });

  it('answers 401 with a problem body to a missing or wrong token, and accepts the Token scheme', async () => {
    fake = await startFakeReplicate();
    expect((await call('/v1/predictions', { token: null })).status).to.equal(401);
    const wrong = await call('/v1/predictions', { token: 'nope' });
    expect(wrong.status).to.equal(401);
    expect(wrong.body).to.include({ title: 'Unauthenticated', status: 401 });
    const ok = await fetch(`${fake.baseURL}/v1/predictions`, { headers: { authorization: `Token ${fake.token}` } });
    expect(ok.status).to.equal(200);
    expect(fake.counts.unauthorized).to.equal(2);
  });

  it('keeps every request as it arrived in received, the token included', async () => {
    fake = await startFakeReplicate();
    await call('/v1/predictions', { method: 'POST', token: 'r8_SECRET', headers: { 'content-type': 'application/json' }, body: '{"input":{}}' });
    expect(fake.received.map((r) => [r.method, r.path, r.status, r.headers.authorization, r.json])).to.deep.equal([['POST', '/v1/predictions', 401, 'Bearer r8_SECRET', { input: {} }]]);
  });

  it('with echoToken, puts the presented token into the detail of every error answer', async () => {
    fake = await startFakeReplicate({ echoToken: true });
    const wrong = await call('/v1/predictions', { token: 'r8_wrong_SECRET' });
    expect(wrong.body).to.deep.equal({ title: 'Unauthenticated', detail: 'You did not pass a valid authentication token (token r8_wrong_SECRET)', status: 401 });
    const missing = await call('/v1/predictions/nope');
    expect(missing.status).to.equal(404);
    expect(missing.body?.detail).to.contain(fake.token);
  });

  it('moves a prediction starting → processing → succeeded over GETs, with output laid over the audio', async () => {
    fake = await startFakeReplicate({ steps: { starting: 2, processing: 2 } });
    const created = await create({ file: wavUri, num_speakers: 2 });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ status: 'starting', output: null });
    expect(created.body!.urls.get).to.equal(`${fake.baseURL}/v1/predictions/${created.body!.id}`);
    const seen: string[] = [];
    let last: Record<string, any> = {};
    for (let i = 0; i < 6; i++) {
      last = (await call(`/v1/predictions/${created.body!.id}`)).body!;
      seen.push(last.status);
    }
    expect(seen).to.deep.equal(['starting', 'starting', 'processing', 'processing', 'succeeded', 'succeeded']);
    expect(last.metrics.predict_time).to.be.a('number');
    expect(last.output.language).to.equal('en');
    const segments = last.output.segments as Array<{ end: number; speaker: string; words: unknown[] }>;
    expect(segments.at(-1)!.end).to.be.at.most(4).and.above(3);
    expect(new Set(segments.map((s) => s.speaker))).to.deep.equal(new Set(['SPEAKER_00', 'SPEAKER_01']));
  });

  it('ends with failed and the spec message when whisper-diarization gets no single file field', async () => {
    fake = await startFakeReplicate({ steps: { starting: 0, processing: 0 } });
    const created = await create({ file: wavUri, file_url: 'https://example.com/a.mp3' });
    const final = await call(`/v1/predictions/${created.body!.id}`);
    expect(final.body).to.include({ status: 'failed', error: 'Provide exactly one of file_string, file_url, or file', output: null });
  });

  it('refuses whisperx input without audio_file (422) and fails diarization without a token', async () => {
    fake = await startFakeReplicate({ steps: { starting: 0, processing: 0 } });
    const refused = await create({ language: 'en' }, {}, 'victor-upmeet/whisperx');
    expect(refused.status).to.equal(422);
    const created = await create({ audio_file: wavUri, diarization: true }, {}, 'victor-upmeet/whisperx');
    const final = await call(`/v1/predictions/${created.body!.id}`);
    expect(final.body!.status).to.equal('failed');
    expect(final.body!.error).to.match(/Hugging Face/);
  });

  it('refuses an unknown version with 422 and an unknown prediction with 404', async () => {
    fake = await startFakeReplicate();
    const bad = await call('/v1/predictions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version: 'f'.repeat(64), input: {} }) });
    expect(bad.status).to.equal(422);
    expect(bad.body).to.have.keys('title', 'detail', 'status');
    expect((await call('/v1/predictions/doesnotexist')).status).to.equal(404);
  });

  it('stores multipart uploads and resolves their urls.get as model input', async () => {
    fake = await startFakeReplicate({ steps: { starting: 0, processing: 0 } });
    const form = new FormData();
    form.set('content', new Blob([await readFile(join(dir, 'a.wav'))], { type: 'audio/wav' }), 'a.wav');
    form.set('metadata', new Blob(['{"k":"v"}'], { type: 'application/json' }));
    const uploaded = await call('/v1/files', { method: 'POST', body: form });
    expect(uploaded.status).to.equal(201);
    expect(uploaded.body).to.include({ content_type: 'audio/wav', size: 44 + 4 * 32_000 });
    expect(uploaded.body!.metadata).to.deep.equal({ k: 'v' });
    const created = await create({ audio_file: uploaded.body!.urls.get, align_output: true }, {}, 'victor-upmeet/whisperx');
    const final = await call(`/v1/predictions/${created.body!.id}`);
    expect(final.body!.status).to.equal('succeeded');
    expect(final.body!.output.segments[0].words).to.be.an('array');
    expect(fake.counts.uploads).to.equal(1);
  });

  it('finishes during Prefer: wait, or returns starting when told the model is slower', async () => {
    fake = await startFakeReplicate();
    const sync = await create({ file: wavUri }, { prefer: 'wait=5' });
    expect(sync.body!.status).to.equal('succeeded');
    fake.options.syncCompletes = false;
    const slow = await create({ file: wavUri }, { prefer: 'wait' });
    expect(slow.body!.status).to.equal('starting');
    expect(fake.requests.map((r) => r.prefer).filter(Boolean)).to.deep.equal(['wait=5', 'wait']);
  });

  it('cancels a running prediction', async () => {
    fake = await startFakeReplicate({ steps: { starting: 5 } });
    const created = await create({ file: wavUri });
    const canceled = await call(`/v1/predictions/${created.body!.id}/cancel`, { method: 'POST' });
    expect(canceled.body!.status).to.equal('canceled');
    expect((await call(`/v1/predictions/${created.body!.id}`)).body!.status).to.equal('canceled');
  });

  it('serves scripted 429 (with and without retry-after) and 5xx answers in order', async () => {
    fake = await startFakeReplicate({
      script: [
        { method: 'GET', path: '/v1/predictions', status: 429, retryAfter: '1' },
        { method: 'GET', path: /^\/v1\/predictions$/, status: 429 },
        { method: 'GET', status: 503, times: 2 },
      ],
    });
    const first = await call('/v1/predictions');
    expect(first.status).to.equal(429);
    expect(first.headers.get('retry-after')).to.equal('1');
    expect(first.body!.detail).to.equal('Request was throttled. Expected available in 1 second.');
    const second = await call('/v1/predictions');
    expect(second.status).to.equal(429);
    expect(second.headers.get('retry-after')).to.equal(null);
    expect((await call('/v1/predictions')).status).to.equal(503);
    expect((await call('/v1/predictions')).status).to.equal(503);
    expect((await call('/v1/predictions')).status).to.equal(200);
    expect(fake.counts).to.include({ throttled: 2, serverErrors: 2 });
  });
});
