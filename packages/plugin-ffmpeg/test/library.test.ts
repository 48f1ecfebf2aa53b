import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readdir, stat, writeFile, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { sha256File } from '@spx/core';
import { convertAudio, detectSilences, extractSegment, extractSegmentMeasured, findBinaries, planChunks, probeAudio } from '../src/index.js';
import { env, expectRejects, makeBursts, makeSilentVideo, makeTone, processesMentioning, removeDir, tempDir } from './helpers.js';

describe('findBinaries', () => {
  it('finds ffmpeg and ffprobe on PATH', () => {
    const found = findBinaries({ PATH: process.env.PATH });
    expect(found.ffmpeg).to.match(/ffmpeg$/);
    expect(found.ffprobe).to.match(/ffprobe$/);
  });

  it('prefers FFMPEG_PATH and FFPROBE_PATH', () => {
    const real = findBinaries({ PATH: process.env.PATH });
    const found = findBinaries({ PATH: '', FFMPEG_PATH: real.ffmpeg, FFPROBE_PATH: real.ffprobe });
    expect(found).to.deep.equal(real);
  });

  it('fails with BINARY_NOT_FOUND and an install hint when ffmpeg is missing', () => {
    let error: (Error & { code?: string; hint?: string }) | undefined;
    try {
      findBinaries({ PATH: '/nonexistent-dir' });
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).to.equal('BINARY_NOT_FOUND');
    expect(error?.hint).to.contain('apt-get install ffmpeg');
    expect(error?.hint).to.contain('FFMPEG_PATH');
  });

  it('names a bad FFMPEG_PATH', () => {
    expect(() => findBinaries({ PATH: process.env.PATH, FFMPEG_PATH: '/no/such/ffmpeg' })).to.throw(/FFMPEG_PATH points at "\/no\/such\/ffmpeg"/);
  });
});

describe('probeAudio', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => removeDir(dir));

  it('reports duration, rate, channels, codec, container and size', async () => {
    const file = makeTone(join(dir, 'tone.wav'), { seconds: 2.345, rate: 22050, channels: 2 });
    const info = await probeAudio(file, { env });
    expect(info.duration).to.be.closeTo(2.345, 0.0005);
    expect(info).to.include({ sampleRate: 22050, channels: 2, codec: 'pcm_s16le', formatName: 'wav', bytes: (await stat(file)).size });
    expect(info.streams).to.have.length(1);
    expect(info.streams[0]).to.include({ type: 'audio', codec: 'pcm_s16le' });
  });

  it('rejects a missing file with INPUT_MISSING naming it', async () => {
    const error = await expectRejects(probeAudio(join(dir, 'nope.wav'), { env }));
    expect(error.code).to.equal('INPUT_MISSING');
    expect(error.message).to.contain('nope.wav');
  });

  it('rejects a directory with INPUT_INVALID', async () => {
    await mkdir(join(dir, 'folder.wav'));
    const error = await expectRejects(probeAudio(join(dir, 'folder.wav'), { env }));
    expect(error.code).to.equal('INPUT_INVALID');
    expect(error.message).to.contain('is a directory');
  });

  it('rejects an empty file with AUDIO_INVALID', async () => {
    await writeFile(join(dir, 'empty.mp3'), '');
    const error = await expectRejects(probeAudio(join(dir, 'empty.mp3'), { env }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('empty.mp3').and.contain('empty');
  });

  it('rejects a text file with a one-line reason from ffmpeg', async () => {
    await writeFile(join(dir, 'notes.wav'), 'these are not audio samples\n'.repeat(20));
    const error = await expectRejects(probeAudio(join(dir, 'notes.wav'), { env }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('notes.wav').and.contain('Invalid data found when processing input');
    expect(error.message).to.not.contain('\n');
  });

  it('rejects a truncated WAV', async () => {
    const file = makeTone(join(dir, 'full.wav'), { seconds: 3 });
    const bytes = await readFile(file);
    await writeFile(join(dir, 'cut.wav'), bytes.subarray(0, 20000));
    const error = await expectRejects(probeAudio(join(dir, 'cut.wav'), { env }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('cut.wav').and.contain('truncated');
  });

  it('rejects a truncated WAV whose data chunk lies behind a large LIST chunk', async () => {
    const file = makeTone(join(dir, 'tagged.wav'), { seconds: 3 });
    const bytes = await readFile(file);
    const at = bytes.indexOf('data', 12, 'latin1');
    const list = Buffer.alloc(8 + 100_000, 0x20);
    list.write('LISTINFO', 0, 'latin1');
    list.writeUInt32LE(100_000, 4);
    const tagged = Buffer.concat([bytes.subarray(0, at), list, bytes.subarray(at)]);
    tagged.writeUInt32LE(tagged.length - 8, 4);
    await writeFile(join(dir, 'tagged-cut.wav'), tagged.subarray(0, tagged.length - 40_000));
    const error = await expectRejects(probeAudio(join(dir, 'tagged-cut.wav'), { env }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('tagged-cut.wav').and.contain('header declares 3.000 s of audio but it holds 1.750 s');
  });

  it('rejects a truncated MP4 whose index is missing', async () => {
    const file = makeTone(join(dir, 'full.m4a'), { seconds: 2, codecArgs: ['-c:a', 'aac'] });
    const bytes = await readFile(file);
    await writeFile(join(dir, 'cut.m4a'), bytes.subarray(0, 3000));
    const error = await expectRejects(probeAudio(join(dir, 'cut.m4a'), { env }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('cut.m4a').and.contain('moov atom not found');
  });

  it('rejects an unsupported codec', async () => {
    const file = makeTone(join(dir, 'ok.wav'), { seconds: 1 });
    const bytes = Buffer.from(await readFile(file));
    const fmt = bytes.indexOf('fmt ');
    bytes.writeUInt16LE(0x3333, fmt + 8);
    await writeFile(join(dir, 'odd.wav'), bytes);
    const error = await expectRejects(probeAudio(join(dir, 'odd.wav'), { env }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('odd.wav').and.contain('unsupported audio codec');
  });

  it('rejects a video without an audio stream', async () => {
    const file = makeSilentVideo(join(dir, 'picture.mp4'));
    const error = await expectRejects(probeAudio(file, { env }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('no audio stream');
  });

  it('handles paths with spaces and unicode', async () => {
    const file = makeTone(join(dir, 'réunion du 3 mai — équipe.wav'), { seconds: 1.5 });
    const info = await probeAudio(file, { env });
    expect(info.duration).to.be.closeTo(1.5, 0.0005);
  });
});

describe('convertAudio', () => {
  let dir: string;
  let source: string;
  before(async () => {
    dir = await tempDir();
    source = makeTone(join(dir, 'source.wav'), { seconds: 2.5, rate: 44100, channels: 2 });
  });
  after(() => removeDir(dir));

  it('makes 16 kHz mono 16-bit WAV with the exact duration', async () => {
    const output = join(dir, 'out', 'a.wav');
    await convertAudio({ env, input: source, output, sampleRate: 16000, channels: 1 });
    const info = await probeAudio(output, { env });
    expect(info).to.include({ sampleRate: 16000, channels: 1, codec: 'pcm_s16le' });
    expect(info.duration).to.be.closeTo(2.5, 0.001);
    expect(info.bytes).to.equal(44 + 2.5 * 16000 * 2);
  });

  for (const [format, codec] of [['flac', 'flac'], ['mp3', 'mp3'], ['opus', 'opus']] as const) {
    it(`writes ${format}`, async () => {
      const output = join(dir, `b.${format}`);
      await convertAudio({ env, input: source, output, format, sampleRate: 16000, channels: 1, bitrate: '32k' });
      const info = await probeAudio(output, { env });
      expect(info.codec).to.equal(codec);
      expect(info.channels).to.equal(1);
      // Lossy codecs add encoder delay and padding (mp3 at 16 kHz: ~0.09 s).
      expect(info.duration).to.be.closeTo(2.5, 0.1);
    });
  }

  it('trims to start/end to the millisecond', async () => {
    const output = join(dir, 'trim.wav');
    await convertAudio({ env, input: source, output, sampleRate: 16000, channels: 1, start: 0.25, end: 1.987 });
    const info = await probeAudio(output, { env });
    expect(info.duration).to.be.closeTo(1.737, 0.001);
  });

  it('normalises loudness and keeps the sample rate', async () => {
    const output = join(dir, 'loud.wav');
    await convertAudio({ env, input: source, output, normalize: true, channels: 1 });
    const info = await probeAudio(output, { env });
    expect(info.sampleRate).to.equal(44100);
    expect(info.duration).to.be.closeTo(2.5, 0.01);
  });

  it('reports progress fractions ending at 1', async () => {
    const fractions: number[] = [];
    await convertAudio({ env, input: source, output: join(dir, 'p.wav'), sampleRate: 16000, onProgress: (f) => fractions.push(f) });
    expect(fractions.at(-1)).to.equal(1);
    expect([...fractions].sort((a, b) => a - b)).to.deep.equal(fractions);
  });

  it('rejects a truncated FLAC and leaves no output', async () => {
    const flac = join(dir, 'whole.flac');
    await convertAudio({ env, input: source, output: flac, channels: 1 });
    const bytes = await readFile(flac);
    await writeFile(join(dir, 'half.flac'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const output = join(dir, 'from-half.wav');
    const error = await expectRejects(convertAudio({ env, input: join(dir, 'half.flac'), output }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('half.flac').and.contain('truncated');
    expect((await readdir(dir)).filter((f) => f.includes('from-half'))).to.deep.equal([]);
  });

  it('rejects an MP3 cut off mid-download', async () => {
    const mp3 = join(dir, 'whole.mp3');
    await convertAudio({ env, input: source, output: mp3, channels: 1, sampleRate: 16000 });
    const bytes = await readFile(mp3);
    await writeFile(join(dir, 'part.mp3'), bytes.subarray(0, Math.floor(bytes.length * 0.4)));
    const error = await expectRejects(convertAudio({ env, input: join(dir, 'part.mp3'), output: join(dir, 'from-part.wav') }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('part.mp3').and.contain('truncated');
  });

  it('accepts a video whose audio track is shorter than the picture', async () => {
    const video = join(dir, 'short-audio.mkv');
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=duration=3:size=64x48:rate=5', '-f', 'lavfi', '-i', 'sine=duration=1', video]);
    const output = join(dir, 'short-audio.wav');
    await convertAudio({ env, input: video, output, sampleRate: 16000, channels: 1 });
    expect((await probeAudio(output, { env })).duration).to.be.closeTo(1, 0.05);
  });

  it('rejects an opus sample rate opus cannot encode', async () => {
    const error = await expectRejects(convertAudio({ env, input: source, output: join(dir, 'x.opus'), sampleRate: 44100 }));
    expect(error.code).to.equal('PARAMS_INVALID');
  });

  it('kills ffmpeg on abort and leaves no file behind', async function () {
    const long = join(dir, 'long-abort.wav');
    makeTone(long, { seconds: 1200, rate: 8000 });
    const controller = new AbortController();
    const output = join(dir, 'abort-out', 'x.mp3');
    const promise = convertAudio({ env, input: long,
      output,
      format: 'mp3',
      normalize: true,
      signal: controller.signal,
      onProgress: (fraction) => {
        if (fraction > 0) controller.abort();
      },
    });
    const error = await expectRejects(promise);
    expect(error.code).to.equal('ABORTED');
    expect(await readdir(join(dir, 'abort-out'))).to.deep.equal([]);
    expect(await processesMentioning(join(dir, 'abort-out'))).to.deep.equal([]);
  });

  it('leaves no ffmpeg running when the calling process is killed outright', async () => {
    const long = join(dir, 'long-kill.wav');
    makeTone(long, { seconds: 1200, rate: 8000 });
    const output = join(dir, 'kill-out', 'x.mp3');
    const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'convert-and-wait.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, long, output], { stdio: ['ignore', 'pipe', 'inherit'] });
    let said = '';
    child.stdout.on('data', (chunk: Buffer) => (said += chunk.toString()));
    for (let i = 0; i < 200 && !said.includes('started'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(said).to.contain('started');
    expect(await processesMentioning(join(dir, 'kill-out'))).to.have.length.greaterThan(0);
    child.kill('SIGKILL');
    await once(child, 'exit');
    let left = await processesMentioning(join(dir, 'kill-out'));
    for (let i = 0; i < 40 && left.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      left = await processesMentioning(join(dir, 'kill-out'));
    }
    expect(left).to.deep.equal([]);
    // The killed process's temp file is swept by the next conversion to that output.
    expect((await readdir(join(dir, 'kill-out'))).filter((f) => f.endsWith('.tmp'))).to.have.length(1);
    await convertAudio({ env, input: source, output });
    expect(await readdir(join(dir, 'kill-out'))).to.deep.equal(['x.mp3']);
  });
});

describe('ffmpeg failures not caused by the input', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => removeDir(dir));

  it('reports an ffmpeg killed by a signal as STAGE_FAILED, not as bad audio', async () => {
    const fake = join(dir, 'ffmpeg');
    await writeFile(fake, '#!/bin/sh\nkill -9 $$\n', { mode: 0o755 });
    const source = makeTone(join(dir, 'ok.wav'), { seconds: 1 });
    const real = findBinaries({ PATH: process.env.PATH });
    const error = await expectRejects(convertAudio({ input: source, output: join(dir, 'out.wav'), env: { PATH: process.env.PATH, FFMPEG_PATH: fake, FFPROBE_PATH: real.ffprobe } }));
    expect(error.code).to.equal('STAGE_FAILED');
    expect(error.message).to.contain('killed by SIGKILL');
    expect((await readdir(dir)).sort()).to.deep.equal(['ffmpeg', 'ok.wav']);
  });
});

describe('output errors', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => removeDir(dir));

  it('blames the output, not the input, when ffmpeg cannot write', async () => {
    const source = makeTone(join(dir, 'fine.wav'), { seconds: 1 });
    // /proc exists everywhere and accepts no new files, even from root.
    const error = await expectRejects(convertAudio({ env, input: source, output: '/proc/spx-test-output.wav' }));
    expect(error.code).to.equal('STAGE_FAILED');
    expect(error.message).to.contain('could not write "/proc/spx-test-output.wav"');
  });
});

describe('extractSegment', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => removeDir(dir));

  it('cuts a sample-accurate segment', async () => {
    const source = makeTone(join(dir, 's.wav'), { seconds: 4 });
    const output = join(dir, 'seg.wav');
    await extractSegment({ env, input: source, output, start: 1.125, end: 3.5 });
    const info = await probeAudio(output, { env });
    expect(info.duration).to.be.closeTo(2.375, 0.0005);
    expect(info.bytes).to.equal(44 + 2.375 * 16000 * 2);
  });

  it('stops at the end of the file unless strict', async () => {
    const source = makeTone(join(dir, 'short.wav'), { seconds: 2 });
    await extractSegment({ env, input: source, output: join(dir, 'tail.wav'), start: 1.5, end: 4 });
    expect((await probeAudio(join(dir, 'tail.wav'), { env })).duration).to.be.closeTo(0.5, 0.0005);
    const error = await expectRejects(extractSegment({ env, input: source, output: join(dir, 'tail2.wav'), start: 1.5, end: 4, strict: true }));
    expect(error.code).to.equal('AUDIO_INVALID');
    expect(error.message).to.contain('short.wav').and.contain('decoded 0.500 s of the 2.500 s expected');
  });

  it('returns bytes and sha256 when asked', async () => {
    const source = makeTone(join(dir, 'h.wav'), { seconds: 1 });
    const written = await extractSegmentMeasured({ env, input: source, output: join(dir, 'h-out.wav'), start: 0, end: 1, hash: true });
    expect(written.bytes).to.equal(44 + 32000);
    expect(written.sha256).to.equal(await sha256File(join(dir, 'h-out.wav')));
    expect(written.seconds).to.be.closeTo(1, 0.0005);
  });

  it('names a missing input', async () => {
    const error = await expectRejects(extractSegment({ env, input: join(dir, 'gone.wav'), output: join(dir, 'o.wav'), start: 0, end: 1 }));
    expect(error.code).to.equal('INPUT_MISSING');
    expect(error.message).to.contain('gone.wav');
  });
});

describe('detectSilences', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => removeDir(dir));

  it('finds the gaps between tone bursts', async () => {
    const file = makeBursts(join(dir, 'bursts.wav'), { seconds: 6, period: 2, tone: 1.4 });
    const silences = await detectSilences(file, { env, noiseDb: -35, minSilence: 0.3 });
    expect(silences).to.have.length(3);
    silences.forEach((s, k) => {
      expect(s.start).to.be.closeTo(2 * k + 1.4, 0.01);
      expect(s.end).to.be.closeTo(2 * k + 2, 0.01);
    });
  });

  it('finds none in a continuous tone', async () => {
    const file = makeTone(join(dir, 'tone.wav'), { seconds: 2 });
    expect(await detectSilences(file, { env })).to.deep.equal([]);
  });
});

describe('planChunks', () => {
  const silences = [
    { start: 8, end: 9 },
    { start: 17, end: 17.5 },
    { start: 19, end: 19.6 },
    { start: 40, end: 41 },
  ];

  it('returns one chunk when the file is under the limit', () => {
    expect(planChunks({ duration: 5, silences, maxDuration: 10 })).to.deep.equal([{ index: 0, start: 0, end: 5 }]);
  });

  it('cuts in the latest silence below each limit and covers the whole file', () => {
    const chunks = planChunks({ duration: 50, silences, maxDuration: 20, searchWindow: 5 });
    expect(chunks.map((c) => c.end)).to.deep.equal([19.3, 39.3, 50]); // [34.3, 39.3] holds no silence: hard cut
    expect(chunks[0]!.start).to.equal(0);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.start).to.equal(chunks[i - 1]!.end);
    for (const chunk of chunks) expect(chunk.end - chunk.start).to.be.at.most(20);
  });

  it('skips a silence that only grazes the limit', () => {
    const chunks = planChunks({ duration: 50, silences: [{ start: 12, end: 13 }, { start: 19.95, end: 21 }], maxDuration: 20, searchWindow: 10 });
    expect(chunks[0]!.end).to.equal(12.5);
  });

  it('cuts hard at the limit when no silence is near', () => {
    const chunks = planChunks({ duration: 50, silences: [], maxDuration: 20 });
    expect(chunks).to.deep.equal([
      { index: 0, start: 0, end: 20 },
      { index: 1, start: 20, end: 40 },
      { index: 2, start: 40, end: 50 },
    ]);
  });

  it('turns a byte limit into seconds', () => {
    const chunks = planChunks({ duration: 100, silences: [], maxBytes: 32000 * 30 + 4096, bytesPerSecond: 32000 });
    expect(chunks.map((c) => c.end)).to.deep.equal([30, 60, 90, 100]);
  });

  it('adds overlap without exceeding the limit', () => {
    const chunks = planChunks({ duration: 50, silences: [], maxDuration: 20, overlap: 2 });
    expect(chunks[1]).to.deep.equal({ index: 1, start: 18, end: 38 });
    for (const chunk of chunks) expect(chunk.end - chunk.start).to.be.at.most(20);
    expect(chunks.at(-1)!.end).to.equal(50);
  });

  it('rejects an overlap of half the limit or more', () => {
    expect(() => planChunks({ duration: 50, silences, maxDuration: 10, overlap: 5 })).to.throw(/Overlap/);
  });
});
