// The one WAV header reader, on real files written by ffmpeg and sox (streamed, extensible,
// ADPCM with fact, RF64, truncated, odd-sized and large chunks before the data) and by encodeWav.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { encodeWav, parseWav, readWavInfo, WAV_FLOAT, WAV_PCM } from '../../src/formats/wav.js';

const ffmpeg = (args: string[]) => execFileSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
const tone = (seconds: number, rate = 16000) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=${seconds}`];
const probed = (path: string) => Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], { encoding: 'utf8' }).trim());

/** A RIFF chunk: id, little-endian size, body, and the pad byte an odd size needs. */
function chunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

/** `wav` with `extra` chunks inserted right before its data chunk (RIFF size updated). */
function withChunksBeforeData(wav: Buffer, extra: Buffer[]): Buffer {
  const at = wav.indexOf('data', 12, 'latin1');
  const out = Buffer.concat([wav.subarray(0, at), ...extra, wav.subarray(at)]);
  out.writeUInt32LE(out.length - 8, 4);
  return out;
}

describe('WAV header reader', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-wav-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads an ffmpeg 16-bit PCM file from a buffer and from disk alike', async () => {
    const path = join(dir, 'plain.wav');
    ffmpeg([...tone(1.5, 22050), '-ac', '2', path]);
    const fromDisk = await readWavInfo(path);
    const fromBuffer = parseWav(await readFile(path));
    expect(fromDisk).to.deep.equal(fromBuffer);
    expect(fromDisk).to.include({ container: 'RIFF', formatTag: WAV_PCM, extensible: false, channels: 2, sampleRate: 22050, bitsPerSample: 16, blockAlign: 4, frames: 33075 });
    expect(fromDisk!.duration).to.be.closeTo(probed(path), 0.001);
    expect(fromDisk!.declaredDuration).to.equal(fromDisk!.duration);
  });

  it('takes what is there when a streaming writer left the data size open (0xFFFFFFFF), past a LIST chunk', async () => {
    const piped = execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', ...tone(2), '-f', 'wav', '-'], { maxBuffer: 1 << 24 });
    expect(piped.readUInt32LE(4)).to.equal(0xffffffff);
    expect(piped.indexOf('LIST', 12, 'latin1')).to.be.greaterThan(0);
    const info = parseWav(piped)!;
    expect(info.declaredDataBytes).to.equal(undefined);
    expect(info.declaredDuration).to.equal(undefined);
    expect(info.dataBytes).to.equal(64000);
    expect(info.duration).to.equal(2);
  });

  it('reads the sub-format of WAVE_FORMAT_EXTENSIBLE files (sox 24-bit stereo, ffmpeg 6-channel float)', async () => {
    const sox = join(dir, 'sox24.wav');
    execFileSync('sox', ['-n', '-r', '16000', '-b', '24', '-c', '2', sox, 'synth', '1', 'sine', '440']);
    const a = (await readWavInfo(sox))!;
    expect(a).to.include({ formatTag: WAV_PCM, extensible: true, channels: 2, bitsPerSample: 24, blockAlign: 6, frames: 16000 });
    expect(a.duration).to.equal(1);
    const float = join(dir, 'float6.wav');
    ffmpeg([...tone(0.5, 48000), '-ac', '6', '-c:a', 'pcm_f32le', float]);
    const b = (await readWavInfo(float))!;
    expect(b).to.include({ formatTag: WAV_FLOAT, extensible: true, channels: 6, bitsPerSample: 32 });
    expect(b.duration).to.be.closeTo(0.5, 1e-6);
  });

  it('times compressed WAV (IMA ADPCM) by its fact chunk', async () => {
    const path = join(dir, 'ima.wav');
    ffmpeg([...tone(1.25), '-c:a', 'adpcm_ima_wav', path]);
    const info = (await readWavInfo(path))!;
    expect(info.formatTag).to.equal(0x11);
    expect(info.frames).to.be.a('number');
    expect(info.duration).to.be.closeTo(probed(path), 0.01);
  });

  it('steps over odd-sized chunks by their pad byte', async () => {
    const plain = join(dir, 'odd-base.wav');
    ffmpeg([...tone(1), plain]);
    const odd = withChunksBeforeData(await readFile(plain), [chunk('junk', Buffer.from('abc')), chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00spx!\x00', 'latin1'))]);
    const info = parseWav(odd)!;
    expect(info.duration).to.equal(1);
    expect(odd.subarray(info.dataOffset, info.dataOffset + info.dataBytes)).to.deep.equal((await readFile(plain)).subarray(-32000));
    // 8-bit mono with an odd number of samples: an odd data chunk, counted to the byte.
    const u8 = join(dir, 'u8.wav');
    ffmpeg([...tone(2), '-af', 'atrim=end_sample=16001', '-c:a', 'pcm_u8', u8]);
    const eight = (await readWavInfo(u8))!;
    expect(eight).to.include({ bitsPerSample: 8, blockAlign: 1, frames: 16001, dataBytes: 16001 });
  });

  it('reports a truncated file: what it holds and what its header declares', async () => {
    const path = join(dir, 'full.wav');
    ffmpeg([...tone(3), path]);
    const bytes = await readFile(path);
    const info = parseWav(bytes.subarray(0, 20000))!;
    expect(info.declaredDataBytes).to.equal(96000);
    expect(info.dataBytes).to.equal(20000 - info.dataOffset);
    expect(info.declaredDuration).to.equal(3);
    expect(info.duration).to.be.closeTo((20000 - info.dataOffset) / 32000, 1e-9);
  });

  it('finds the data chunk behind a chunk larger than any fixed-size header read', async () => {
    const plain = join(dir, 'big-list-base.wav');
    ffmpeg([...tone(1), plain]);
    const path = join(dir, 'big-list.wav');
    const big = withChunksBeforeData(await readFile(plain), [chunk('LIST', Buffer.alloc(200_001, 0x41))]);
    await writeFile(path, big);
    expect(parseWav(big.subarray(0, 65536), big.length)).to.equal(undefined);
    const info = (await readWavInfo(path))!;
    expect(info.dataOffset).to.be.greaterThan(200_000);
    expect(info.duration).to.equal(1);
  });

  it('reads RF64 files (ds64 sizes)', async () => {
    const path = join(dir, 'rf64.wav');
    ffmpeg([...tone(0.75), '-rf64', 'always', path]);
    const info = (await readWavInfo(path))!;
    expect(info.container).to.equal('RF64');
    expect(info.declaredDataBytes).to.equal(24000);
    expect(info.duration).to.equal(0.75);
  });

  it('says undefined for what is not WAVE audio', async () => {
    const mp3 = join(dir, 'tone.mp3');
    ffmpeg([...tone(0.5), mp3]);
    expect(await readWavInfo(mp3)).to.equal(undefined);
    expect(parseWav(new Uint8Array(20))).to.equal(undefined);
    expect(parseWav(Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'))).to.equal(undefined);
  });

  it('encodes a 44-byte PCM header and clips samples to 16 bits', () => {
    const buf = encodeWav(Float32Array.from([0, 0.5, -1, 2]), 16000);
    expect(buf.toString('ascii', 0, 4)).to.equal('RIFF');
    expect(buf.readUInt32LE(24)).to.equal(16000);
    expect(buf.readUInt32LE(40)).to.equal(8);
    expect(buf.readInt16LE(46)).to.equal(16384);
    expect(buf.readInt16LE(48)).to.equal(-32768);
    expect(buf.readInt16LE(50)).to.equal(32767);
  });

  it('encodes mono float samples as a 16-bit PCM WAV that ffprobe and the reader agree on', async () => {
    const samples = Float32Array.from({ length: 8001 }, (_, i) => Math.sin(i / 5) * 1.2);
    const path = join(dir, 'encoded.wav');
    await writeFile(path, encodeWav(samples, 16000));
    const info = (await readWavInfo(path))!;
    expect(info).to.include({ formatTag: WAV_PCM, channels: 1, sampleRate: 16000, frames: 8001 });
    expect(info.duration).to.be.closeTo(probed(path), 0.0005);
    const pcm = (await readFile(path)).subarray(info.dataOffset);
    expect(Math.max(...Array.from({ length: 8001 }, (_, i) => pcm.readInt16LE(i * 2)))).to.equal(32767);
  });
});
