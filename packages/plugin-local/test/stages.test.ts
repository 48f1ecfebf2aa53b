// The three stages on the shipped two-voice sample. pocketsphinx on 33 s of audio takes
// 15–30 s, so recognition runs once in `before` and the tests share its result.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { SpxError, type Diarization, type FileRef, type StageDefinition, type Transcript } from '@spx/core';
import { openStore, type Store } from '@spx/core/engine';
import { parseRttm } from '@spx/core/formats';
import { diarizationErrorRate, wordErrorRate } from '@spx/core/metrics';
import { pluginConformanceTests, runStageForTest, type TestStageRun } from '@spx/core/testing';
import plugin from '../src/index.js';
import type { SpeechSegments } from '../src/index.js';
import { SAMPLES } from './helpers/long-audio.js';

/** The stages' environment (ctx.env): PATH, where ffmpeg and pocketsphinx are. */
const env = { PATH: process.env.PATH };
const vad = plugin.stages['local/vad']!;
const transcribe = plugin.stages['local/transcribe']!;
const diarize = plugin.stages['local/diarize']!;
const SAMPLE = join(SAMPLES, 'meeting.wav');

const readJson = async <T>(ref: unknown): Promise<T> => JSON.parse(await readFile((ref as FileRef).path, 'utf8')) as T;

describe('@spx/plugin-local', () => {
  pluginConformanceTests(it, plugin, { stages: { 'local/vad': { params: { audio: SAMPLE } }, 'local/transcribe': { params: { audio: SAMPLE } }, 'local/diarize': { params: { audio: SAMPLE } } } });
});

describe('local stages on samples/meeting.wav', () => {
  let dir: string;
  let store: Store;
  let segmentsPath: string;
  let speech: SpeechSegments;
  let asr: TestStageRun<Record<string, unknown>>;
  let transcript: Transcript;

  before(async function () {
    this.timeout(180_000);
    dir = await mkdtemp(join(tmpdir(), 'spx-local-'));
    store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}` });
    const v = await runStageForTest(vad, { env, params: { audio: SAMPLE }, dir: join(dir, 'vad') });
    segmentsPath = (v.result.outputs.segments as FileRef).path;
    speech = await readJson<SpeechSegments>(v.result.outputs.segments);
    asr = await runStageForTest(transcribe, { env, params: { audio: SAMPLE, segments: segmentsPath, concurrency: 2 }, dir: join(dir, 'asr'), store, fingerprint: 'asr' });
    transcript = await readJson<Transcript>(asr.result.outputs.transcript);
  });

  after(async () => {
    await store?.close?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('local/vad finds the seven turns as speech and little else', () => {
    expect(speech.format).to.equal('spx-speech');
    expect(speech.duration).to.be.closeTo(33.32, 0.01);
    const total = speech.speech.reduce((a, r) => a + r.end - r.start, 0);
    expect(total).to.be.within(25, 31); // the reference has 28.8 s of speech
    for (let i = 1; i < speech.speech.length; i++) expect(speech.speech[i]!.start).to.be.at.least(speech.speech[i - 1]!.end);
  });

  it('local/transcribe writes a canonical transcript with word times inside the audio', () => {
    expect(transcript.format).to.equal('spx-transcript');
    expect(transcript.timestamps).to.equal('word');
    expect(transcript.engine).to.equal('local/pocketsphinx');
    const words = transcript.segments.flatMap((s) => s.words ?? []);
    expect(words.length).to.be.greaterThan(40);
    for (const w of words) {
      expect(w.start).to.be.at.least(0);
      expect(w.end).to.be.at.most(transcript.duration! + 1e-6);
      expect(w.end).to.be.at.least(w.start);
      expect(w.confidence).to.be.within(0, 1);
      expect(w.text).to.match(/^[a-z']+$/);
    }
    for (let i = 1; i < words.length; i++) expect(words[i]!.start).to.be.at.least(words[i - 1]!.start);
    expect(asr.result.outputs.stats).to.include({ words: words.length });
  });

  it('local/transcribe recognises the sample about as well as pocketsphinx can', async () => {
    const reference = await readFile(join(SAMPLES, 'meeting.ref.txt'), 'utf8');
    const wer = wordErrorRate(reference, transcript.segments.map((s) => s.text).join(' '));
    // Measured 58.9 % (pocketsphinx alone on the whole file: 58.9 %); an empty transcript is 100 %.
    expect(wer.wer).to.be.lessThan(0.7);
    expect(wer.hits).to.be.greaterThan(30);
  });

  it('local/transcribe reuses every batch checkpoint on a rerun', async () => {
    const again = await runStageForTest(transcribe, { env, params: { audio: SAMPLE, segments: segmentsPath, concurrency: 2 }, dir: join(dir, 'asr2'), store, fingerprint: 'asr' });
    const reused = again.events.filter((e) => e.type === 'step-reused');
    expect(reused.length).to.be.greaterThan(0);
    expect(reused.every((e) => e.type === 'step-reused' && e.key.startsWith('asr-batch-'))).to.equal(true);
    expect(await readJson<Transcript>(again.result.outputs.transcript)).to.deep.equal(transcript);
  });

  it('local/diarize finds the two voices with a low DER and writes matching RTTM', async () => {
    const run = await runStageForTest(diarize, { env, params: { audio: SAMPLE, segments: segmentsPath }, dir: join(dir, 'diar'), inputStem: 'meeting' });
    const d = await readJson<Diarization>(run.result.outputs.diarization);
    expect(d.format).to.equal('spx-diarization');
    expect(d.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
    expect(run.result.outputs.speakers).to.deep.equal(d.speakers);
    const reference = parseRttm(await readFile(join(SAMPLES, 'meeting.ref.rttm'), 'utf8'));
    const der = diarizationErrorRate(reference, d.turns);
    const oneSpeaker = diarizationErrorRate(reference, speech.speech.map((r) => ({ speaker: 'X', ...r })));
    expect(der.der).to.be.lessThan(0.1); // measured 2.6 %
    expect(der.der).to.be.lessThan(oneSpeaker.der / 2);
    const rttm = parseRttm(await readFile((run.result.outputs.rttm as FileRef).path, 'utf8'));
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    expect(rttm.map((t) => [t.speaker, r3(t.start), r3(t.end)])).to.deep.equal(d.turns.map((t) => [t.speaker, t.start, t.end]));
    expect(d.exclusiveTurns).to.deep.equal(d.turns);
  });

  it('local/diarize honours numSpeakers', async () => {
    const run = await runStageForTest(diarize, { env, params: { audio: SAMPLE, segments: segmentsPath, numSpeakers: 3 }, dir: join(dir, 'diar3') });
    expect(run.result.outputs.speakers).to.have.length(3);
  });

  it('local/diarize and local/vad read any input ffmpeg reads (stereo 44.1 kHz MP3)', async () => {
    const mp3 = join(dir, 'meeting-stereo.mp3');
    await execa('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', SAMPLE, '-ac', '2', '-ar', '44100', '-c:a', 'libmp3lame', '-b:a', '96k', mp3]);
    const run = await runStageForTest(diarize, { env, params: { audio: mp3 }, dir: join(dir, 'mp3') });
    const d = await readJson<Diarization>(run.result.outputs.diarization);
    const reference = parseRttm(await readFile(join(SAMPLES, 'meeting.ref.rttm'), 'utf8'));
    expect(d.speakers).to.have.length(2);
    expect(diarizationErrorRate(reference, d.turns).der).to.be.lessThan(0.1);
    // Without a segments file the stage ran the VAD itself, with a checkpoint per window.
    expect(run.events.some((e) => e.type === 'stage-progress' && /VAD window/.test(e.progress.message ?? ''))).to.equal(true);
  });

  it('rejects contradictory speaker counts with PARAMS_INVALID', async () => {
    try {
      await runStageForTest(diarize, { env, params: { audio: SAMPLE, segments: segmentsPath, minSpeakers: 4, maxSpeakers: 2 }, dir: join(dir, 'bad') });
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as SpxError).code).to.equal('PARAMS_INVALID');
      expect((error as SpxError).hint).to.be.a('string');
    }
  });

  it('stops with ABORTED when the run is aborted', async () => {
    const controller = new AbortController();
    controller.abort(new SpxError('ABORTED', 'aborted'));
    for (const stage of [vad, diarize, transcribe] as StageDefinition[]) {
      try {
        await runStageForTest(stage, { env, params: { audio: SAMPLE }, dir: join(dir, 'abort'), signal: controller.signal });
        expect.fail('should have thrown');
      } catch (error) {
        expect((error as SpxError).code).to.equal('ABORTED');
      }
    }
  });

  it('reports a file that holds no audio as AUDIO_INVALID', async () => {
    try {
      await runStageForTest(vad, { env, params: { audio: join(SAMPLES, 'meeting.ref.txt') }, dir: join(dir, 'notaudio') });
      expect.fail('should have thrown');
    } catch (error) {
      expect(['AUDIO_INVALID', 'INPUT_INVALID']).to.include((error as SpxError).code);
    }
  });
});
