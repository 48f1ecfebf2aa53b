import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { SpxError, type Diarization } from '@spx/core';
import { type Store } from '@spx/core/engine';
import { runStageForTest } from '@spx/core/testing';
import { diarizeStage } from '../src/index.js';
import { startFakePyannote, type FakePyannote } from '../src/testing/index.js';
import { FAST, makeVoices, rejection, removeDir, sqliteStore, tempDir, until, fakeEnv, type Env, type Voices } from './helpers.js';

describe('pyannote/diarize', () => {
  let voices: Voices;
  let fake: FakePyannote;
  let env: Env;
  let dir: string;
  let store: Store;

  before(async () => {
    voices = await makeVoices();
  });
  after(async () => {
    await removeDir(voices?.dir);
  });
  afterEach(async () => {
    await store?.close();
    await fake?.close();
    await removeDir(dir);
  });

  async function setup(options: Parameters<typeof startFakePyannote>[0] = {}): Promise<void> {
    fake = await startFakePyannote(options);
    env = fakeEnv(fake);
    dir = await tempDir();
    store = await sqliteStore(dir);
  }

  const run = (params: Record<string, unknown>, signal?: AbortSignal) => runStageForTest(diarizeStage, { params: { ...FAST, ...params }, store, dir, env, ...(signal ? { signal } : {}) });

  it('uploads once, runs one job and writes Diarization and RTTM from its output', async () => {
    await setup();
    const { result, accounting } = await run({ audio: voices.dialog, numSpeakers: 2 });
    const diarization = JSON.parse(await readFile(result.outputs.diarization.path, 'utf8')) as Diarization;
    expect(diarization.format).to.equal('spx-diarization');
    expect(diarization.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
    // Three utterances separated by pauses: alice, bob, alice.
    expect(diarization.exclusiveTurns!.map((t) => t.speaker)).to.deep.equal(['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_00']);
    expect(diarization.turns).to.have.length(3);
    for (let i = 1; i < diarization.exclusiveTurns!.length; i++) expect(diarization.exclusiveTurns![i]!.start).to.be.at.least(diarization.exclusiveTurns![i - 1]!.end);
    expect(diarization.duration).to.be.greaterThan(3);
    const rttm = (await readFile(result.outputs.rttm.path, 'utf8')).trim().split('\n');
    expect(rttm).to.have.length(3);
    expect(rttm[0]).to.match(/^SPEAKER input 1 \d+\.\d{3} \d+\.\d{3} <NA> <NA> SPEAKER_00 <NA> <NA>$/);
    expect(result.outputs.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
    expect(fake.counts).to.include({ mediaInputs: 1, uploads: 1, jobsCreated: 1, diarizations: 1 });
    const submitted = fake.requests.find((r) => r.path === '/v1/diarize')!.body as Record<string, unknown>;
    expect(submitted).to.include({ numSpeakers: 2, exclusive: true, model: 'precision-2' });
    expect(submitted.url).to.match(/^media:\/\/spx\/[0-9a-f]{64}\.wav$/);
    expect(accounting.paidStepsRun).to.equal(1);
    expect(accounting.usage).to.be.closeTo(diarization.duration! / 3600, 1e-6);
  });

  it('reuses the finished job on a rerun with the same store (no upload, no job)', async () => {
    await setup();
    await run({ audio: voices.dialog });
    const requestsBefore = fake.counts.requests;
    const { accounting } = await run({ audio: voices.dialog });
    expect(fake.counts.requests).to.equal(requestsBefore);
    expect(fake.counts.jobsCreated).to.equal(1);
    expect(accounting.paidStepsReused).to.equal(1);
    expect(accounting.usage).to.equal(0);
  });

  it('resumes polling the same job after a kill while it runs (exactly one job created)', async () => {
    await setup({ paused: true });
    const controller = new AbortController();
    const first = run({ audio: voices.dialog }, controller.signal);
    await until(() => fake.counts.polls >= 2, 'the job to be polled');
    controller.abort(new SpxError('ABORTED', 'interrupted'));
    expect((await rejection(() => first)).code).to.equal('ABORTED');
    expect(fake.jobs()[0]!.status).to.equal('running');

    fake.resume();
    const { result, events } = await run({ audio: voices.dialog });
    expect(fake.counts.jobsCreated).to.equal(1);
    expect(fake.counts.uploads).to.equal(1);
    expect(result.outputs.jobId).to.equal(fake.jobs()[0]!.jobId);
    expect(events.some((e) => e.type === 'stage-log' && /Resuming pyannoteAI job/.test(e.message))).to.equal(true);
  });

  it('submits a new job, with a warning, when the saved job has expired', async () => {
    await setup({ paused: true });
    const controller = new AbortController();
    const first = run({ audio: voices.dialog }, controller.signal);
    await until(() => fake.counts.polls >= 1, 'the job to be polled');
    controller.abort(new SpxError('ABORTED', 'interrupted'));
    await rejection(() => first);
    const oldJob = fake.jobs()[0]!.jobId;
    fake.expireJob(oldJob);
    fake.resume();

    const { result, events } = await run({ audio: voices.dialog });
    expect(fake.counts.jobsCreated).to.equal(2);
    expect(result.outputs.jobId).to.not.equal(oldJob);
    const warning = events.find((e) => e.type === 'stage-log' && e.level === 'warn');
    expect(warning && 'message' in warning && warning.message).to.contain(oldJob).and.contain('gone or expired');
  });

  it('reports audio the API rejects as API_JOB_FAILED with its reason; a rerun submits a new job', async () => {
    await setup();
    const error = await rejection(() => run({ audio: voices.garbage }));
    expect(error.code).to.equal('API_JOB_FAILED');
    expect(error.message).to.contain('Could not decode audio');
    expect(fake.counts.jobsCreated).to.equal(1);

    const again = await rejection(() => run({ audio: voices.garbage }));
    expect(again.code).to.equal('API_JOB_FAILED');
    expect(fake.counts.jobsCreated).to.equal(2);
  });

  it('retries 429 (with and without retry-after), 5xx and dropped connections', async () => {
    await setup({
      script: [
        { route: 'POST /v1/media/input', status: 429 },
        { route: 'PUT /upload', status: 500 },
        { route: 'POST /v1/diarize', status: 429, retryAfter: 0 },
        { route: 'GET /v1/jobs', status: 503, times: 2 },
        { route: 'GET /v1/jobs', nth: 4, drop: true },
      ],
    });
    const { result, events } = await run({ audio: voices.dialog });
    expect(result.outputs.speakers).to.have.length(2);
    expect(fake.counts.faults).to.equal(6);
    expect(fake.counts.jobsCreated).to.equal(1);
    const retries = events.filter((e) => e.type === 'stage-log' && e.level === 'warn' && /retrying/.test(e.message));
    expect(retries).to.have.length(6);
  });

  it('fails with API_KEY_REJECTED naming the variable, never the key, and creates nothing', async () => {
    await setup();
    env = fakeEnv(fake, { PYANNOTEAI_API_KEY: 'wrong-secret-value' });
    const error = await rejection(() => run({ audio: voices.dialog }));
    expect(error.code).to.equal('API_KEY_REJECTED');
    expect(error.message).to.contain('PYANNOTEAI_API_KEY').and.not.contain('wrong-secret-value');
    expect(fake.counts.unauthorized).to.equal(1);
    expect(fake.counts.jobsCreated).to.equal(0);
  });

  it('fails preflight with MISSING_API_KEY when the key is not set', async () => {
    const error = await rejection(async () => diarizeStage.preflight!({ stageId: 'diarize', params: { audio: 'x.wav' } as never, env: {} }));
    expect(error.code).to.equal('MISSING_API_KEY');
    expect(error.hint).to.contain('PYANNOTEAI_API_KEY');
  });

  it('fails preflight with PARAMS_INVALID when minSpeakers exceeds maxSpeakers', async () => {
    const error = await rejection(async () => diarizeStage.preflight!({ stageId: 'diarize', params: { audio: 'x.wav', minSpeakers: 3, maxSpeakers: 2 } as never, env: { PYANNOTEAI_API_KEY: 'k' } }));
    expect(error.code).to.equal('PARAMS_INVALID');
  });

  it('stops at the polling deadline with API_TIMEOUT, and a rerun keeps waiting on the same job', async () => {
    await setup({ paused: true });
    const error = await rejection(() => run({ audio: voices.dialog, pollTimeoutMs: 40 }));
    expect(error.code).to.equal('API_TIMEOUT');
    expect(error.message).to.contain(fake.jobs()[0]!.jobId).and.contain('running');
    fake.resume();
    await run({ audio: voices.dialog, pollTimeoutMs: 40 });
    expect(fake.counts.jobsCreated).to.equal(1);
  });

  it('passes a public URL through without uploading', async () => {
    await setup();
    const bytes = await readFile(voices.dialog);
    const host = createServer((_req, res) => res.writeHead(200, { 'content-type': 'audio/wav' }).end(bytes));
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(host.address() as AddressInfo).port}/call.wav`;
      const { result } = await run({ url, maxSpeakers: 1 });
      expect(fake.counts.uploads).to.equal(0);
      expect(result.outputs.speakers).to.deep.equal(['SPEAKER_00']);
      expect(fake.jobs()[0]!.request).to.include({ url, maxSpeakers: 1 });
    } finally {
      host.closeAllConnections();
      await new Promise((resolve) => host.close(resolve));
    }
  });

  it('surfaces the fields of a 400 validation error', async () => {
    await setup();
    const error = await rejection(() => run({ url: 'media://bad key!' }));
    expect(error.code).to.equal('API_ERROR');
    expect(error.message).to.contain('HTTP 400').and.contain('url: Invalid URL');
  });

  it('stores per-turn confidence as 0..1 when turnLevelConfidence is requested', async () => {
    await setup();
    const { result } = await run({ audio: voices.dialog, turnLevelConfidence: true, exclusive: false });
    const diarization = JSON.parse(await readFile(result.outputs.diarization.path, 'utf8')) as Diarization;
    expect(diarization.exclusiveTurns).to.equal(undefined);
    for (const turn of diarization.turns) expect(turn.confidence).to.be.within(0.5, 1);
  });
});
