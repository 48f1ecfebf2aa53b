import { execFileSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { SpxError } from '@spx/core';
import { openStore, type Store } from '@spx/core/engine';
import { prepareParams, runStageForTest } from '@spx/core/testing';
import plugin, { detectSilences, probeAudio, type ConvertParams } from '../src/index.js';
import { env, expectRejects, makeBursts, makeTone, removeDir, tempDir } from './helpers.js';

const convert = plugin.stages['ffmpeg/convert']!;
const probe = plugin.stages['ffmpeg/probe']!;
const chunk = plugin.stages['ffmpeg/chunk']!;

interface ChunkOut {
  index: number;
  start: number;
  end: number;
  file: { path: string; bytes: number; sha256: string };
}

/** A store that aborts `controller` right after the n-th chunk checkpoint is written. */
function abortingStore(store: Store, controller: AbortController, afterChunks: number): Store {
  let written = 0;
  return {
    ...store,
    get: store.get.bind(store),
    keys: store.keys.bind(store),
    delete: store.delete.bind(store),
    close: store.close.bind(store),
    async set(key, value) {
      await store.set(key, value);
      if (key.includes('chunk:') && ++written === afterChunks) controller.abort(new SpxError('ABORTED', 'Run interrupted.'));
    },
  };
}

describe('ffmpeg/probe', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => removeDir(dir));

  it('outputs duration, streams and codecs', async () => {
    const file = makeTone(join(dir, 'a.flac'), { seconds: 1.25, rate: 48000, channels: 2 });
    const { result } = await runStageForTest(probe, { env, params: { input: file }, dir });
    const info = result.outputs.info as { duration: number; codec: string; channels: number; streams: unknown[] };
    expect(info.duration).to.be.closeTo(1.25, 0.001);
    expect(info.codec).to.equal('flac');
    expect(info.channels).to.equal(2);
    expect(info.streams).to.have.length(1);
  });
});

describe('ffmpeg/convert', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => removeDir(dir));

  it('defaults to 16 kHz mono WAV and outputs the file plus its metadata', async () => {
    const source = makeTone(join(dir, 'in put é.mp3'), { seconds: 2, rate: 44100, channels: 2 });
    const { result, events } = await runStageForTest(convert, { env, params: { input: source }, dir });
    const audio = result.outputs.audio as { kind: string; path: string; bytes: number; sha256: string };
    const info = result.outputs.info as { duration: number; sampleRate: number; channels: number; codec: string; bytes: number };
    expect(audio.kind).to.equal('file');
    expect(audio.path).to.match(/audio\.wav$/);
    expect(info).to.include({ sampleRate: 16000, channels: 1, codec: 'pcm_s16le', bytes: audio.bytes });
    expect(info.duration).to.be.closeTo(2, 0.06);
    expect(events.some((e) => e.type === 'stage-progress')).to.equal(true);
  });

  it('takes the audio track of a video file', async () => {
    const video = join(dir, 'clip.mkv');
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=1.5:size=64x48:rate=5', '-f', 'lavfi', '-i', 'sine=duration=1.5', '-shortest', video]);
    const { result } = await runStageForTest(convert, { env, params: { input: video }, dir: join(dir, 'video') });
    const info = result.outputs.info as { duration: number; streams: Array<{ type: string }> };
    // -shortest stops muxing at a packet boundary, so the source's audio runs a few ms past 1.5 s.
    expect(info.duration).to.be.closeTo(1.5, 0.05);
    expect(info.streams.map((s) => s.type)).to.deep.equal(['audio']);
  });

  it('writes opus with a bitrate and trims', async () => {
    const source = makeTone(join(dir, 'b.wav'), { seconds: 3 });
    const { result } = await runStageForTest(convert, { env, params: { input: source, format: 'opus', bitrate: '24k', start: 0.5, end: 2.5 }, dir: join(dir, 'opus') });
    const info = result.outputs.info as { duration: number; codec: string };
    expect(info.codec).to.equal('opus');
    expect(info.duration).to.be.closeTo(2, 0.03);
  });

  it('gives the same bytes for the same input and params', async () => {
    const source = makeTone(join(dir, 'c.wav'), { seconds: 1 });
    const one = await runStageForTest(convert, { env, params: { input: source, format: 'flac' }, dir: join(dir, 'r1') });
    const two = await runStageForTest(convert, { env, params: { input: source, format: 'flac' }, dir: join(dir, 'r2') });
    expect((one.result.outputs.audio as { sha256: string }).sha256).to.equal((two.result.outputs.audio as { sha256: string }).sha256);
  });

  it('rejects params it cannot honour before running', () => {
    expect(() => prepareParams(convert, { input: 'x.wav', format: 'ogg' })).to.throw(/params/i);
    expect(() => prepareParams(convert, { input: 'x.wav', channels: 0 })).to.throw(/params/i);
    const params = prepareParams(convert, { input: 'x.wav', format: 'opus', sampleRate: 44100 });
    let error: (Error & { code?: string }) | undefined;
    try {
      void convert.preflight?.({ stageId: 'convert', params: params as unknown as ConvertParams, env: process.env });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).to.equal('PARAMS_INVALID');
  });

  it('fails preflight with BINARY_NOT_FOUND when ffmpeg is absent', () => {
    const params = prepareParams(convert, { input: 'x.wav' });
    expect(() => convert.preflight?.({ stageId: 'convert', params: params as unknown as ConvertParams, env: { PATH: '/nonexistent' } })).to.throw(/ffmpeg was not found/);
  });

  it('names the file in a one-line error for input that is not audio', async () => {
    await writeFile(join(dir, 'page.html'), '<html><body>not audio</body></html>\n');
    const error = await expectRejects(runStageForTest(convert, { env, params: { input: join(dir, 'page.html') }, dir: join(dir, 'bad') }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('page.html');
    expect(error.message.split('\n')).to.have.length(1);
    expect(await readdir(join(dir, 'bad'), { recursive: true }).catch(() => [])).to.deep.equal([]);
  });

  it('does no work when the signal is already aborted', async () => {
    const source = makeTone(join(dir, 'd.wav'), { seconds: 1 });
    const controller = new AbortController();
    controller.abort();
    const error = await expectRejects(runStageForTest(convert, { env, params: { input: source }, dir: join(dir, 'aborted'), signal: controller.signal }));
    expect(error.code).to.equal('ABORTED');
    expect(await readdir(join(dir, 'aborted'), { recursive: true }).catch(() => [])).to.deep.equal([]);
  });
});

describe('ffmpeg/chunk', () => {
  let dir: string;
  let source: string;
  let storeDir: string;
  let sequential: ChunkOut[] = [];
  before(async () => {
    dir = await tempDir();
    storeDir = await tempDir();
    // 0.9 s of tone then 0.5 s of silence, every 1.4 s: 14 s in all.
    source = makeBursts(join(dir, 'talk.wav'), { seconds: 14, period: 1.4, tone: 0.9 });
  });
  after(async () => {
    await removeDir(dir);
    await removeDir(storeDir);
  });

  it('cuts in silences, stays under the limit and sums to the whole file', async () => {
    const { result } = await runStageForTest(chunk, { env, params: { input: source, maxDuration: 4, searchWindow: 1.5 }, dir: join(dir, 'plain') });
    const chunks = result.outputs.chunks as ChunkOut[];
    sequential = chunks;
    const silences = await detectSilences(source, { env, noiseDb: -35, minSilence: 0.3 });
    expect(chunks.length).to.be.greaterThan(3);
    expect(chunks[0]!.start).to.equal(0);
    expect(chunks.at(-1)!.end).to.be.closeTo(14, 0.001);
    let total = 0;
    for (const [i, c] of chunks.entries()) {
      if (i > 0) expect(c.start).to.equal(chunks[i - 1]!.end);
      if (i < chunks.length - 1) expect(silences.some((s) => s.start <= c.end && c.end <= s.end), `cut at ${c.end} s in silence`).to.equal(true);
      const info = await probeAudio(c.file.path, { env });
      expect(info.duration).to.be.closeTo(c.end - c.start, 0.0005);
      expect(info.duration).to.be.at.most(4);
      total += info.duration;
    }
    expect(total).to.be.closeTo(14, 0.001);
    const manifest = JSON.parse(await readFile((result.outputs.manifest as { path: string }).path, 'utf8')) as { chunks: ChunkOut[] };
    expect(manifest.chunks.map((c) => c.start)).to.deep.equal(chunks.map((c) => c.start));
  });

  it('cuts the same chunks, in order, with concurrency 3', async () => {
    expect(sequential, 'the previous test ran').to.have.length.greaterThan(0);
    const three = await runStageForTest(chunk, { env, params: { input: source, maxDuration: 4, searchWindow: 1.5, concurrency: 3 }, dir: join(dir, 'c3') });
    const shas = (chunks: ChunkOut[]) => chunks.map((c) => [c.index, c.start, c.end, c.file.sha256]);
    expect(shas(three.result.outputs.chunks as ChunkOut[])).to.deep.equal(shas(sequential));
  });

  it('keeps chunks under maxBytes and adds overlap', async () => {
    const maxBytes = 32000 * 3 + 4096; // 3 s of 16 kHz mono WAV
    const { result } = await runStageForTest(chunk, { env, params: { input: source, maxBytes, overlap: 0.25 }, dir: join(dir, 'bytes') });
    const chunks = result.outputs.chunks as ChunkOut[];
    for (const [i, c] of chunks.entries()) {
      expect(c.file.bytes).to.be.at.most(maxBytes);
      if (i > 0) expect(c.start).to.be.closeTo(chunks[i - 1]!.end - 0.25, 0.0011);
    }
    expect(chunks.at(-1)!.end).to.be.closeTo(14, 0.001);
  });

  it('resumes after an abort, reusing finished chunks and re-cutting a corrupt one', async () => {
    const store = await openStore({ url: `sqlite://${join(storeDir, 'state.sqlite')}` });
    try {
      const params = { input: source, maxDuration: 4, searchWindow: 1.5 };
      const stageDir = join(dir, 'resume');
      const controller = new AbortController();
      const error = await expectRejects(runStageForTest(chunk, { env, params, dir: stageDir, store: abortingStore(store, controller, 2), signal: controller.signal }));
      expect(error.code).to.equal('ABORTED');
      const artifacts = join(stageDir, 'artifacts');
      expect((await readdir(artifacts)).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);

      const second = await runStageForTest(chunk, { env, params, dir: stageDir, store });
      const reused = second.events.filter((e) => e.type === 'step-reused').map((e) => (e as { key: string }).key);
      expect(reused).to.include.members(['probe', 'silences']);
      expect(reused.filter((k) => k.startsWith('chunk:'))).to.have.length(2);
      const chunks = second.result.outputs.chunks as ChunkOut[];

      // Damage chunk 1, then run again: only that chunk is cut again, to the same bytes.
      await writeFile(chunks[1]!.file.path, 'garbage');
      const third = await runStageForTest(chunk, { env, params, dir: stageDir, store });
      const reusedChunks = third.events.filter((e) => e.type === 'step-reused' && (e as { key: string }).key.startsWith('chunk:'));
      expect(reusedChunks).to.have.length(chunks.length - 1);
      const again = third.result.outputs.chunks as ChunkOut[];
      expect(again[1]!.file.sha256).to.equal(chunks[1]!.file.sha256);
      expect((await readFile(again[1]!.file.path)).length).to.equal(chunks[1]!.file.bytes);

      // The input disappears: earlier chunks stay checkpointed, the missing chunk names the input.
      await rm(chunks[2]!.file.path);
      const moved = source;
      const bytes = await readFile(moved);
      await rm(moved);
      try {
        const fail = await expectRejects(runStageForTest(chunk, { env, params, dir: stageDir, store }));
        expect(fail.code).to.equal('INPUT_MISSING');
        expect(fail.message).to.contain('talk.wav');
      } finally {
        await writeFile(moved, bytes);
      }
    } finally {
      await store.close();
    }
  });

  it('makes one chunk for a short file without looking for silences', async () => {
    const short = makeTone(join(dir, 'short.wav'), { seconds: 1 });
    const { result, events } = await runStageForTest(chunk, { env, params: { input: short, format: 'mp3' }, dir: join(dir, 'short') });
    const chunks = result.outputs.chunks as ChunkOut[];
    expect(chunks).to.have.length(1);
    expect(chunks[0]!.file.path).to.match(/chunk-0000\.mp3$/);
    expect(events.some((e) => e.type === 'stage-progress' && e.progress.message?.includes('silences'))).to.equal(false);
  });
});
