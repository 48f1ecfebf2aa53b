// The CLI end to end: `spx run pipelines/deepgram.yaml` against the fake server, in chunks; a
// rerun reuses every stage and sends nothing.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { spx, REPO } from '../../../test/support/cli.js';
import { startFakeDeepgram, type FakeDeepgram } from '../src/testing/index.js';
import { SAMPLE, envFor } from './helpers.js';

describe('e2e: spx run pipelines/deepgram.yaml', function () {
  this.timeout(60_000);
  let dir: string;
  let fake: FakeDeepgram;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-deepgram-e2e-'));
    fake = await startFakeDeepgram();
  });
  after(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports a two-speaker transcript from chunked requests, and a rerun sends nothing', async () => {
    const env = { ...envFor(fake), SPX_STORE: `sqlite://${join(dir, 'state.sqlite')}` };
    const args = ['run', join(REPO, 'pipelines/deepgram.yaml'), SAMPLE, '--out', 'out', '--set', 'chunk.maxDuration=12', '--set', 'chunk.overlap=4'];
    const first = await spx(args, { cwd: dir, env });
    expect(first.code, first.stderr).to.equal(0);
    expect((await readdir(join(dir, 'out'))).sort()).to.deep.equal(['meeting.json', 'meeting.rttm', 'meeting.srt', 'meeting.txt', 'meeting.vtt']);
    const rttm = await readFile(join(dir, 'out', 'meeting.rttm'), 'utf8');
    expect(new Set(rttm.trim().split('\n').map((line) => line.split(' ')[7]))).to.deep.equal(new Set(['SPEAKER_00', 'SPEAKER_01']));
    const sent = fake.requests.length;
    expect(sent).to.be.greaterThan(2);
    const again = await spx(args, { cwd: dir, env });
    expect(again.code, again.stderr).to.equal(0);
    expect(fake.requests.length).to.equal(sent);
  });

  it('takes the place of openai/transcribe in standard with the change docs/providers.md shows', async () => {
    const doc = await readFile(join(REPO, 'docs/providers.md'), 'utf8');
    const example = /```yaml\n(spx: 1\nname: standard-deepgram[\s\S]*?)```/.exec(doc)?.[1];
    expect(example, 'the example in docs/providers.md').to.be.a('string');
    await writeFile(join(dir, 'standard-deepgram.yaml'), example!);
    const [valid, graph] = await Promise.all([spx(['pipelines', 'validate', 'standard-deepgram.yaml'], { cwd: dir }), spx(['pipelines', 'graph', 'standard-deepgram.yaml', '--format', 'text'], { cwd: dir })]);
    expect(valid.code, valid.stdout + valid.stderr).to.equal(0);
    expect(graph.stdout).to.match(/transcribe\s+deepgram\/transcribe/);
  });
});
