// The CLI end to end: `spx run pipelines/assemblyai.yaml` against the fake server, killed while
// the job is processing, then run again: the same job is polled, none is created twice, and the
// exports carry SPEAKER_nn labels and word-timed cues.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startFakeAssemblyAI, type FakeAssemblyAI } from '../src/testing/index.js';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const cli = join(root, 'packages/cli/bin/run.js');
const pipeline = join(root, 'pipelines/assemblyai.yaml');
const sample = join(root, 'samples/meeting.wav');

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

function spx(args: string[], env: Record<string, string>, onSpawn?: (child: ChildProcess) => void): Promise<Exit> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, output }));
    onSpawn?.(child);
  });
}

describe('e2e: spx run pipelines/assemblyai.yaml', function () {
  this.timeout(60_000);
  let dir: string;
  let fake: FakeAssemblyAI | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-aai-e2e-'));
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('is killed while the job runs, then polls the same job and exports srt, vtt, json, txt and md', async () => {
    let child: ChildProcess | undefined;
    fake = await startFakeAssemblyAI({
      steps: { queued: 1, processing: 1000 },
      onRequest: (request, f) => {
        if (request.method === 'GET' && f.counts.polls === 2) child?.kill('SIGKILL');
      },
    });
    const env = { ASSEMBLYAI_API_KEY: fake.apiKey, ASSEMBLYAI_BASE_URL: fake.baseURL, SPX_STORE: `sqlite://${join(dir, 'state.sqlite')}` };
    const args = ['run', pipeline, sample, '--out', join(dir, 'out'), '--set', 'transcribe.pollIntervalMs=20', '--set', 'transcribe.maxPollIntervalMs=50'];

    const killed = await spx(args, env, (c) => (child = c));
    expect(killed.signal, killed.output).to.equal('SIGKILL');
    expect(fake.counts.transcriptsCreated).to.equal(1);
    expect(existsSync(join(dir, 'out'))).to.equal(false);

    // The job finishes two polls into the rerun.
    fake.options.steps = { queued: 1, processing: fake.jobs()[0]!.polls + 1 };
    const resumed = await spx(args, env);
    expect(resumed.code, resumed.output).to.equal(0);
    expect(fake.counts).to.include({ transcriptsCreated: 1, uploads: 1 });
    expect(resumed.output).to.match(/Resuming AssemblyAI transcript [\w-]+ \(processing\)/).and.match(/resume saved 1 stage, 1 paid API call/);
    expect((await readdir(join(dir, 'out'))).sort()).to.deep.equal(['meeting.json', 'meeting.md', 'meeting.srt', 'meeting.txt', 'meeting.vtt']);
    const srt = await readFile(join(dir, 'out', 'meeting.srt'), 'utf8');
    expect(srt).to.contain('SPEAKER_00').and.contain('SPEAKER_01').and.match(/00:00:00,250 --> /);
  });
});
