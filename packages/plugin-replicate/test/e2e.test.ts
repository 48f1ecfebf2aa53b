// The CLI end to end: `spx run pipelines/replicate.yaml` against the fake server, killed while the
// prediction is processing, then run again: the same prediction is polled, none is created twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startFakeReplicate, type FakeReplicate } from '../src/testing/index.js';
import { writeWav } from './helpers.js';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const cli = join(root, 'packages/cli/bin/run.js');
const pipeline = join(root, 'pipelines/replicate.yaml');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function spx(args: string[], env: Record<string, string>, onSpawn?: (child: ChildProcess) => void): Promise<Exit> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, output }));
    onSpawn?.(child);
  });
}

describe('e2e: spx run pipelines/replicate.yaml', function () {
  this.timeout(60_000);
  let dir: string;
  let fake: FakeReplicate | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-replicate-e2e-'));
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('is killed while polling, then resumes the same prediction and exports srt, vtt, json and txt', async () => {
    const audio = join(dir, 'meeting.wav');
    await writeWav(audio, 5);
    let child: ChildProcess | undefined;
    fake = await startFakeReplicate({
      steps: { starting: 1, processing: 1000 },
      onRequest: (request, f) => {
        // Kill -9 once the prediction is being polled while processing.
        if (request.method === 'GET' && request.path.startsWith('/v1/predictions/') && f.counts.polls === 2) child?.kill('SIGKILL');
      },
    });
    const env = {
      REPLICATE_API_TOKEN: fake.token,
      REPLICATE_BASE_URL: fake.baseURL,
      SPX_STORE: `sqlite://${join(dir, 'state.sqlite')}`,
      SPX_WORK_DIR: join(dir, 'work'),
    };
    const args = ['run', pipeline, audio, '--out', join(dir, 'out'), '--set', 'transcribe.pollIntervalMs=50', '--set', 'transcribe.maxPollIntervalMs=100'];

    const killed = await spx(args, env, (c) => (child = c));
    expect(killed.signal, killed.output).to.equal('SIGKILL');
    expect(fake.counts.predictionsCreated).to.equal(1);
    expect(existsSync(join(dir, 'out'))).to.equal(false);

    // The model finishes two polls later.
    fake.options.steps = { starting: 1, processing: 2 };
    const resumed = await spx(args, env);
    expect(resumed.code, resumed.output).to.equal(0);
    expect(fake.counts.predictionsCreated).to.equal(1);
    expect(resumed.output).to.match(/Resuming Replicate prediction \w+ \(processing\)/);
    expect((await readdir(join(dir, 'out'))).sort()).to.deep.equal(['meeting.json', 'meeting.srt', 'meeting.txt', 'meeting.vtt']);
    const srt = await readFile(join(dir, 'out', 'meeting.srt'), 'utf8');
    expect(srt).to.contain('SPEAKER_00').and.contain('-->');
  });
});
