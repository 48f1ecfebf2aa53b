// The CLI end to end: `spx run pipelines/elevenlabs.yaml` against the fake server, killed while
// the one synchronous request is in flight (that answer is lost: the rerun asks again), run
// again to completion, then once more: the checkpointed answer is reused and nothing is paid.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startFakeElevenLabs, type FakeElevenLabs } from '../src/testing/index.js';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const cli = join(root, 'packages/cli/bin/run.js');
const pipeline = join(root, 'pipelines/elevenlabs.yaml');
const sample = join(root, 'samples/meeting.wav');

function spx(args: string[], env: Record<string, string>, onSpawn?: (child: ChildProcess) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((done, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => done({ code, signal, output }));
    onSpawn?.(child);
  });
}

describe('e2e: spx run pipelines/elevenlabs.yaml', function () {
  this.timeout(60_000);
  let dir: string;
  let fake: FakeElevenLabs | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-el-e2e-'));
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('is killed during the request, reruns to srt, vtt, json, txt and md, then pays nothing on a third run', async () => {
    let child: ChildProcess | undefined;
    let killed = false;
    fake = await startFakeElevenLabs({
      latencyMs: 2000,
      onRequest: (request) => {
        if (request.method === 'POST' && !killed) setTimeout(() => child?.kill('SIGKILL'), 100);
      },
    });
    const env = { ELEVENLABS_API_KEY: fake.apiKey, ELEVENLABS_BASE_URL: fake.baseURL, SPX_STORE: `sqlite://${join(dir, 'state.sqlite')}` };
    const args = ['run', pipeline, sample, '--out', join(dir, 'out')];

    const first = await spx(args, env, (c) => (child = c));
    killed = true;
    expect(first.signal, first.output).to.equal('SIGKILL');
    // The server finishes (and bills) the request the killed run sent; let it, so the count below
    // is taken after it and only the runs that follow can change it.
    const settled = Date.now() + 20_000;
    while (fake.transcriptions.some((t) => t.status === 0) && Date.now() < settled) await new Promise((r) => setTimeout(r, 50));
    fake.options.latencyMs = 0;

    const second = await spx(args, env);
    expect(second.code, second.output).to.equal(0);
    expect((await readdir(join(dir, 'out'))).sort()).to.deep.equal(['meeting.json', 'meeting.md', 'meeting.srt', 'meeting.txt', 'meeting.vtt']);
    const srt = await readFile(join(dir, 'out', 'meeting.srt'), 'utf8');
    expect(srt).to.contain('SPEAKER_00').and.contain('SPEAKER_01').and.match(/00:00:00,120 --> /);
    const paid = fake.counts.transcriptions;

    const third = await spx([...args, '--from-stage', 'merge'], env);
    expect(third.code, third.output).to.equal(0);
    expect(third.output).to.match(/resume saved \d+ stages?, 1 paid API call/);
    expect(fake.counts.transcriptions).to.equal(paid);
  });
});
