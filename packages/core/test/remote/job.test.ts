// The remote-job kit against a real local job API: the job id is stored before polling, a
// resumed run polls the same job, lost jobs are replaced, failures are told apart by who saw
// them, the deadline cancels (when the API can) and fails, and the signal stops a wait.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SpxError, Type, defineStage, runRemoteJob } from '../../src/index.js';
import { openStore, type RunEvent, type Store } from '../../src/engine.js';
import { runStageForTest } from '../../src/testing/index.js';
import { jobState, shoutApi, shoutStage } from '../../../../docs/examples/shout-plugin.js';
import { startFakeShout, type FakeShout, type FakeShoutOptions } from './fake-shout.js';

const FAST = { pollIntervalMs: 5, maxPollIntervalMs: 20 };

/** The kit without a cancel call, as for an API that has none. */
const uncancellable = defineStage({
  description: 'A Shout job with no cancel call.',
  params: Type.Object({ file: Type.String(), pollIntervalMs: Type.Integer({ default: 5 }), pollTimeoutMs: Type.Integer({ default: 60_000 }) }),
  outputs: { jobId: { kind: 'json', description: 'job id' } },
  async run(ctx) {
    const api = shoutApi(ctx.env, ctx.signal);
    const { url } = await api.upload(ctx.params.file);
    const job = await runRemoteJob({
      ctx,
      service: 'Shout',
      what: 'a test',
      key: 'job',
      paid: true,
      schedule: { intervalMs: ctx.params.pollIntervalMs, maxIntervalMs: 20, timeoutMs: ctx.params.pollTimeoutMs, timeoutSetting: 'pollTimeoutMs' },
      submit: async () => ({ record: await api.submit(url) }),
      idOf: (record) => record.id,
      poll: async (id) => jobState(await api.job(id)),
    });
    return { outputs: { jobId: job.id } };
  },
});

describe('remote-job kit (runRemoteJob)', () => {
  let dir: string;
  let file: string;
  let store: Store;
  let fake: FakeShout;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-remote-'));
    file = join(dir, 'note.txt');
    await writeFile(file, 'hello world');
    store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}` });
  });
  afterEach(async () => {
    await store.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const serve = async (options: FakeShoutOptions = {}) => (fake = await startFakeShout(options));
  const env = () => ({ SHOUT_API_KEY: fake.apiKey, SHOUT_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '20' });
  const run = (params: Record<string, unknown> = {}, signal?: AbortSignal) => runStageForTest(shoutStage, { params: { file, ...FAST, ...params }, store, dir, env: env(), ...(signal ? { signal } : {}) });
  const failure = (promise: Promise<unknown>) => promise.then(() => expect.fail('expected a failure'), (error: unknown) => error as SpxError);
  const logs = (events: RunEvent[], level: string) => events.flatMap((e) => (e.type === 'stage-log' && e.level === level ? [e.message] : []));
  /** Aborts the run the moment the fake answers its n-th poll. */
  const abortAtPoll = (n: number) => {
    const controller = new AbortController();
    fake.options.onRequest = (method, _path, f) => {
      if (method === 'GET' && f.counts.polls + 1 === n) controller.abort(new SpxError('ABORTED', 'interrupted'));
    };
    return controller.signal;
  };
  const interrupt = async (n = 2) => {
    const error = await failure(run({}, abortAtPoll(n)));
    expect(error.code).to.equal('ABORTED');
    fake.options.onRequest = undefined;
  };

  it('stores the job id before polling and keeps the result: a rerun asks the API nothing', async () => {
    await serve();
    const first = await run();
    expect(fake.counts).to.include({ uploads: 1, jobs: 1 });
    expect(first.accounting.paidStepsRun).to.equal(1);
    expect(logs(first.events, 'info').some((m) => m.startsWith(`Shout job ${first.result.outputs.jobId} submitted`))).to.equal(true);
    const requests = fake.counts.requests;
    const again = await run();
    expect(fake.counts.requests).to.equal(requests);
    expect(again.result.outputs.jobId).to.equal(first.result.outputs.jobId);
    expect(again.accounting).to.include({ paidStepsReused: 1, paidStepsRun: 0 });
  });

  it('resumes polling the same job after a crash mid-poll (one job, one upload)', async () => {
    await serve({ steps: 4 });
    await interrupt();
    expect(fake.jobs[0]!.status).to.equal('running');
    const { result, accounting, events } = await run();
    expect(fake.counts).to.include({ uploads: 1, jobs: 1 });
    expect(result.outputs.jobId).to.equal(fake.jobs[0]!.id);
    expect(accounting).to.include({ paidStepsReused: 1, paidStepsRun: 0 });
    expect(logs(events, 'info')).to.include(`Resuming Shout job ${fake.jobs[0]!.id} (running): shouting note.txt.`);
  });

  it('submits a new job, with a warning, when the API no longer knows the stored one', async () => {
    await serve();
    await interrupt();
    const lost = fake.jobs[0]!.id;
    fake.forget(lost);
    const { result, accounting, events } = await run();
    expect(fake.counts.jobs).to.equal(2);
    expect(result.outputs.jobId).to.not.equal(lost);
    expect(logs(events, 'warn')[0]).to.contain(lost).and.contain('gone or expired').and.contain('HTTP 404');
    expect(accounting, 'the lost job is no saved call').to.include({ paidStepsReused: 0, paidStepsRun: 1 });
  });

  it('fails with API_JOB_FAILED on a job that fails in this process; the rerun resubmits it with a warning', async () => {
    await serve({ outcome: 'error' });
    const error = await failure(run());
    expect(error.code).to.equal('API_JOB_FAILED');
    expect(error.message).to.match(/^Shout job \S+ \(shouting note.txt\) failed: the text could not be shouted$/);
    expect(fake.counts.jobs).to.equal(1);
    fake.options.outcome = 'done';
    const { events, accounting } = await run();
    expect(fake.counts.jobs).to.equal(2);
    expect(logs(events, 'warn')[0]).to.contain('from an earlier run failed (the text could not be shouted)');
    expect(accounting.paidStepsReused).to.equal(0);
  });

  it('fails with API_JOB_FAILED, submitting nothing, when a resumed job fails while it is watched', async () => {
    await serve({ hold: true });
    await interrupt(1);
    Object.assign(fake.options, { hold: false, outcome: 'error' });
    const error = await failure(run());
    expect(error.code).to.equal('API_JOB_FAILED');
    expect(fake.counts.jobs).to.equal(1);
  });

  it('at the deadline cancels the job and fails with API_TIMEOUT; the rerun submits a new job', async () => {
    await serve({ hold: true });
    const error = await failure(run({ pollTimeoutMs: 30 }));
    expect(error.code).to.equal('API_TIMEOUT');
    expect(error.message).to.contain(fake.jobs[0]!.id).and.contain('last status "running"').and.contain('it was canceled');
    expect(error.hint).to.contain('pollTimeoutMs');
    expect(fake.counts.cancels).to.equal(1);
    fake.options.hold = false;
    const { events } = await run({ pollTimeoutMs: 60_000 });
    expect(fake.counts.jobs).to.equal(2);
    expect(logs(events, 'warn')[0]).to.contain('was canceled');
  });

  it('at the deadline without a cancel call fails with API_TIMEOUT, and the rerun keeps waiting on the same job', async () => {
    await serve({ hold: true });
    const runUncancellable = () => runStageForTest(uncancellable, { params: { file, pollTimeoutMs: 30 }, store, dir, env: env() });
    const error = await failure(runUncancellable());
    expect(error.code).to.equal('API_TIMEOUT');
    expect(error.message).to.contain('it keeps running');
    expect(error.hint).to.contain('keep waiting for the same job');
    fake.options.hold = false;
    const { result } = await runStageForTest(uncancellable, { params: { file }, store, dir, env: env() });
    expect(fake.counts).to.include({ jobs: 1, cancels: 0 });
    expect(result.outputs.jobId).to.equal(fake.jobs[0]!.id);
  });

  it('gives up with API_JOB_FAILED after three lost jobs in one run', async () => {
    await serve({ forgetAll: true });
    const error = await failure(run());
    expect(error.code).to.equal('API_JOB_FAILED');
    expect(error.message).to.contain('lost 3 jobs in a row');
    expect(fake.counts.jobs).to.equal(3);
  });

  it('stops waiting between polls when the signal aborts, leaving the job to resume', async function () {
    this.timeout(10_000);
    await serve({ hold: true });
    const controller = new AbortController();
    fake.options.onRequest = (method, _path, f) => {
      if (method === 'GET' && f.counts.polls === 0) setTimeout(() => controller.abort(new SpxError('ABORTED', 'interrupted')), 20);
    };
    const error = await failure(run({ pollIntervalMs: 60_000, maxPollIntervalMs: 60_000 }, controller.signal));
    expect(error.code).to.equal('ABORTED');
    expect(fake.counts).to.include({ polls: 1, cancels: 0 });
    Object.assign(fake.options, { hold: false, onRequest: undefined });
    const { result } = await run();
    expect(result.outputs.jobId).to.equal(fake.jobs[0]!.id);
    expect(fake.counts.jobs).to.equal(1);
  });
});
