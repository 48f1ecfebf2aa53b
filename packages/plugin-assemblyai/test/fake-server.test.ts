// The fake AssemblyAI server keeps to the API contract the client is written against.
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { startFakeAssemblyAI, type FakeAssemblyAI } from '../src/testing/index.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));

describe('fake AssemblyAI server', () => {
  let fake: FakeAssemblyAI;
  afterEach(() => fake?.close());

  const call = async (method: string, path: string, body?: unknown, key = fake.apiKey) => {
    const raw = body instanceof Buffer ? body : body === undefined ? undefined : JSON.stringify(body);
    const response = await fetch(`${fake.baseURL}${path}`, { method, headers: { authorization: key, 'content-type': body instanceof Buffer ? 'application/octet-stream' : 'application/json' }, ...(raw === undefined ? {} : { body: raw }) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it('takes the raw key and refuses "Bearer <key>"', async () => {
    fake = await startFakeAssemblyAI();
    expect((await call('GET', '/v2/transcript/nope', undefined, `Bearer ${fake.apiKey}`)).status).to.equal(401);
    expect(await call('GET', '/v2/transcript/nope')).to.deep.equal({ status: 400, json: { error: 'Transcript lookup error, transcript id not found' } });
  });

  it('refuses an empty upload, the singular speech_model, a missing speech_models and a retired model', async () => {
    fake = await startFakeAssemblyAI();
    expect((await call('POST', '/v2/upload', Buffer.alloc(0))).status).to.equal(400);
    const { json: uploaded } = await call('POST', '/v2/upload', await readFile(SAMPLE));
    const audio_url = uploaded.upload_url as string;
    expect((await call('POST', '/v2/transcript', { audio_url, speech_model: 'best' })).json.error).to.match(/^speech_model is deprecated/);
    expect((await call('POST', '/v2/transcript', { audio_url })).status).to.equal(400);
    expect((await call('POST', '/v2/transcript', { audio_url, speech_models: ['nano'] })).json.error).to.contain('no longer available');
    expect((await call('POST', '/v2/transcript', { audio_url, speech_models: ['universal-2'], format_text: 'yes' })).json.error).to.equal('format_text must be a Boolean');
    expect(fake.counts.transcriptsCreated).to.equal(0);
  });

  it('runs a job queued → processing → completed with integer ms words and integer-second duration', async () => {
    fake = await startFakeAssemblyAI({ steps: { queued: 1, processing: 1 } });
    const { json: uploaded } = await call('POST', '/v2/upload', await readFile(SAMPLE));
    const created = await call('POST', '/v2/transcript', { audio_url: uploaded.upload_url, speech_models: ['universal-2'], speaker_labels: true });
    expect(created.status).to.equal(200);
    expect(created.json).to.include({ status: 'queued', speech_model: null, webhook_auth: false });
    const id = created.json.id as string;
    const statuses: unknown[] = [];
    let last: Record<string, unknown> = {};
    for (let i = 0; i < 3; i++) statuses.push((last = (await call('GET', `/v2/transcript/${id}`)).json).status);
    expect(statuses).to.deep.equal(['queued', 'processing', 'completed']);
    const words = last.words as Array<{ start: number; speaker: string }>;
    expect(Number.isInteger(words[0]!.start) && Number.isInteger(last.audio_duration)).to.equal(true);
    expect(new Set(words.map((w) => w.speaker))).to.deep.equal(new Set(['A', 'B']));
    const deleted = await call('DELETE', `/v2/transcript/${id}`);
    expect(deleted.json).to.include({ text: 'Deleted by user.', words: null });
  });

  it('answers 404 for unknown ids when told to', async () => {
    fake = await startFakeAssemblyAI({ unknownIdStatus: 404 });
    expect(await call('GET', '/v2/transcript/nope')).to.deep.equal({ status: 404, json: { error: 'Not found' } });
  });
});
