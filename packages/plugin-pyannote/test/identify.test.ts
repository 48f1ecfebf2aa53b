import { mkdir, readFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { SpxError, type Diarization } from '@spx/core';
import { type Store } from '@spx/core/engine';
import { runStageForTest } from '@spx/core/testing';
import { identifyStage, voiceprintStage, type SpeakerMatch } from '../src/index.js';
import { startFakePyannote, type FakePyannote } from '../src/testing/index.js';
import { FAST, makeVoices, rejection, removeDir, sqliteStore, tempDir, until, fakeEnv, type Env, type Voices } from './helpers.js';

describe('pyannote/identify', () => {
  let voices: Voices;
  let speakersDir: string;
  let fake: FakePyannote;
  let env: Env;
  let dir: string;
  let store: Store;

  before(async () => {
    voices = await makeVoices();
    speakersDir = join(voices.dir, 'speakers');
    await mkdir(speakersDir);
    await copyFile(voices.alice, join(speakersDir, 'Alice.wav'));
    await copyFile(voices.bob, join(speakersDir, 'Bob.wav'));
  });
  after(async () => {
    await removeDir(voices?.dir);
  });
  afterEach(async () => {
    await store?.close();
    await fake?.close();
    await removeDir(dir);
  });

  async function setup(options: Parameters<typeof startFakePyannote>[0] = {}): Promise<void> {
    fake = await startFakePyannote(options);
    env = fakeEnv(fake);
    dir = await tempDir();
    store = await sqliteStore(dir);
  }

  const run = (params: Record<string, unknown>, options: { runId?: string; signal?: AbortSignal } = {}) =>
    runStageForTest(identifyStage, { params: { ...FAST, ...params }, store, dir, env, runId: options.runId ?? 'run-1', ...(options.signal ? { signal: options.signal } : {}) });
  const read = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as Diarization;

  it('labels turns with the names of a speakers folder, with match confidence', async () => {
    await setup();
    const { result } = await run({ audio: voices.dialog, speakersDir });
    const diarization = await read(result.outputs.diarization.path);
    expect(diarization.turns.map((t) => t.speaker)).to.deep.equal(['Alice', 'Bob', 'Alice']);
    expect(diarization.exclusiveTurns!.map((t) => t.speaker)).to.deep.equal(['Alice', 'Bob', 'Alice']);
    expect(diarization.names).to.deep.equal({ Alice: 'Alice', Bob: 'Bob' });
    expect(diarization.turns[0]!.confidence).to.be.greaterThan(0.9);
    const matches = result.outputs.matches as unknown as SpeakerMatch[];
    expect(matches.map((m) => [m.speaker, m.match])).to.deep.equal([['SPEAKER_00', 'Alice'], ['SPEAKER_01', 'Bob']]);
    expect(fake.counts).to.include({ voiceprints: 2, identifications: 1, uploads: 3 });
    const sent = fake.jobs().find((j) => j.type === 'identify')!.request as { voiceprints: Array<{ label: string }>; matching: unknown };
    expect(sent.voiceprints.map((v) => v.label)).to.deep.equal(['Alice', 'Bob']);
    expect(sent.matching).to.deep.equal({ exclusive: true, threshold: 0 });
    expect((await readFile(result.outputs.rttm.path, 'utf8')).split('\n')[1]).to.contain(' Bob ');
  });

  it('keeps anonymous labels for speakers without a match', async () => {
    await setup();
    const { result } = await run({ audio: voices.trio, speakers: { Alice: voices.alice, Bob: voices.bob }, numSpeakers: 3 });
    const diarization = await read(result.outputs.diarization.path);
    expect(diarization.turns.map((t) => t.speaker)).to.deep.equal(['Alice', 'Bob', 'SPEAKER_02']);
    expect(diarization.turns[2]!.confidence).to.equal(undefined);
    expect(diarization.speakers).to.deep.equal(['Alice', 'Bob', 'SPEAKER_02']);
    expect(diarization.names).to.not.have.property('SPEAKER_02');
  });

  it('names nobody when the threshold is above every confidence', async () => {
    await setup();
    const { result } = await run({ audio: voices.dialog, speakersDir, matchThreshold: 99 });
    const diarization = await read(result.outputs.diarization.path);
    expect(diarization.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
    expect(diarization.names).to.deep.equal({});
  });

  it('reuses cached voiceprints across runs and from pyannote/voiceprint', async () => {
    await setup();
    await runStageForTest(voiceprintStage, { params: { ...FAST, sample: join(speakersDir, 'Alice.wav') }, store, dir, env, runId: 'vp' });
    expect(fake.counts.voiceprints).to.equal(1);
    await run({ audio: voices.dialog, speakersDir }, { runId: 'run-1' });
    expect(fake.counts.voiceprints).to.equal(2);
    const { events } = await run({ audio: voices.trio, speakersDir }, { runId: 'run-2' });
    expect(fake.counts.voiceprints).to.equal(2);
    expect(fake.counts.identifications).to.equal(2);
    expect(events.filter((e) => e.type === 'step-reused' && e.paid && e.key.startsWith('voiceprint/'))).to.have.length(2);
  });

  it('accepts voiceprint files written by pyannote/voiceprint', async () => {
    await setup();
    const vp = await runStageForTest(voiceprintStage, { params: { ...FAST, sample: voices.bob, label: 'Robert' }, store, dir, env, runId: 'vp' });
    const { result } = await run({ audio: voices.dialog, voiceprints: [vp.result.outputs.voiceprint.path] });
    const diarization = await read(result.outputs.diarization.path);
    expect(diarization.turns.map((t) => t.speaker)).to.deep.equal(['SPEAKER_00', 'Robert', 'SPEAKER_00']);
    expect(fake.counts.voiceprints).to.equal(1);
  });

  it('resumes the identify job after a kill while it runs (one job)', async () => {
    await setup({ paused: ['identify'] });
    const controller = new AbortController();
    const first = run({ audio: voices.dialog, speakersDir }, { signal: controller.signal });
    await until(() => fake.jobs().some((j) => j.type === 'identify' && j.polls >= 1), 'an identify poll');
    controller.abort(new SpxError('ABORTED', 'interrupted'));
    expect((await rejection(() => first)).code).to.equal('ABORTED');
    fake.resume();
    const { result } = await run({ audio: voices.dialog, speakersDir });
    expect(fake.counts.identifications).to.equal(1);
    expect(fake.counts.voiceprints).to.equal(2);
    expect(result.outputs.speakers).to.deep.equal(['Alice', 'Bob']);
  });

  it('refuses names the API reserves and empty declarations', async () => {
    await setup();
    const reserved = await rejection(() => run({ audio: voices.dialog, speakers: { SPEAKER_07: voices.alice } }));
    expect(reserved.code).to.equal('PARAMS_INVALID');
    const none = await rejection(() => run({ audio: voices.dialog }));
    expect(none.code).to.equal('PARAMS_INVALID');
    expect(none.hint).to.contain('speakersDir');
    expect(fake.counts.requests).to.equal(0);
  });
});
