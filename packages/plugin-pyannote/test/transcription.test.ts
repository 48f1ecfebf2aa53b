// pyannote/diarize with transcription: one job diarizes and transcribes; its word- and turn-level
// transcription becomes a canonical Transcript with word timestamps and speakers next to the
// diarization, and a resumed run pays for nothing again.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { isSpxError, type Diarization, type Transcript } from '@spx/core';
import { type Store } from '@spx/core/engine';
import { pluginConformanceTests, runStageForTest } from '@spx/core/testing';
import plugin, { diarizeStage, transcriptFromOutput } from '../src/index.js';
import { startFakePyannote, type FakePyannote } from '../src/testing/index.js';
import { FAST, fakeEnv, makeVoices, removeDir, sqliteStore, tempDir, type Voices } from './helpers.js';

describe('pyannote/diarize with transcription', () => {
  let voices: Voices;
  let fake: FakePyannote;
  let dir: string;
  let store: Store;
  before(async () => {
    voices = await makeVoices();
    fake = await startFakePyannote();
    dir = await tempDir();
    store = await sqliteStore(dir);
  });
  after(async () => {
    await store.close();
    await fake.close();
    await removeDir(dir);
    await removeDir(voices.dir);
  });

  it('writes a Transcript of words with timestamps and the diarization\'s speakers from one job', async () => {
    const { result, accounting } = await runStageForTest(diarizeStage, { params: { ...FAST, audio: voices.dialog, transcription: true, transcriptionConfig: { model: 'faster-whisper-large-v3-turbo' } }, store, dir, env: fakeEnv(fake) });
    const transcript = JSON.parse(await readFile(result.outputs.transcript.path, 'utf8')) as Transcript;
    const diarization = JSON.parse(await readFile(result.outputs.diarization.path, 'utf8')) as Diarization;
    expect(transcript).to.deep.include({ format: 'spx-transcript', engine: 'pyannoteai', timestamps: 'word', model: 'precision-2 + faster-whisper-large-v3-turbo' });
    expect(transcript.segments.map((s) => s.speaker)).to.deep.equal(['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_00']);
    for (const segment of transcript.segments) {
      expect(segment.words!.length).to.be.greaterThan(2);
      expect(segment.words!.every((w) => w.speaker === segment.speaker && w.start >= segment.start - 0.01 && w.end <= segment.end + 0.01)).to.equal(true);
    }
    expect(diarization.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
    const submitted = fake.requests.find((r) => r.path === '/v1/diarize')!.body as Record<string, unknown>;
    expect(submitted).to.deep.include({ transcription: true, transcriptionConfig: { model: 'faster-whisper-large-v3-turbo' } });
    expect(accounting.paidStepsRun).to.equal(1);
    expect(fake.counts.jobsCreated).to.equal(1);
  });

  it('refuses transcription with community-1 before any request', async () => {
    const before = fake.counts.requests;
    const error = await runStageForTest(diarizeStage, { params: { ...FAST, audio: voices.dialog, model: 'community-1', transcription: true }, env: fakeEnv(fake) }).catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('PARAMS_INVALID');
    expect((error as Error).message).to.contain('precision-2');
    expect(fake.counts.requests).to.equal(before);
  });

  it('keeps words no turn holds, and gives segment timestamps when the job has turns only', () => {
    const words = transcriptFromOutput(
      { diarization: [], wordLevelTranscription: [{ start: 0, end: 0.4, text: 'Hi', speaker: 'SPEAKER_00' }, { start: 5, end: 5.3, text: 'yes', speaker: 'SPEAKER_01' }], turnLevelTranscription: [{ start: 0, end: 1, text: 'Hi', speaker: 'SPEAKER_00' }] },
      { model: 'precision-2', sttModel: 'parakeet-tdt-0.6b-v3' },
    )!;
    expect(words.segments.map((s) => [s.text, s.speaker, s.words?.length])).to.deep.equal([['Hi', 'SPEAKER_00', 1], ['yes', 'SPEAKER_01', 1]]);
    const turns = transcriptFromOutput({ diarization: [], turnLevelTranscription: [{ start: 0, end: 1, text: 'Hi', speaker: 'SPEAKER_00' }, { start: 2, end: 1, text: 'bad', speaker: 'SPEAKER_01' }] }, { model: 'precision-2', sttModel: 'x' })!;
    expect(turns.timestamps).to.equal('segment');
    expect(turns.segments).to.have.length(1);
    expect(transcriptFromOutput({ diarization: [] }, { model: 'precision-2', sttModel: 'x' })).to.equal(undefined);
  });

  describe('conformance with transcription', () => {
    const audio = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));
    const env: Record<string, string | undefined> = {};
    let server: FakePyannote;
    before(async () => {
      server = await startFakePyannote();
      Object.assign(env, fakeEnv(server));
    });
    after(() => server.close());
    pluginConformanceTests(it, plugin, {
      stages: {
        'pyannote/diarize': { params: { ...FAST, audio, transcription: true }, env, resume: true, documents: { transcript: 'transcript', diarization: 'diarization' } },
        'pyannote/voiceprint': { params: { sample: audio }, env },
        'pyannote/identify': { params: { audio }, env },
      },
    });
  });
});
