// The local stages on real human speech. The recordings come from the development set
// (SPX_DEV_SET, default <repo>/../shared/data/real) when it is there, else from the identical
// copies shipped in samples/ (see samples/README.md), so these tests always run.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import type { Diarization, FileRef, Transcript } from '@spx/core';
import { parseRttm } from '@spx/core/formats';
import { diarizationErrorRate, wordErrorRate } from '@spx/core/metrics';
import { runStageForTest } from '@spx/core/testing';
import plugin, { recognizeFile } from '../src/index.js';
import { SAMPLES } from './helpers/long-audio.js';

const vad = plugin.stages['local/vad']!;
const transcribe = plugin.stages['local/transcribe']!;
const diarize = plugin.stages['local/diarize']!;
/** The stages' environment (ctx.env): PATH, where ffmpeg and pocketsphinx are. */
const env = { PATH: process.env.PATH };

const DEV_SET = resolve(process.env.SPX_DEV_SET ?? join(SAMPLES, '..', '..', 'shared', 'data', 'real'));
/** The shipped sample, or the same recording in the dev set when present. */
function recording(sample: 'conversation' | 'monologue'): string {
  const dev = join(DEV_SET, sample === 'conversation' ? 'conv03_ls27_ls19_16k.wav' : 'mfa_acoustic_corpus_16k.wav');
  return existsSync(dev) ? dev : join(SAMPLES, `${sample}.flac`);
}

const readJson = async <T>(ref: unknown): Promise<T> => JSON.parse(await readFile((ref as FileRef).path, 'utf8')) as T;

describe('local stages on real speech', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-real-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps one person one speaker when the voice varies (fast, then slow and quieter)', async function () {
    this.timeout(120_000);
    const audio = recording('monologue');
    const v = await runStageForTest(vad, { env, params: { audio }, dir: join(dir, 'mono-vad') });
    const segments = (v.result.outputs.segments as FileRef).path;
    const run = await runStageForTest(diarize, { env, params: { audio, segments }, dir: join(dir, 'mono-diar') });
    const d = await readJson<Diarization>(run.result.outputs.diarization);
    expect(d.speakers).to.deep.equal(['SPEAKER_00']);
    const reference = parseRttm(await readFile(join(SAMPLES, 'monologue.ref.rttm'), 'utf8'));
    expect(diarizationErrorRate(reference, d.turns).der).to.be.lessThan(0.1); // measured 4.3 %, all of it speech the VAD left out
  });

  it('recognises a short real clip no worse than pocketsphinx on the whole clip, every word in the order spoken', async function () {
    this.timeout(180_000);
    // The first 22.3 s of the conversation: three turns, the third with pauses inside it.
    const clip = join(dir, 'clip.wav');
    await execa('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', recording('conversation'), '-t', '22.3', '-ac', '1', '-ar', '16000', clip]);
    const reference = (await readFile(join(SAMPLES, 'conversation.ref.txt'), 'utf8')).split('\n').slice(0, 3).join(' ');
    const v = await runStageForTest(vad, { env, params: { audio: clip }, dir: join(dir, 'clip-vad') });
    const segments = (v.result.outputs.segments as FileRef).path;
    const [asr, raw] = await Promise.all([runStageForTest(transcribe, { env, params: { audio: clip, segments, concurrency: 2 }, dir: join(dir, 'clip-asr') }), recognizeFile(clip, { env })]);
    const transcript = await readJson<Transcript>(asr.result.outputs.transcript);
    const words = transcript.segments.flatMap((s) => s.words ?? []);
    for (let i = 1; i < words.length; i++) expect(words[i]!.start, `"${words[i]!.text}" starts before "${words[i - 1]!.text}"`).to.be.at.least(words[i - 1]!.start);
    for (const w of words) expect(w.confidence).to.be.within(0, 1);
    // Merge and export order words by time, so that is the order scored.
    const local = wordErrorRate(reference, [...words].sort((a, b) => a.start - b.start).map((w) => w.text).join(' '));
    const whole = wordErrorRate(reference, raw.flatMap((u) => u.words.map((w) => w.text)).join(' '));
    expect(local.wer).to.be.at.most(whole.wer); // measured 16.4 % against 27.3 %
  });
});
