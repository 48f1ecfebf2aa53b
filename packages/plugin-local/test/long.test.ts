// A long recording (about 3.5 minutes, two voices, fresh sentences in every turn) diarized in
// 40-second windows: speakers must be linked across windows, not relabelled or collapsed.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SpxError, type Diarization, type FileRef } from '@spx/core';
import { openStore, type Store } from '@spx/core/engine';
import { diarizationErrorRate } from '@spx/core/metrics';
import { runStageForTest } from '@spx/core/testing';
import plugin, { detectSpeech, diarizeSpeech, DIARIZE_DEFAULTS, readSpeechSegments, streamPcm } from '../src/index.js';
import { buildLongAudio, type LongAudio } from './helpers/long-audio.js';

/** The stages' environment (ctx.env): PATH, where ffmpeg and pocketsphinx are. */
const env = { PATH: process.env.PATH };
const diarize = plugin.stages['local/diarize']!;
const vad = plugin.stages['local/vad']!;

describe('long recordings', () => {
  let dir: string;
  let long: LongAudio;
  let store: Store;
  let segments: string;
  let full: Diarization;

  before(async function () {
    this.timeout(120_000);
    dir = await mkdtemp(join(tmpdir(), 'spx-long-'));
    long = await buildLongAudio(dir, 26);
    store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}` });
    const v = await runStageForTest(vad, { env, params: { audio: long.path, windowSeconds: 60 }, dir: join(dir, 'vad') });
    segments = (v.result.outputs.segments as FileRef).path;
  });

  after(async () => {
    await store?.close?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams PCM in bounded blocks, window by window', async () => {
    let count = 0;
    let largest = 0;
    for await (const block of streamPcm({ input: long.path, start: 30, duration: 12.5, blockSamples: 4000, env })) {
      count += block.length;
      largest = Math.max(largest, block.length);
    }
    expect(largest).to.equal(4000);
    expect(count).to.equal(12.5 * 16000);
  });

  it('finds the same speech with a VAD window of any size', async () => {
    const a = await readSpeechSegments(segments); // local/vad with 60 s windows, in before()
    const b = await detectSpeech(long.path, { windowSeconds: 600 }, { env });
    const total = (s: typeof a) => s.speech.reduce((x, r) => x + r.end - r.start, 0);
    expect(Math.abs(total(a) - total(b))).to.be.lessThan(1);
    expect(Math.abs(a.speech.length - b.speech.length)).to.be.at.most(2);
  });

  it('links speakers across windows: two speakers, low DER', async () => {
    const run = await runStageForTest(diarize, { env, params: { audio: long.path, segments, windowSeconds: 40 }, dir: join(dir, 'diar'), store, fingerprint: 'long' });
    const d = JSON.parse(await readFile((run.result.outputs.diarization as FileRef).path, 'utf8')) as Diarization;
    full = d;
    expect(long.duration).to.be.greaterThan(180);
    expect(run.result.outputs.stats).to.include({ windows: Math.ceil(long.duration / 40) });
    expect(d.speakers).to.have.length(2);
    const der = diarizationErrorRate(long.turns, d.turns);
    expect(der.der).to.be.lessThan(0.1);
    // Every window reported progress.
    const progress = run.events.filter((e) => e.type === 'stage-progress');
    expect(progress.length).to.equal(Math.ceil(long.duration / 40));
  });

  it('resumes from the per-window checkpoints', async () => {
    const again = await runStageForTest(diarize, { env, params: { audio: long.path, segments, windowSeconds: 40 }, dir: join(dir, 'diar2'), store, fingerprint: 'long' });
    const reused = again.events.filter((e) => e.type === 'step-reused');
    expect(reused.length).to.equal(Math.ceil(long.duration / 40));
    expect(again.result.outputs.speakers).to.have.length(2);
  });

  it('stops with ABORTED between windows and resumes from the last finished one', async () => {
    const speech = await readSpeechSegments(segments);
    const memo = new Map<string, unknown>();
    const ran: string[] = [];
    const step = async <T,>(key: string, fn: () => Promise<T>): Promise<T> => {
      if (memo.has(key)) return memo.get(key) as T;
      ran.push(key);
      const value = await fn();
      memo.set(key, value);
      return value;
    };
    const controller = new AbortController();
    const options = { ...DIARIZE_DEFAULTS, windowSeconds: 40 };
    try {
      await diarizeSpeech(long.path, speech, options, {
        env,
        signal: controller.signal,
        step,
        progress: (done) => {
          if (done === 2) controller.abort(new SpxError('ABORTED', 'stopped by the test'));
        },
      });
      expect.fail('should have thrown');
    } catch (error) {
      expect((error as SpxError).code).to.equal('ABORTED');
    }
    expect(ran).to.deep.equal(['diarize-window-0', 'diarize-window-1', 'diarize-window-2']);
    expect([...memo.keys()]).to.deep.equal(['diarize-window-0', 'diarize-window-1']);
    ran.length = 0;
    const resumed = await diarizeSpeech(long.path, speech, options, { env, step });
    expect(ran[0]).to.equal('diarize-window-2');
    expect(ran).to.not.include('diarize-window-0');
    expect(resumed.turns).to.deep.equal(full.turns);
  });
});
