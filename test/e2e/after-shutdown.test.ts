// OpenAI after 2027-02-26, through the CLI against the fakes: standard.yaml's whisper-1 answers 404
// model_not_found, the run fails with MODEL_UNAVAILABLE (exit 2) and a hint naming the way out;
// standard-turns.yaml with gpt-transcribe then gives text per speaker turn, reusing the diarization
// the failed run paid for.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startFakeOpenAI, FAKE_API_KEY, type FakeOpenAI } from '@spx/plugin-openai/testing';
import { startFakePyannote, type FakePyannote } from '@spx/plugin-pyannote/testing';
import { REPO, spx } from '../support/cli.js';

const SAMPLE = join(REPO, 'samples', 'meeting.wav');
const POLL = ['--set', 'diarize.pollIntervalMs=20', '--set', 'diarize.maxPollIntervalMs=50'];

describe('e2e: OpenAI after the shutdown of whisper-1', function () {
  this.timeout(120_000);
  let openai: FakeOpenAI;
  let pyannote: FakePyannote;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-shutdown-'));
    openai = await startFakeOpenAI({ retiredModels: ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'gpt-4o-transcribe-diarize'] });
    pyannote = await startFakePyannote({ apiKey: 'pyannote-secret-key', jobSteps: 1 });
    env = { OPENAI_API_KEY: FAKE_API_KEY, OPENAI_BASE_URL: openai.baseURL, PYANNOTEAI_API_KEY: 'pyannote-secret-key', PYANNOTEAI_BASE_URL: pyannote.baseURL, SPX_RETRY_BASE_MS: '10' };
  });
  after(async () => {
    await openai.close();
    await pyannote.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('standard fails with MODEL_UNAVAILABLE; standard-turns with gpt-transcribe exports text per speaker turn, paying no second diarization', async () => {
    const failed = await spx(['run', join(REPO, 'pipelines', 'standard.yaml'), SAMPLE, '--out', 'out-standard', ...POLL], { cwd: dir, env });
    expect(failed.code, failed.stdout + failed.stderr).to.equal(2);
    const message = `${failed.stdout}\n${failed.stderr}`;
    expect(message).to.contain('MODEL_UNAVAILABLE').and.contain('gpt-transcribe').and.contain('pyannote-stt');
    expect(message).not.to.match(/\n\s+at /);

    const turns = await spx(['run', join(REPO, 'pipelines', 'standard-turns.yaml'), SAMPLE, '--out', 'out', ...POLL], { cwd: dir, env });
    expect(turns.code, turns.stdout + turns.stderr).to.equal(0);
    expect((await readdir(join(dir, 'out'))).sort()).to.deep.equal(['meeting.json', 'meeting.md', 'meeting.rttm', 'meeting.srt', 'meeting.txt', 'meeting.vtt']);
    const merged = JSON.parse(await readFile(join(dir, 'out', 'meeting.json'), 'utf8')) as { utterances: Array<{ speaker: string; text: string }> };
    expect(new Set(merged.utterances.map((u) => u.speaker))).to.deep.equal(new Set(['SPEAKER_00', 'SPEAKER_01']));
    expect(merged.utterances.every((u) => u.text.length > 0)).to.equal(true);
    const uploads = openai.requests.filter((r) => r.status === 200);
    expect(uploads.length).to.be.greaterThan(2);
    expect(uploads.every((r) => r.model === 'gpt-transcribe')).to.equal(true);
    // The diarization the failed run finished is reused, not paid again.
    expect(pyannote.counts.diarizations).to.equal(1);
  });
});
