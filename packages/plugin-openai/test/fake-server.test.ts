import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import OpenAI, { toFile } from 'openai';
import { audioDuration } from '@spx/core/testing';
import { faults, startFakeOpenAI, UPLOAD_LIMIT_BYTES, type FakeOpenAI } from '@spx/plugin-openai/testing';
import { durationOf, shortSpeech, tempDir } from './helpers.js';

describe('testing/fake-server', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let wav: string;
  let fake: FakeOpenAI | undefined;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    wav = shortSpeech(dir);
  });
  after(() => cleanup());
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  const upload = (fields: Record<string, string | string[]>, options: { key?: string; bytes?: Uint8Array; filename?: string } = {}) => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(options.bytes ?? readFileSync(wav))]), options.filename ?? 'a.wav');
    for (const [name, value] of Object.entries(fields)) for (const v of [value].flat()) form.append(name, v);
    return fetch(`${fake!.baseURL}/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${options.key ?? fake!.apiKey}` }, body: form });
  };

  it('reads durations of wav, flac, mp3 and ogg opus uploads from their headers', () => {
    const expected = durationOf(wav);
    for (const [ext, args] of [['flac', []], ['mp3', ['-b:a', '32k']], ['ogg', ['-c:a', 'libopus', '-b:a', '24k']]] as const) {
      execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-i', wav, '-ar', '16000', '-ac', '1', ...args, join(dir, `a.${ext}`)]);
      expect(audioDuration(readFileSync(join(dir, `a.${ext}`))), ext).to.be.closeTo(expected, 0.1);
    }
    expect(audioDuration(readFileSync(wav))).to.be.closeTo(expected, 0.001);
    expect(audioDuration(new Uint8Array(20))).to.equal(undefined);
  });

  it('answers verbose_json with words and segments spread over the real duration', async () => {
    fake = await startFakeOpenAI();
    const response = await upload({ model: 'whisper-1', response_format: 'verbose_json', 'timestamp_granularities[]': ['word', 'segment'], language: 'en' });
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.contain('application/json');
    expect(response.headers.get('x-request-id')).to.match(/^req_[0-9a-f]+$/);
    const body = (await response.json()) as { language: string; duration: number; words: Array<{ start: number; end: number }>; segments: unknown[] };
    expect(body.language).to.equal('english');
    expect(body.duration).to.be.closeTo(durationOf(wav), 0.01);
    expect(body.words.length).to.be.greaterThan(3);
    expect(body.words[body.words.length - 1]!.end).to.be.at.most(body.duration + 0.01);
    expect(body.segments).to.have.length.greaterThan(0);
    const entry = fake.requests[0]!;
    expect(entry).to.include({ method: 'POST', path: '/v1/audio/transcriptions', model: 'whisper-1', filename: 'a.wav', status: 200 });
    expect(entry.fields['timestamp_granularities[]']).to.deep.equal(['word', 'segment']);
    expect(fake.successesByHash().get(entry.sha256!)).to.equal(1);
  });

  it('gives the same transcript for the same upload and text/plain for response_format text', async () => {
    fake = await startFakeOpenAI();
    const a = (await (await upload({ model: 'gpt-4o-transcribe' })).json()) as { text: string };
    const b = (await (await upload({ model: 'gpt-4o-transcribe' })).json()) as { text: string };
    expect(a.text).to.equal(b.text);
    const text = await upload({ model: 'whisper-1', response_format: 'text' });
    expect(text.headers.get('content-type')).to.contain('text/plain');
    expect(await text.text()).to.equal(`${a.text}\n`);
  });

  it('uses transcriptFor text when given', async () => {
    fake = await startFakeOpenAI({ transcriptFor: () => 'one two three' });
    const body = (await (await upload({ model: 'gpt-4o-transcribe-diarize', response_format: 'diarized_json', chunking_strategy: 'auto' })).json()) as { text: string; segments: Array<{ speaker: string; id: string; type: string }> };
    expect(body.text).to.equal('one two three');
    expect(body.segments[0]).to.include({ speaker: 'A', id: 'seg_001', type: 'transcript.text.segment' });
  });

  it('rejects a wrong key with 401 invalid_api_key without echoing the key', async () => {
    fake = await startFakeOpenAI();
    const response = await upload({ model: 'whisper-1' }, { key: 'sk-wrong-SECRET-value' });
    expect(response.status).to.equal(401);
    const text = await response.text();
    expect(JSON.parse(text).error.code).to.equal('invalid_api_key');
    expect(text).not.to.contain('SECRET');
  });

  it('with echoKey, puts the presented key in full into every error message', async () => {
    fake = await startFakeOpenAI({ echoKey: true });
    const refused = (await (await upload({ model: 'whisper-1' }, { key: 'sk-wrong-SECRET-value' })).json()) as { error: { message: string; code: string } };
    expect(refused.error).to.include({ code: 'invalid_api_key' });
    expect(refused.error.message).to.contain('Incorrect API key provided: sk-wrong-SECRET-value');
    const unknown = (await (await upload({ model: 'whisper-9' })).json()) as { error: { message: string; code: string } };
    expect(unknown.error.code).to.equal('model_not_found');
    expect(unknown.error.message).to.contain(fake.apiKey);
  });

  it('validates model, file format and model/format combinations', async () => {
    fake = await startFakeOpenAI();
    const unknown = await upload({ model: 'whisper-9' });
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).to.equal('model_not_found');
    expect((await upload({ model: 'whisper-1' }, { filename: 'a.txt' })).status).to.equal(400);
    expect((await upload({ model: 'gpt-4o-transcribe', response_format: 'verbose_json' })).status).to.equal(400);
    expect((await upload({ model: 'whisper-1', 'timestamp_granularities[]': 'word' })).status).to.equal(400);
    expect((await upload({ model: 'gpt-4o-transcribe-diarize', prompt: 'x' })).status).to.equal(400);
    const missing = await fetch(`${fake.baseURL}/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${fake.apiKey}` }, body: new FormData() });
    expect(missing.status).to.equal(400);
  });

  it('refuses bodies over 25 MiB with 413', async () => {
    fake = await startFakeOpenAI();
    const response = await upload({ model: 'whisper-1' }, { bytes: new Uint8Array(UPLOAD_LIMIT_BYTES + 1024) });
    expect(response.status).to.equal(413);
    expect(((await response.json()) as { error: { message: string } }).error.message).to.contain('Maximum content size limit (26214400) exceeded');
    expect(fake.successCount()).to.equal(0);
  });

  it('plays a script of faults in order, then answers normally', async () => {
    fake = await startFakeOpenAI({ script: [faults.rateLimit(2), faults.serverError(502), { type: 'server-error', status: 503, shouldRetry: false }, faults.quota(), faults.malformed(), faults.reset()] });
    const r429 = await upload({ model: 'whisper-1' });
    expect(r429.status).to.equal(429);
    expect(r429.headers.get('retry-after')).to.equal('2');
    expect((await upload({ model: 'whisper-1' })).status).to.equal(502);
    const r503 = await upload({ model: 'whisper-1' });
    expect([r503.status, r503.headers.get('x-should-retry')]).to.deep.equal([503, 'false']);
    expect(((await (await upload({ model: 'whisper-1' })).json()) as { error: { code: string } }).error.code).to.equal('insufficient_quota');
    const malformed = await upload({ model: 'whisper-1' });
    expect(malformed.status).to.equal(200);
    expect(await malformed.json().catch(() => 'bad')).to.equal('bad');
    const reset = await upload({ model: 'whisper-1' }).catch((e: unknown) => e);
    expect(reset).to.be.instanceOf(Error);
    expect((await upload({ model: 'whisper-1' })).status).to.equal(200);
    expect(fake.requests.map((r) => r.status)).to.deep.equal([429, 502, 503, 429, 200, 0, 200]);
    // The malformed answer is not a success.
    expect(fake.successCount()).to.equal(1);
  });

  it('keeps every request as it arrived in received, the key included', async () => {
    fake = await startFakeOpenAI();
    await upload({ model: 'whisper-1' }, { key: 'sk-wrong-SECRET-value' });
    expect(fake.received.map((r) => [r.method, r.path, r.status, r.headers.authorization])).to.deep.equal([['POST', '/v1/audio/transcriptions', 401, 'Bearer sk-wrong-SECRET-value']]);
    expect(fake.received[0]!.bodyBytes).to.be.greaterThan(readFileSync(wav).length);
  });

  it('works with the official client and its multipart encoding', async () => {
    fake = await startFakeOpenAI({ latencyMs: 5 });
    const client = new OpenAI({ apiKey: fake.apiKey, baseURL: fake.baseURL, maxRetries: 0 });
    const result = await client.audio.transcriptions.create({ file: await toFile(readFileSync(wav), 'a.wav'), model: 'whisper-1', response_format: 'verbose_json', timestamp_granularities: ['word'] });
    expect(result.words?.length).to.be.greaterThan(0);
    expect(result.segments).to.equal(undefined);
    expect(fake.requests[0]!.retryCount).to.equal(0);
  });
});
