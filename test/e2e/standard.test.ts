// The standard pipeline end to end through the CLI against fake OpenAI and pyannoteAI servers on
// 127.0.0.1, on the shipped two-voice recording: outputs checked, then a kill mid-transcription
// and a resume that repeats no finished paid call.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startFakeOpenAI, FAKE_API_KEY, type FakeOpenAI } from '@spx/plugin-openai/testing';
import { startFakePyannote, type FakePyannote } from '@spx/plugin-pyannote/testing';
import { openStore } from '@spx/core/engine';
import { REPO, spx, startSpx } from '../support/cli.js';

async function savedChunkSteps(storePath: string): Promise<number> {
  const store = await openStore({ url: `sqlite://${storePath}` });
  try {
    let count = 0;
    for await (const key of store.keys('step:')) if (key.includes(':transcribe:') && key.includes(':chunks:')) count++;
    return count;
  } finally {
    await store.close();
  }
}

const SAMPLE = join(REPO, 'samples', 'meeting.wav');
const PIPELINE = join(REPO, 'pipelines', 'standard.yaml');
// Small chunks so the 30-second sample becomes several uploads; fast polling for the fake.
const SETS = ['--set', 'transcribe.maxDuration=6', '--set', 'transcribe.concurrency=1', '--set', 'diarize.pollIntervalMs=20', '--set', 'diarize.maxPollIntervalMs=50'];

describe('e2e: pipelines/standard.yaml', function () {
  this.timeout(120_000);
  let openai: FakeOpenAI;
  let pyannote: FakePyannote;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-standard-'));
    openai = await startFakeOpenAI({ latencyMs: 150 });
    pyannote = await startFakePyannote({ apiKey: 'pyannote-secret-key' });
    env = {
      OPENAI_API_KEY: FAKE_API_KEY,
      OPENAI_BASE_URL: openai.baseURL,
      PYANNOTEAI_API_KEY: 'pyannote-secret-key',
      PYANNOTEAI_BASE_URL: pyannote.baseURL,
      SPX_RETRY_BASE_MS: '10',
    };
  });
  afterEach(async () => {
    await openai.close();
    await pyannote.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('produces speaker-labelled exports, and a rerun reuses everything', async () => {
    const first = await spx(['run', PIPELINE, SAMPLE, '--out', 'out', ...SETS], { cwd: dir, env });
    expect(first.code, first.stderr + first.stdout).to.equal(0);
    const files = (await readdir(join(dir, 'out'))).sort();
    expect(files).to.deep.equal(['meeting.json', 'meeting.md', 'meeting.rttm', 'meeting.srt', 'meeting.txt', 'meeting.vtt']);
    const srt = await readFile(join(dir, 'out', 'meeting.srt'), 'utf8');
    expect(srt).to.match(/^1\n\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d\n/);
    const merged = JSON.parse(await readFile(join(dir, 'out', 'meeting.json'), 'utf8')) as { utterances: Array<{ speaker: string; text: string }> };
    const speakers = new Set(merged.utterances.map((u) => u.speaker));
    expect(speakers.size, 'two diarized speakers in the transcript').to.be.greaterThanOrEqual(2);
    expect(merged.utterances.every((u) => u.text.length > 0)).to.equal(true);
    const uploads = openai.successCount();
    expect(uploads).to.be.greaterThan(2);
    expect(pyannote.counts.diarizations).to.equal(1);

    const second = await spx(['run', PIPELINE, SAMPLE, '--out', 'out', ...SETS], { cwd: dir, env });
    expect(second.code, second.stderr).to.equal(0);
    expect(second.stdout).to.contain('0 ran, 5 reused');
    expect(openai.successCount()).to.equal(uploads);
    expect(pyannote.counts.diarizations).to.equal(1);
  });

  it('resumes after kill -9 mid-transcription without repeating a finished upload or job', async () => {
    const { child, done } = startSpx(['run', PIPELINE, SAMPLE, '--out', 'out', ...SETS], { cwd: dir, env });
    // Kill as soon as two chunks have been transcribed.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (openai.successCount() >= 2) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    child.kill('SIGKILL');
    await done;
    // A chunk counts as finished once its sub-step checkpoint is in the store; a response the
    // process received but had not saved when it was killed may legitimately be asked again.
    const saved = await savedChunkSteps(join(dir, '.spx', 'state.sqlite'));
    const uploadsBefore = openai.successCount();
    const jobsBefore = pyannote.counts.jobsCreated;
    const resumed = await spx(['run', PIPELINE, SAMPLE, '--out', 'out', ...SETS], { cwd: dir, env });
    expect(resumed.code, resumed.stderr + resumed.stdout).to.equal(0);
    const chunks = openai.successesByHash().size;
    expect(saved, 'some chunks were checkpointed before the kill').to.be.greaterThan(0);
    expect(openai.successCount() - uploadsBefore, 'the resume uploads only chunks without a checkpoint').to.equal(chunks - saved);
    expect(pyannote.counts.jobsCreated, 'one diarization job in total').to.equal(Math.max(1, jobsBefore));
    expect(resumed.stdout).to.match(/resume saved .* paid API call/);
    // Keys never reach the store, the logs or the exports.
    const haystack = [resumed.stdout, resumed.stderr, await readFile(join(dir, '.spx', 'state.sqlite')).then((b) => b.toString('latin1')), ...(await Promise.all((await readdir(join(dir, 'out'))).map((f) => readFile(join(dir, 'out', f), 'latin1'))))].join('\n');
    expect(haystack).to.not.contain('pyannote-secret-key');
    expect(haystack).to.not.contain(FAKE_API_KEY);
  });
});
