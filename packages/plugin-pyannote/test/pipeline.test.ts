// pipelines/identification.yaml end to end: real ffmpeg, the core runner and a real SQLite
// store, pyannoteAI faked on 127.0.0.1.
import { copyFile, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SpxError } from '@spx/core';
import { corePlugin, loadPipeline, runPipeline, type Store } from '@spx/core/engine';
import { startFakePyannote, type FakePyannote } from '../src/testing/index.js';
import { removeDir, sqliteStore, tempDir, until, fakeEnv, type Env } from './helpers.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const pipelineFile = join(repo, 'pipelines/identification.yaml');
const packageJson = createRequire(import.meta.url).resolve('../package.json');
const fast = ['identify.pollIntervalMs=5', 'identify.maxPollIntervalMs=20'];

describe('pipelines/identification.yaml', () => {
  let fake: FakePyannote;
  let env: Env;
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = await tempDir();
    store = await sqliteStore(dir);
  });
  afterEach(async () => {
    await store?.close();
    await fake?.close();
    await removeDir(dir);
  });

  const load = () => loadPipeline(pipelineFile, { builtins: [corePlugin], resolveFrom: [packageJson], overrides: fast });
  const run = async (input: string, signal?: AbortSignal) =>
    runPipeline({ pipeline: await load(), inputs: { audio: input }, store, workDir: join(dir, 'work'), outDir: join(dir, 'out'), env: { ...process.env, ...env }, ...(signal ? { signal } : {}) });

  it('names the meeting speakers from the demo samples and exports the timeline', async () => {
    fake = await startFakePyannote();
    env = fakeEnv(fake);
    const input = join(dir, 'meeting.wav');
    await copyFile(join(repo, 'samples/meeting.wav'), input);
    const summary = await run(input);
    expect(summary.status, summary.error?.message).to.equal('completed');
    const rttm = (await readFile(join(dir, 'out', 'meeting.rttm'), 'utf8')).trim().split('\n');
    const reference = (await readFile(join(repo, 'samples/meeting.ref.rttm'), 'utf8')).trim().split('\n');
    expect(rttm.map((l) => l.split(' ')[7])).to.deep.equal(reference.map((l) => (l.split(' ')[7] === 'A' ? 'Alex' : 'Beth')));
    rttm.forEach((line, i) => expect(Number(line.split(' ')[3])).to.be.closeTo(Number(reference[i]!.split(' ')[3]), 0.15));
    const txt = await readFile(join(dir, 'out', 'meeting.txt'), 'utf8');
    expect(txt).to.match(/^\[00:00:00\] Alex: \(speech, \d+\.\d s\)/);
    expect(fake.counts).to.include({ voiceprints: 2, identifications: 1, jobsCreated: 3 });
  });

  it('fails before any stage runs when the key is missing', async () => {
    fake = await startFakePyannote();
    env = fakeEnv(fake, { PYANNOTEAI_API_KEY: undefined });
    const input = join(dir, 'meeting.wav');
    await copyFile(join(repo, 'samples/meeting.wav'), input);
    const error = await run(input).then(
      (s) => s.error,
      (e: unknown) => e as SpxError,
    );
    expect(error?.code).to.equal('MISSING_API_KEY');
    expect(fake.counts.requests).to.equal(0);
  });

  it('resumes after an interrupt while the identify job runs, without a second job', async () => {
    fake = await startFakePyannote({ paused: ['identify'] });
    env = fakeEnv(fake);
    const input = join(dir, 'meeting.wav');
    await copyFile(join(repo, 'samples/meeting.wav'), input);
    const controller = new AbortController();
    const first = run(input, controller.signal);
    await until(() => fake.jobs().some((j) => j.type === 'identify' && j.polls >= 1), 'the identify job to be polled');
    controller.abort(new SpxError('ABORTED', 'interrupted'));
    const interrupted = await first.catch((e: unknown) => ({ status: 'thrown', error: e as SpxError }));
    expect(interrupted.status).to.not.equal('completed');
    fake.resume();
    const summary = await run(input);
    expect(summary.status, summary.error?.message).to.equal('completed');
    expect(summary.reused).to.include('convert');
    expect(fake.counts).to.include({ identifications: 1, voiceprints: 2, uploads: 3 });
  });
});
