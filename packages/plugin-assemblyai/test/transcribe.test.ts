// assemblyai/transcribe against the fake server: the happy path, resume, a failed job, the API
// faults of the spec (429 with Retry-After, 5xx, dropped connections, malformed bodies, a
// rejected key, retired models, an over-limit upload) and the limits checked before paying.
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { isSpxError, type Transcript } from '@spx/core';
import { openStore, type Store } from '@spx/core/engine';
import { runStageForTest } from '@spx/core/testing';
import { transcribeStage } from '../src/index.js';
import { startFakeAssemblyAI, type FakeAssemblyAI, type FakeAssemblyAIOptions } from '../src/testing/index.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));
const FAST = { pollIntervalMs: 5, maxPollIntervalMs: 10 };

describe('assemblyai/transcribe', function () {
  this.timeout(30_000);
  let fake: FakeAssemblyAI;
  let store: Store;
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-aai-'));
    store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}` });
  });
  afterEach(async () => {
    await store.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const setup = async (options: FakeAssemblyAIOptions = {}) => {
    fake = await startFakeAssemblyAI(options);
  };
  const env = (overrides: Record<string, string> = {}) => ({ ASSEMBLYAI_API_KEY: fake.apiKey, ASSEMBLYAI_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '20', PATH: process.env.PATH ?? '', ...overrides });
  const run = (params: Record<string, unknown> = {}, options: { signal?: AbortSignal; env?: Record<string, string> } = {}) =>
    runStageForTest(transcribeStage, { params: { audio: SAMPLE, ...FAST, ...params }, store, dir, env: options.env ?? env(), ...(options.signal ? { signal: options.signal } : {}) });
  const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
  const posts = () => fake.received.filter((r) => r.method === 'POST' && r.path === '/v2/transcript').length;

  it('uploads once, creates one job and writes a word-timed transcript in seconds with SPEAKER_nn labels', async () => {
    await setup();
    const { result, accounting } = await run({ speakersExpected: 2 });
    const transcript = JSON.parse(await readFile(result.outputs.transcript.path, 'utf8')) as Transcript;
    expect(transcript).to.include({ engine: 'assemblyai', model: 'universal-3-5-pro', timestamps: 'word', language: 'en' });
    const words = transcript.segments.flatMap((s) => s.words ?? []);
    // The fake's first word spans 250–630 ms.
    expect(words[0]).to.include({ start: 0.25, end: 0.63 });
    expect(transcript.segments.map((s) => s.speaker).slice(0, 3)).to.deep.equal(['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_00']);
    expect(words.every((w) => w.speaker === 'SPEAKER_00' || w.speaker === 'SPEAKER_01')).to.equal(true);
    expect(transcript.duration).to.be.closeTo(33, 1);
    expect(result.outputs.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
    expect(fake.counts).to.include({ uploads: 1, transcriptsCreated: 1, unauthorized: 0 });
    const create = fake.received.find((r) => r.path === '/v2/transcript')!;
    expect(create.headers.authorization).to.equal(fake.apiKey);
    expect(create.json).to.deep.include({ speech_models: ['universal-3-5-pro', 'universal-2'], speaker_labels: true, speakers_expected: 2, language_detection: true });
    expect(accounting.paidStepsRun).to.equal(1);
    expect(accounting.usage).to.be.closeTo(transcript.duration! / 3600, 1e-9);
  });

  it('is interrupted while the job runs; the rerun polls the same job and creates none', async () => {
    const controller = new AbortController();
    await setup({
      steps: { processing: 1000 },
      onRequest: (request, f) => {
        if (request.method === 'GET' && f.counts.polls === 2) controller.abort(new Error('killed'));
      },
    });
    expect(await failure(run({}, { signal: controller.signal }))).to.be.an('error');
    expect(fake.counts.transcriptsCreated).to.equal(1);
    fake.options.steps = { processing: 1 };
    const { result, accounting, events } = await run();
    expect(fake.counts).to.include({ transcriptsCreated: 1, uploads: 1 });
    expect(accounting.paidStepsRun).to.equal(0);
    expect(result.outputs.transcriptId).to.equal(fake.jobs()[0]!.id);
    expect(JSON.stringify(events)).to.match(/Resuming AssemblyAI transcript [\w-]+/);
  });

  it('fails a job the API ended with "error" with API_JOB_FAILED and its reason; the rerun creates a new job', async () => {
    let first = true;
    await setup({ outcome: () => (first ? ((first = false), 'Download error, unable to download the file.') : undefined) });
    const error = await failure(run());
    expect(isSpxError(error) && error.code).to.equal('API_JOB_FAILED');
    expect((error as Error).message).to.contain('Download error, unable to download the file.');
    const { result } = await run();
    expect(result.outputs.transcriptId).to.equal(fake.jobs()[1]!.id);
    expect(fake.counts).to.include({ transcriptsCreated: 2, uploads: 1 });
  });

  it('retries 429 with Retry-After, 5xx and dropped connections, and still creates one job', async () => {
    await setup({
      script: [
        { method: 'POST', path: '/v2/upload', status: 500 },
        { method: 'POST', path: '/v2/transcript', status: 429, retryAfter: 0 },
        { method: 'POST', path: '/v2/transcript', nth: 2, status: 503 },
        { method: 'GET', path: '/v2/transcript/', status: 502 },
        { method: 'GET', path: '/v2/transcript/', nth: 2, drop: true },
      ],
    });
    const { result } = await run();
    expect(result.outputs.speakers).to.have.length(2);
    expect(fake.counts).to.include({ transcriptsCreated: 1, uploads: 1, faults: 5 });
    expect(posts()).to.equal(3);
  });

  it('does not send the create request again after a 504: the job may exist', async () => {
    await setup({ script: [{ method: 'POST', path: '/v2/transcript', status: 504 }] });
    const error = await failure(run());
    expect(isSpxError(error) && error.code).to.equal('API_UNREACHABLE');
    expect((error as Error).message).to.contain('not sent again');
    expect(posts()).to.equal(1);
  });

  it('turns a malformed poll answer into API_BAD_RESPONSE; the rerun resumes the same job', async () => {
    await setup({ script: [{ method: 'GET', path: '/v2/transcript/', status: 200, raw: '{"id": "x", "status": ' }] });
    const error = await failure(run());
    expect(isSpxError(error) && error.code).to.equal('API_BAD_RESPONSE');
    await run();
    expect(fake.counts.transcriptsCreated).to.equal(1);
  });

  it('names ASSEMBLYAI_API_KEY, never its value, when the key is rejected', async () => {
    await setup();
    const wrong = 'aai-wrong-key-5e1f9c';
    const error = await failure(run({}, { env: env({ ASSEMBLYAI_API_KEY: wrong }) }));
    expect(isSpxError(error) && error.code).to.equal('API_KEY_REJECTED');
    expect((error as Error).message).to.contain('ASSEMBLYAI_API_KEY').and.not.contain(wrong);
    expect(fake.counts.transcriptsCreated).to.equal(0);
  });

  it('refuses a retired model with a hint naming speechModels, and creates no job', async () => {
    await setup();
    const error = await failure(run({ speechModels: ['universal-3-pro'] }));
    expect(isSpxError(error) && error.code).to.equal('API_ERROR');
    expect((error as Error).message).to.contain('universal-3-5-pro');
    expect((error as { hint?: string }).hint).to.contain('speechModels');
    expect(fake.counts.transcriptsCreated).to.equal(0);
  });

  it('reports an upload the server refuses as too large, before any job', async () => {
    await setup({ maxUploadBytes: 1000 });
    const error = await failure(run());
    expect(isSpxError(error) && error.code).to.equal('API_ERROR');
    expect((error as Error).message).to.contain('too large');
    expect(fake.counts.transcriptsCreated).to.equal(0);
  });

  it('checks size and duration limits before sending anything', async () => {
    await setup();
    // Sparse files: a 2.3 GB one, and a WAV whose header declares 10 h 1 min at 8 kHz, 8-bit.
    const big = join(dir, 'big.wav');
    const handle = await open(big, 'w');
    await handle.truncate(2_300_000_000);
    await handle.close();
    const long = join(dir, 'long.wav');
    await writeWavHeader(long, 8000, 36_060);
    for (const [audio, pattern] of [
      [big, /over AssemblyAI's limit of 2200000000 bytes/],
      [long, /lasts 36060 s, over AssemblyAI's limit of 36000 s/],
    ] as const) {
      const error = await failure(run({ audio }));
      expect(isSpxError(error) && error.code, String(error)).to.equal('INPUT_INVALID');
      expect((error as Error).message).to.match(pattern);
    }
    expect(fake.counts.requests).to.equal(0);
  });
});

/** A mono 8-bit WAV of `seconds` at `rate`: a real header, the samples a sparse hole. */
async function writeWavHeader(path: string, rate: number, seconds: number): Promise<void> {
  const data = rate * seconds;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate, 28);
  header.writeUInt16LE(1, 32);
  header.writeUInt16LE(8, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data, 40);
  const file = await open(path, 'w');
  await file.write(header, 0, 44, 0);
  await file.truncate(44 + data);
  await file.close();
}
