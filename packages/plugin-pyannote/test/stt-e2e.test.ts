// The CLI end to end: `spx run pipelines/pyannote-stt.yaml` against the fake server — one job that
// diarizes and transcribes; a rerun submits nothing.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO, spx } from '../../../test/support/cli.js';
import { startFakePyannote, type FakePyannote } from '../src/testing/index.js';
import { fakeEnv } from './helpers.js';

describe('e2e: spx run pipelines/pyannote-stt.yaml', function () {
  this.timeout(60_000);
  let dir: string;
  let fake: FakePyannote;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-pyannote-stt-'));
    fake = await startFakePyannote({ jobSteps: 1 });
  });
  after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports words with both speakers from one job, and a rerun submits nothing', async () => {
    const env = { ...fakeEnv(fake), SPX_STORE: `sqlite://${join(dir, 'state.sqlite')}` } as NodeJS.ProcessEnv;
    const args = ['run', join(REPO, 'pipelines/pyannote-stt.yaml'), join(REPO, 'samples/meeting.wav'), '--out', 'out', '--set', 'diarize.pollIntervalMs=20', '--set', 'diarize.maxPollIntervalMs=50'];
    const first = await spx(args, { cwd: dir, env });
    expect(first.code, first.stderr).to.equal(0);
    expect((await readdir(join(dir, 'out'))).sort()).to.deep.equal(['meeting.json', 'meeting.rttm', 'meeting.srt', 'meeting.txt', 'meeting.vtt']);
    const merged = JSON.parse(await readFile(join(dir, 'out', 'meeting.json'), 'utf8')) as { segments?: Array<{ speaker?: string; words?: unknown[] }> };
    expect(JSON.stringify(merged)).to.contain('SPEAKER_00').and.contain('SPEAKER_01');
    expect(await readFile(join(dir, 'out', 'meeting.srt'), 'utf8')).to.match(/[A-Z][a-z]+ [a-z]+/);
    expect(fake.counts.jobsCreated).to.equal(1);
    const again = await spx(args, { cwd: dir, env });
    expect(again.code, again.stderr).to.equal(0);
    expect(fake.counts.jobsCreated).to.equal(1);
  });
});
