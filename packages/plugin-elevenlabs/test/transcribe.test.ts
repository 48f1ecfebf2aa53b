// elevenlabs/transcribe against the fake server: the happy path and its token handling, resume,
// and the API faults of the spec (429 with and without Retry-After, 5xx, a cut connection,
// malformed bodies, a rejected key, validation errors, an over-limit file) and the limits.
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { isSpxError, type Transcript } from '@spx/core';
import { openStore, type Store } from '@spx/core/engine';
import { runStageForTest } from '@spx/core/testing';
import { transcribeStage } from '../src/index.js';
import { startFakeElevenLabs, type FakeElevenLabs, type FakeElevenLabsOptions } from '../src/testing/index.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));

describe('elevenlabs/transcribe', function () {
  this.timeout(30_000);
  let fake: FakeElevenLabs;
  let store: Store;
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-el-'));
    store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}` });
  });
  afterEach(async () => {
    await store.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const setup = async (options: FakeElevenLabsOptions = {}) => {
    fake = await startFakeElevenLabs(options);
  };
  const env = (overrides: Record<string, string> = {}) => ({ ELEVENLABS_API_KEY: fake.apiKey, ELEVENLABS_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '20', PATH: process.env.PATH ?? '', ...overrides });
  const run = (params: Record<string, unknown> = {}, options: { env?: Record<string, string> } = {}) => runStageForTest(transcribeStage, { params: { audio: SAMPLE, ...params }, store, dir, env: options.env ?? env() });
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
  const posts = () => fake.received.filter((r) => r.method === 'POST').length;

  it('sends one multipart request and writes word-timed turns with SPEAKER_nn in order of appearance', async () => {
    await setup();
    const { result, accounting } = await run({ numSpeakers: 2 });
    const transcript = JSON.parse(await readFile(result.outputs.transcript.path, 'utf8')) as Transcript;
    expect(transcript).to.include({ engine: 'elevenlabs', model: 'scribe_v2', timestamps: 'word', language: 'eng' });
    // The fake gives the first sentence to speaker_1: it is SPEAKER_00.
    const raw = JSON.parse(await readFile(result.outputs.raw.path, 'utf8')) as { words: Array<{ type: string; speaker_id: string; logprob: number }> };
    expect(raw.words[0]!.speaker_id).to.equal('speaker_1');
    expect(transcript.segments.map((s) => s.speaker).slice(0, 3)).to.deep.equal(['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_00']);
    const words = transcript.segments.flatMap((s) => s.words ?? []);
    expect(words).to.have.length(raw.words.filter((w) => w.type === 'word').length);
    expect(words[0]!.start).to.equal(0.12);
    expect(words[0]!.confidence).to.be.closeTo(Math.exp(raw.words[0]!.logprob), 1e-4);
    expect(words.every((w) => w.confidence! > 0 && w.confidence! <= 1)).to.equal(true);
    // Spacing tokens join the text and are no words; audio events were not asked for.
    expect(transcript.segments[0]!.text).to.match(/^\S+( \S+){4}$/);
    expect(words.some((w) => w.text === ' ' || w.text.startsWith('('))).to.equal(false);
    const fields = fake.transcriptions[0]!.fields;
    expect(fields).to.include({ model_id: 'scribe_v2', diarize: 'true', num_speakers: '2', timestamps_granularity: 'word', tag_audio_events: 'false' });
    expect(fake.received[0]!.headers['xi-api-key']).to.equal(fake.apiKey);
    expect(accounting.paidStepsRun).to.equal(1);
    expect(accounting.usage).to.be.closeTo(transcript.duration! / 3600, 1e-9);
  });

  it('keeps audio events as words when asked, and drops speaker ids without diarize', async () => {
    await setup();
    const { result } = await run({ tagAudioEvents: true, diarize: false });
    const transcript = JSON.parse(await readFile(result.outputs.transcript.path, 'utf8')) as Transcript;
    const words = transcript.segments.flatMap((s) => s.words ?? []);
    expect(words.filter((w) => w.text === '(laughter)')).to.have.length.greaterThan(0);
    expect(words.every((w) => w.speaker === undefined)).to.equal(true);
    expect(result.outputs.speakers).to.deep.equal([]);
  });

  it('pays once: a rerun on the same store reuses the checkpointed answer', async () => {
    await setup();
    await run();
    const again = await run();
    expect(again.accounting.paidStepsRun).to.equal(0);
    expect(fake.counts.transcriptions).to.equal(1);
  });

  it('retries 429 (with and without Retry-After), 500 and 503, and pays once', async () => {
    await setup({ script: [{ method: 'POST', status: 429, retryAfter: 0 }, { method: 'POST', nth: 2, status: 429, body: { detail: { code: 'concurrent_limit_exceeded', message: 'busy' } } }, { method: 'POST', nth: 3, status: 500 }, { method: 'POST', nth: 4, status: 503 }] });
    const { result } = await run();
    expect(result.outputs.speakers).to.have.length(2);
    expect(posts()).to.equal(5);
    expect(fake.counts.transcriptions).to.equal(1);
  });

  it('does not send the request again after a 504 or a cut connection: it may have been transcribed', async () => {
    for (const fault of [{ method: 'POST', status: 504 }, { method: 'POST', drop: true }]) {
      await setup({ script: [fault] });
      const error = await failure(run());
      expect(isSpxError(error) && error.code).to.equal('API_UNREACHABLE');
      expect((error as Error).message).to.contain('not sent again');
      expect(posts()).to.equal(1);
      await fake.close();
    }
  });

  it('turns a malformed answer into API_BAD_RESPONSE, and stores nothing', async () => {
    await setup({ script: [{ method: 'POST', status: 200, raw: '{"language_code": "eng", "words": [' }] });
    const error = await failure(run());
    expect(isSpxError(error) && error.code).to.equal('API_BAD_RESPONSE');
    const { accounting } = await run();
    expect(accounting.paidStepsRun).to.equal(1);
  });

  it('names ELEVENLABS_API_KEY, never its value, when the key is rejected', async () => {
    await setup();
    const wrong = 'el-wrong-key-77c1a0';
    const error = await failure(run({}, { env: env({ ELEVENLABS_API_KEY: wrong }) }));
    expect(isSpxError(error) && error.code).to.equal('API_KEY_REJECTED');
    expect((error as Error).message).to.contain('ELEVENLABS_API_KEY').and.contain('invalid_api_key').and.not.contain(wrong);
  });

  it('quotes validation errors in each detail shape, and an over-limit file the server refuses', async () => {
    await setup({ models: ['scribe_v2'], maxFileBytes: 1000 });
    const unknown = await failure(run({ model: 'scribe_v9' }));
    expect(isSpxError(unknown) && unknown.code).to.equal('API_ERROR');
    expect((unknown as Error).message).to.contain("model_id: Input should be 'scribe_v2'");
    const large = await failure(run());
    expect((large as Error).message).to.contain('too large').and.contain('file_too_large');
    expect(fake.counts.transcriptions).to.equal(0);
  });

  it('checks the size limit before sending anything, and refuses diarizationThreshold with numSpeakers', async () => {
    await setup();
    const big = join(dir, 'big.wav');
    const handle = await open(big, 'w');
    await handle.truncate(5_000_000_001);
    await handle.close();
    const error = await failure(run({ audio: big }));
    expect(isSpxError(error) && error.code).to.equal('INPUT_INVALID');
    expect((error as Error).message).to.contain("over ElevenLabs's limit of 4999999999 bytes");
    const both = await failure(run({ numSpeakers: 2, diarizationThreshold: 0.3 }));
    expect(isSpxError(both) && both.code).to.equal('PARAMS_INVALID');
    expect(fake.counts.requests).to.equal(0);
  });
});
