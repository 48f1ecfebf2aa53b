import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SpxError, isSpxError, type Diarization, type Transcript } from '@spx/core';
import { openStore, type RunEvent } from '@spx/core/engine';
import { runStageForTest, type TestStageOptions } from '@spx/core/testing';
import { builtinAdapters, createPredictStage, defineAdapter, predictStage, whisperDiarizationOutput } from '../src/index.js';
import { startFakeReplicate, type FakeReplicate, type FakeReplicateOptions } from '../src/testing/index.js';
import { writeWav } from './helpers.js';

const fastPoll = { pollIntervalMs: 5, maxPollIntervalMs: 20 };

describe('replicate/predict', () => {
  let dir: string;
  let wav: string;
  let fake: FakeReplicate | undefined;
  let env: Record<string, string | undefined> = {};

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-replicate-'));
    wav = join(dir, 'call.wav');
    await writeWav(wav, 6);
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(options: FakeReplicateOptions = {}, overrides: Record<string, string | undefined> = {}): Promise<FakeReplicate> {
    fake = await startFakeReplicate(options);
    env = { REPLICATE_API_TOKEN: fake.token, REPLICATE_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '20', SPX_RETRY_MAX_ATTEMPTS: '4', ...overrides };
    return fake;
  }
  const run = (params: Record<string, unknown>, options: TestStageOptions = {}) =>
    runStageForTest(predictStage, { dir: join(dir, 'stage'), params: { audio: wav, ...fastPoll, ...params }, env, ...options });
  const failure = async (promise: Promise<unknown>): Promise<SpxError> => {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    expect(isSpxError(error), `expected an SpxError, got ${String(error)}`).to.equal(true);
    return error as SpxError;
  };
  const json = async <T>(path: string): Promise<T> => JSON.parse(await readFile(path, 'utf8')) as T;
  const statuses = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'stage-log' && /^prediction \w+: (\w+)$/.test(e.message) ? [/: (\w+)$/.exec(e.message)![1]] : []));

  it('runs whisper-diarization end to end: data URI, starting → processing → succeeded, transcript and diarization', async () => {
    await serve({ steps: { starting: 1, processing: 2 } });
    const { result, events, accounting } = await run({ speakers: 2, language: 'en' });
    expect(statuses(events)).to.deep.equal(['starting', 'processing', 'succeeded']);
    expect(fake!.counts).to.include({ predictionsCreated: 1, uploads: 0 });
    const created = fake!.predictions.values().next().value!;
    expect(String(created.prediction.input && (created.prediction.input as Record<string, unknown>).file)).to.match(/^data:audio\/wav;base64,/);
    const transcript = await json<Transcript>(result.outputs.transcript.path);
    expect(transcript).to.include({ format: 'spx-transcript', engine: 'replicate/whisper-diarization', language: 'en', timestamps: 'word', duration: 6 });
    expect(transcript.model).to.equal(`thomasmol/whisper-diarization:${fake!.versions['thomasmol/whisper-diarization']}`);
    expect(transcript.segments.length).to.be.greaterThan(1);
    expect(transcript.segments.every((s) => s.speaker && s.words!.every((w) => w.speaker === s.speaker))).to.equal(true);
    const diarization = await json<Diarization>(result.outputs.diarization.path);
    expect(diarization.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
    expect(result.outputs).to.include({ language: 'en', speakers: 2 });
    expect(result.outputs.prediction.id).to.equal(created.prediction.id);
    expect(await json(result.outputs.raw.path)).to.deep.equal(created.output);
    // Billed seconds are the prediction's predict_time.
    expect(accounting.usage).to.equal((created.prediction.metrics as { predict_time: number }).predict_time);
    expect(accounting.paidStepsRun).to.equal(1);
  });

  it('runs whisperx end to end through the files API with alignment and diarization', async () => {
    await serve({}, { HF_TOKEN: 'hf_test' });
    const { result } = await run({ adapter: 'whisperx', upload: 'files', diarize: true, speakers: 2 });
    expect(fake!.counts).to.include({ predictionsCreated: 1, uploads: 1 });
    const state = fake!.predictions.values().next().value!;
    const input = state.prediction.input as Record<string, unknown>;
    expect(input.audio_file).to.equal(`${fake!.baseURL}/v1/files/${[...fake!.files.keys()][0]}`);
    expect(input).to.include({ align_output: true, diarization: true, huggingface_access_token: 'hf_test', min_speakers: 2 });
    expect(state.kind).to.equal('whisperx');
    const transcript = await json<Transcript>(result.outputs.transcript.path);
    expect(transcript).to.include({ engine: 'replicate/whisperx', timestamps: 'word' });
    const words = transcript.segments.flatMap((s) => s.words ?? []);
    expect(words.map((w) => w.text)).to.include('42');
    expect(words.every((w) => typeof w.start === 'number' && w.end >= w.start)).to.equal(true);
    expect((await json<Diarization>(result.outputs.diarization.path)).turns.length).to.be.greaterThan(1);
  });

  it('uploads through the files API in auto mode when the file is over dataUriMaxBytes', async () => {
    await serve();
    await run({ dataUriMaxBytes: 1000 });
    expect(fake!.counts.uploads).to.equal(1);
    expect(fake!.requests.find((r) => r.path === '/v1/files')!.status).to.equal(201);
  });

  it('writes an empty diarization when whisperx is not asked for speakers', async () => {
    await serve();
    const { result } = await run({ adapter: 'whisperx' });
    const diarization = await json<Diarization>(result.outputs.diarization.path);
    expect(diarization.turns).to.deep.equal([]);
    expect(result.outputs.speakers).to.equal(0);
  });

  it('fails with API_JOB_FAILED and the model error when the prediction fails', async () => {
    await serve({ outcome: 'failed', error: 'Audio file is corrupt' });
    const error = await failure(run({}));
    expect(error.code).to.equal('API_JOB_FAILED');
    expect(error.message).to.contain('Audio file is corrupt');
    expect(error.hint).to.be.a('string');
    expect(fake!.counts.predictionsCreated).to.equal(1);
  });

  it('fails with API_JOB_FAILED when the prediction is canceled, and a rerun creates a new one', async () => {
    await serve({ outcome: 'canceled' });
    const store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}` });
    try {
      const error = await failure(run({}, { store }));
      expect(error.code).to.equal('API_JOB_FAILED');
      expect(error.message).to.contain('canceled');
      fake!.options.outcome = 'succeeded';
      const { accounting } = await run({}, { store });
      expect(fake!.counts.predictionsCreated).to.equal(2);
      expect(accounting.paidStepsReused).to.equal(0);
    } finally {
      await store.close();
    }
  });

  it('retries a 429 on create honouring retry-after, and one without it with backoff', async () => {
    await serve({
      script: [
        { method: 'POST', path: '/v1/predictions', status: 429, retryAfter: '1' },
        { method: 'POST', path: '/v1/predictions', status: 429 },
      ],
    });
    const { events } = await run({});
    expect(fake!.counts).to.include({ throttled: 2, predictionsCreated: 1 });
    const retries = events.flatMap((e) => (e.type === 'stage-log' && e.level === 'warn' ? [e.message] : []));
    expect(retries).to.have.length(2);
    expect(retries[0]).to.match(/HTTP 429, retry 1 in 1000 ms/);
    expect(retries[1]).to.match(/HTTP 429, retry 2 in \d+ ms/).and.not.match(/in 1000 ms/);
  });

  it('retries 5xx while polling and still finishes with one prediction', async () => {
    await serve({ script: [{ method: 'GET', path: /^\/v1\/predictions\/\w+$/, status: 503, times: 2 }, { method: 'GET', path: /^\/v1\/predictions\/\w+$/, status: 500 }] });
    const { result } = await run({});
    expect(fake!.counts).to.include({ serverErrors: 3, predictionsCreated: 1 });
    expect(result.outputs.transcript.bytes).to.be.greaterThan(0);
  });

  it('reports API_ERROR when 5xx answers outlast the retries', async () => {
    await serve({ script: [{ method: 'POST', status: 502, times: 10 }] });
    const error = await failure(run({}));
    expect(error.code).to.equal('API_ERROR');
    expect(fake!.counts.predictionsCreated).to.equal(0);
  });

  it('reports a bad token as API_KEY_REJECTED naming the variable, never the value', async () => {
    await serve({}, { REPLICATE_API_TOKEN: 'r8_wrong_value' });
    const error = await failure(run({}));
    expect(error.code).to.equal('API_KEY_REJECTED');
    expect(error.message).to.contain('REPLICATE_API_TOKEN').and.not.contain('r8_wrong_value');
    expect(error.hint).to.contain('REPLICATE_API_TOKEN');
    expect(fake!.counts).to.include({ unauthorized: 1, predictionsCreated: 0 });
  });

  it('fails preflight with MISSING_API_KEY without the token, or whisperx diarization without HF_TOKEN', async () => {
    const missing = await failure(Promise.resolve().then(() => predictStage.preflight!({ stageId: 'transcribe', params: { audio: wav } as never, env: {} })));
    expect(missing.code).to.equal('MISSING_API_KEY');
    expect(missing.message).to.contain('REPLICATE_API_TOKEN');
    expect(missing.stage).to.equal('transcribe');
    const hf = await failure(Promise.resolve().then(() => predictStage.preflight!({ stageId: 's', params: { audio: wav, adapter: 'whisperx', diarize: true } as never, env: { REPLICATE_API_TOKEN: 't' } })));
    expect(hf.code).to.equal('MISSING_API_KEY');
    expect(hf.message).to.contain('HF_TOKEN');
    expect(() => predictStage.preflight!({ stageId: 's', params: { audio: wav, adapter: 'whisperx' } as never, env: { REPLICATE_API_TOKEN: 't' } })).not.to.throw();
  });

  it('takes the finished prediction from a Prefer: wait create without polling', async () => {
    await serve();
    const { result } = await run({ wait: 30 });
    expect(fake!.requests.find((r) => r.method === 'POST' && r.path === '/v1/predictions')!.prefer).to.equal('wait=30');
    expect(fake!.counts.polls).to.equal(0);
    expect(result.outputs.speakers).to.equal(2);
  });

  it('uses a pinned version without resolving the latest one', async () => {
    await serve();
    const version = fake!.versions['thomasmol/whisper-diarization']!;
    const { result } = await run({ version });
    expect(fake!.requests.some((r) => r.path.endsWith('/versions'))).to.equal(false);
    expect(result.outputs.prediction.version).to.equal(version);
  });

  it('cancels and fails with API_TIMEOUT when the prediction outlasts timeoutMinutes', async () => {
    await serve({ steps: { starting: 1, processing: 1000 } });
    const error = await failure(run({ timeoutMinutes: 0.0005 }));
    expect(error.code).to.equal('API_TIMEOUT');
    expect(fake!.counts.cancels).to.equal(1);
  });

  it('resumes polling the same prediction after a crash mid-poll: predictionsCreated stays 1', async () => {
    const controller = new AbortController();
    await serve({
      steps: { starting: 1, processing: 6 },
      onRequest: (request, f) => {
        if (request.method === 'GET' && request.path.startsWith('/v1/predictions/') && f.counts.polls === 3) controller.abort(new SpxError('ABORTED', 'Run interrupted.'));
      },
    });
    const storeUrl = `sqlite://${join(dir, 'state.sqlite')}`;
    const first = await openStore({ url: storeUrl });
    const error = await failure(run({ upload: 'files' }, { store: first, signal: controller.signal }));
    await first.close();
    expect(error.code).to.equal('ABORTED');
    expect(fake!.counts).to.include({ predictionsCreated: 1, uploads: 1 });
    const [state] = [...fake!.predictions.values()];
    expect(state!.prediction.status).to.equal('processing');
    expect(await readdir(join(dir, 'stage', 'artifacts')).catch(() => [])).to.not.include('transcript.json');

    const second = await openStore({ url: storeUrl });
    try {
      const { result, accounting, events } = await run({ upload: 'files' }, { store: second });
      expect(fake!.counts).to.include({ predictionsCreated: 1, uploads: 1 });
      expect(result.outputs.prediction.id).to.equal(state!.prediction.id);
      expect(accounting).to.include({ paidStepsReused: 1, paidStepsRun: 0 });
      expect(events.some((e) => e.type === 'step-reused' && e.paid)).to.equal(true);
      expect((await json<Transcript>(result.outputs.transcript.path)).segments.length).to.be.greaterThan(1);
    } finally {
      await second.close();
    }
  });

  it('creates a new prediction when the stored one is unknown to the server (404)', async () => {
    const store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}` });
    try {
      await serve();
      await run({}, { store });
      await fake!.close();
      await serve();
      const { accounting, events } = await run({}, { store });
      expect(fake!.counts).to.include({ predictionsCreated: 1, notFound: 1 });
      expect(accounting.paidStepsReused).to.equal(0);
      expect(events.some((e) => e.type === 'stage-log' && /unknown to Replicate/.test(e.message))).to.equal(true);
    } finally {
      await store.close();
    }
  });

  it('runs a stage built with a custom adapter for another model', async () => {
    await serve({ models: { 'me/wd-fork': 'whisper-diarization' } });
    let mapped = 0;
    const fork = defineAdapter({
      name: 'wd-fork',
      model: 'me/wd-fork',
      diarizes: () => true,
      input: (audio) => ({ file: audio }),
      output: (output, info) => {
        mapped++;
        return whisperDiarizationOutput(output, info);
      },
    });
    const stage = createPredictStage({ adapters: { ...builtinAdapters, 'wd-fork': fork } });
    const { result } = await runStageForTest(stage, { dir: join(dir, 'stage'), params: { audio: wav, adapter: 'wd-fork', ...fastPoll }, env });
    expect(mapped).to.equal(1);
    expect([...fake!.predictions.values()][0]!.prediction.model).to.equal('me/wd-fork');
    expect((await json<Transcript>(result.outputs.transcript.path)).engine).to.equal('replicate/wd-fork');
  });

  it('creates a new prediction when the stored one succeeded but its output was removed', async () => {
    const store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}` });
    try {
      await serve();
      await run({}, { store });
      const [state] = [...fake!.predictions.values()];
      Object.assign(state!.prediction, { data_removed: true, output: null });
      const { result } = await run({}, { store });
      expect(fake!.counts.predictionsCreated).to.equal(2);
      expect(result.outputs.prediction.id).to.not.equal(state!.prediction.id);
    } finally {
      await store.close();
    }
  });

  it('fails with INPUT_MISSING for an audio path that does not exist', async () => {
    await serve();
    const error = await failure(run({ audio: join(dir, 'nope.wav') }));
    expect(error.code).to.equal('INPUT_MISSING');
    expect(fake!.counts.requests).to.equal(0);
  });
});
