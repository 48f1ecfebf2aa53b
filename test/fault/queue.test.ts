// A batch through queue workers (spx worker + spx run --queue, BullMQ on a redis-server started
// here), with the store on the same Redis and a shared work directory: the same summary, exports
// and exit codes as a local batch; a batch submitted twice runs nothing twice; a worker stopped
// with SIGTERM hands its run back and exits in bounded time; a worker killed with SIGKILL in the
// middle of a paid stage loses nothing checkpointed — another worker resumes the run; a
// CPU-bound stage longer than the lock duration does not make its job look stalled.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { sleep } from '@spx/core';
import { computeRunId } from '@spx/core/engine';
import { TEXT_PLUGIN, textPipeline } from '../../packages/core/test/helpers.js';
import { spx } from '../support/cli.js';
import { startWorker, type WorkerProcess } from '../support/queue.js';
import { startRedis, type RedisServer } from '../support/redis.js';


const BUSY_PLUGIN = join(import.meta.dirname, '..', 'support', 'plugins', 'busy.ts');

/** read → spin (blocks its process's event loop for `ms`) → publish. */
function busyPipeline(ms: number): string {
  return `spx: 1
name: busy
version: 1.0.0
plugins: ["${TEXT_PLUGIN}", "${BUSY_PLUGIN}"]
inputs:
  doc: { type: file }
stages:
  read:
    uses: text/read
    with: { input: "\${{ inputs.doc }}", transform: upper }
  spin:
    uses: busy/spin
    with: { from: "\${{ stages.read.outputs.text }}", ms: ${ms} }
  publish:
    uses: text/publish
    with: { from: "\${{ stages.spin.outputs.text }}" }
`;
}

describe('fault: queue workers', function () {
  this.timeout(180_000);
  let redis: RedisServer;
  let dir: string;
  let ledger: string;
  let workers: WorkerProcess[] = [];
  const env = () => ({ SPX_TEST_LEDGER: ledger });
  const worker = (options: { lockDurationS?: number; graceS?: number; concurrency?: number; env?: NodeJS.ProcessEnv } = {}) => {
    const w = startWorker({ queue: redis.url, store: redis.url, workDir: join(dir, 'work'), cwd: dir, ...options, env: { ...env(), ...options.env } });
    workers.push(w);
    return w;
  };
  const lines = async () => (await readFile(ledger, 'utf8')).split('\n').filter(Boolean);
  const repeated = (all: string[]) => all.filter((line, i) => all.indexOf(line) !== i);
  const waitFor = async (what: () => Promise<boolean>, label: string) => {
    for (let i = 0; i < 600; i++) {
      if (await what()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${label}`);
  };

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });
  beforeEach(async () => {
    redis.flush();
    dir = await mkdtemp(join(tmpdir(), 'spx-queue-'));
    ledger = join(dir, 'ledger.txt');
    await writeFile(ledger, '');
    await mkdir(join(dir, 'in'));
  });
  afterEach(async () => {
    for (const w of workers) w.kill();
    await Promise.all(workers.map((w) => w.exited));
    workers = [];
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a batch on two workers with the local summary, exports and exit code; a second submission runs nothing', async () => {
    await writeFile(join(dir, 'T.yaml'), textPipeline());
    const inputs = ['a', 'b', 'c'].map((n) => join('in', `${n}.md`));
    for (const [i, input] of inputs.entries()) await writeFile(join(dir, input), `document ${i}\n`);
    await Promise.all([worker().ready, worker().ready]);
    const queued = await spx(['run', 'T.yaml', ...inputs, '--queue', redis.url], { cwd: dir, env: env() });
    expect(queued.code, queued.stderr).to.equal(0);
    expect(queued.stdout).to.match(/Queued 3 runs .*\(3 added\)/);
    expect(queued.stdout).to.include('3 of 3 inputs succeeded.');
    for (const [i, input] of inputs.entries()) expect(await readFile(join(dir, input.replace(/\.md$/, '.txt')), 'utf8')).to.equal(`DOCUMENT ${i}\n!`);
    const paid = await lines();
    expect(paid.filter((l) => l.startsWith('step:'))).to.have.length(9);

    const again = await spx(['run', 'T.yaml', ...inputs, '--queue', redis.url, '--json'], { cwd: dir, env: env() });
    expect(again.code, again.stderr).to.equal(0);
    const summary = JSON.parse(again.stdout.trim().split('\n').at(-1)!) as { results: Array<{ status: string; runId: string }> };
    expect(summary.results.map((r) => r.status)).to.deep.equal(['completed', 'completed', 'completed']);
    expect(await lines(), 'nothing ran again').to.deep.equal(paid);

    const status = await spx(['queue', 'status', '--queue', redis.url, '--json'], { cwd: dir });
    expect((JSON.parse(status.stdout) as { counts: Record<string, number> }).counts.completed).to.equal(3);
  });

  it('a run whose id is all digits (BullMQ refuses job ids that read as integers) is queued, run and listed like any other', async () => {
    await writeFile(join(dir, 'T.yaml'), textPipeline());
    let content = '';
    for (let i = 0; !content; i++) {
      const candidate = `document ${i}\n`;
      if (/^[1-9]\d+$/.test(computeRunId('text', { doc: createHash('sha256').update(candidate).digest('hex') }, {}))) content = candidate;
    }
    await writeFile(join(dir, 'digits.md'), content);
    await worker().ready;
    const queued = await spx(['run', 'T.yaml', 'digits.md', '--queue', redis.url, '--json'], { cwd: dir, env: env() });
    expect(queued.code, queued.stderr).to.equal(0);
    const { results } = JSON.parse(queued.stdout.trim().split('\n').at(-1)!) as { results: Array<{ status: string; runId: string }> };
    expect(results).to.have.length(1);
    expect(results[0]!.status).to.equal('completed');
    expect(results[0]!.runId).to.match(/^\d{12}$/);
    expect(await readFile(join(dir, 'digits.txt'), 'utf8')).to.equal(`${content.toUpperCase()}!`);
    const list = await spx(['queue', 'list', '--queue', redis.url, '--json'], { cwd: dir });
    expect((JSON.parse(list.stdout) as { jobs: Array<{ runId: string }> }).jobs.map((j) => j.runId)).to.deep.equal([results[0]!.runId]);
  });

  it('a worker configured through its environment (SPX_QUEUE, as under systemd) runs each job itself instead of queueing it again', async () => {
    await writeFile(join(dir, 'T.yaml'), textPipeline());
    await writeFile(join(dir, 'in', 'a.md'), 'from the environment\n');
    await worker({ env: { SPX_QUEUE: redis.url } }).ready;
    const queued = await spx(['run', 'T.yaml', 'in/a.md', '--queue', redis.url], { cwd: dir, env: env() });
    expect(queued.code, queued.stderr).to.equal(0);
    expect(await readFile(join(dir, 'in', 'a.txt'), 'utf8')).to.equal('FROM THE ENVIRONMENT\n!');
  });

  it('a job naming a pipeline file or an input outside the worker\'s --allow directories (symbolic links resolved) fails with QUEUE_INVALID and runs nothing', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'spx-queue-outside-'));
    try {
      await writeFile(join(outside, 'T.yaml'), textPipeline());
      await writeFile(join(outside, 'doc.md'), 'not for this worker\n');
      await writeFile(join(dir, 'T.yaml'), textPipeline());
      await writeFile(join(dir, 'in', 'a.md'), 'inside\n');
      await symlink(join(outside, 'T.yaml'), join(dir, 'linked.yaml'));
      await worker().ready;
      for (const args of [[join(outside, 'T.yaml'), 'in/a.md'], ['linked.yaml', 'in/a.md'], ['T.yaml', join(outside, 'doc.md')]]) {
        const refused = await spx(['run', ...args, '--queue', redis.url], { cwd: dir, env: env() });
        expect(refused.code, `${args.join(' ')}: ${refused.stderr}`).to.equal(2);
        expect(refused.stderr).to.match(/QUEUE_INVALID: A queued job names the (pipeline file|input) .* outside the directories this worker runs jobs from/);
        expect(refused.stderr).to.include('--allow DIR');
      }
      expect(await lines(), 'nothing ran').to.deep.equal([]);
      const allowed = await spx(['run', 'T.yaml', 'in/a.md', '--queue', redis.url], { cwd: dir, env: env() });
      expect(allowed.code, allowed.stderr).to.equal(0);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses what only a worker decides (--concurrency, --wait, --work-dir) with --queue, and takes --stage-concurrency along with the job', async () => {
    await writeFile(join(dir, 'T.yaml'), textPipeline());
    await writeFile(join(dir, 'in', 'a.md'), 'x\n');
    for (const flag of [['--concurrency', '4'], ['--wait', '10'], ['--work-dir', 'w']]) {
      const r = await spx(['run', 'T.yaml', 'in/a.md', '--queue', redis.url, ...flag], { cwd: dir, env: env() });
      expect(r.code, r.stderr).to.equal(2);
      expect(r.stderr.split('\n')[0]).to.equal(`error USAGE: ${flag[0]} cannot be combined with --queue: ${flag[0] === '--concurrency' ? 'each worker runs `spx worker --concurrency N` runs at once' : flag[0] === '--wait' ? 'a worker waits for a run held elsewhere and hands the job back if it stays held' : 'each worker uses its own `spx worker --work-dir`'}.`);
    }
    await worker().ready;
    const staged = await spx(['run', 'T.yaml', 'in/a.md', '--queue', redis.url, '--stage-concurrency', '1'], { cwd: dir, env: env() });
    expect(staged.code, staged.stderr).to.equal(0);
    expect(await readFile(join(dir, 'in', 'a.txt'), 'utf8')).to.equal('X\n!');
  });

  it('a failing run fails its job with the same exit code and message as a local run; queue retry requeues it', async () => {
    await writeFile(join(dir, 'F.yaml'), textPipeline({ fail: true }));
    await writeFile(join(dir, 'in', 'x.md'), 'x\n');
    const local = await spx(['run', 'F.yaml', 'in/x.md', '--store', `sqlite://${join(dir, 'local.sqlite')}`, '--work-dir', join(dir, 'local-work')], { cwd: dir, env: env() });
    await worker().ready;
    const queued = await spx(['run', 'F.yaml', 'in/x.md', '--queue', redis.url], { cwd: dir, env: env() });
    expect(local.code).to.not.equal(0);
    expect(queued.code).to.equal(local.code);
    expect(queued.stderr.split('\n')[0]).to.equal(local.stderr.split('\n')[0]);
    const retry = await spx(['queue', 'retry', '--queue', redis.url], { cwd: dir });
    expect(retry.stdout).to.include('Queued 1 failed run again.');
  });

  it('SIGTERM: the worker stops taking jobs, its run saves its state and goes back to the queue, and another worker finishes it without repeating a paid step', async () => {
    await writeFile(join(dir, 'S.yaml'), textPipeline({ delayMs: 300, steps: 12 }));
    await writeFile(join(dir, 'in', 's.md'), 'slow\n');
    const first = worker({ graceS: 20 });
    await first.ready;
    const submitted = spx(['run', 'S.yaml', 'in/s.md', '--queue', redis.url], { cwd: dir, env: env() });
    await waitFor(async () => (await lines()).includes('step:steps:2'), 'three paid steps');
    first.term();
    const exit = await first.exited;
    expect(exit.code, first.output()).to.equal(0);
    expect(first.output()).to.include('handed back (worker stopping)');
    const done = (await lines()).filter((l) => l.startsWith('step:')).length;
    expect(done, 'stopped before the end').to.be.lessThan(12);
    await worker().ready;
    const result = await submitted;
    expect(result.code, result.stderr).to.equal(0);
    expect(await readFile(join(dir, 'in', 's.txt'), 'utf8')).to.equal('SLOW\n!');
    const all = await lines();
    expect(repeated(all), 'work repeated').to.deep.equal([]);
    expect(all.filter((l) => l.startsWith('step:'))).to.have.length(12);
  });

  it('SIGKILL mid paid stage: another worker takes the stalled job over and resumes it; nothing checkpointed is paid again', async () => {
    await writeFile(join(dir, 'K.yaml'), textPipeline({ delayMs: 400, steps: 12 }));
    await writeFile(join(dir, 'in', 'k.md'), 'killed\n');
    const pair = [worker({ lockDurationS: 2 }), worker({ lockDurationS: 2 })];
    await Promise.all(pair.map((w) => w.ready));
    const submitted = spx(['run', 'K.yaml', 'in/k.md', '--queue', redis.url], { cwd: dir, env: env() });
    await waitFor(async () => (await lines()).includes('step:steps:2'), 'three paid steps');
    const first = pair.find((w) => /run \w+: /.test(w.output()))!;
    const second = pair.find((w) => w !== first)!;
    first.kill();
    await first.exited;
    const result = await submitted;
    expect(result.code, result.stderr).to.equal(0);
    expect(second.output(), second.output()).to.match(/taken over/);
    expect(result.stdout).to.match(/reused/);
    expect(await readFile(join(dir, 'in', 'k.txt'), 'utf8')).to.equal('KILLED\n!');
    const all = await lines();
    // Only the sub-step in flight at the kill may have run twice.
    const again = repeated(all);
    expect(again.length, `repeated: ${again.join(', ')}`).to.be.at.most(1);
    for (const line of again) expect(line).to.match(/^step:steps:/);
    expect(new Set(all.filter((l) => l.startsWith('step:'))).size).to.equal(12);
  });

  it('a CPU-bound stage longer than the lock duration does not make its job look stalled', async () => {
    await writeFile(join(dir, 'B.yaml'), busyPipeline(7000));
    await writeFile(join(dir, 'in', 'b.md'), 'busy\n');
    const [a, b] = [worker({ lockDurationS: 2 }), worker({ lockDurationS: 2 })];
    await Promise.all([a.ready, b.ready]);
    const result = await spx(['run', 'B.yaml', 'in/b.md', '--queue', redis.url], { cwd: dir, env: env() });
    expect(result.code, result.stderr).to.equal(0);
    expect(a.output() + b.output()).to.not.match(/taken over/);
    expect((await lines()).filter((l) => l.startsWith('spin:'))).to.have.length(1);
    expect(await readFile(join(dir, 'in', 'b.txt'), 'utf8')).to.equal('BUSY\n');
  });
});
