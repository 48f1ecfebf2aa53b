// Reads the duration of an uploaded audio file from its header alone (no decoding), so the
// fake server can spread its words over the real length of each chunk it receives.
// Knows WAV (RIFF), FLAC (STREAMINFO), Ogg Opus/Vorbis (last granule position) and MP3
// (Xing/Info frame count, else constant bitrate). Returns undefined for anything else.
import { parseWav } from '../../formats/wav.js';

export function audioDuration(data: Uint8Array): number | undefined {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.length < 12) return undefined;
  const magic4 = buf.toString('latin1', 0, 4);
  if (magic4 === 'RIFF' && buf.toString('latin1', 8, 12) === 'WAVE') return parseWav(buf)?.duration;
  if (magic4 === 'fLaC') return flacDuration(buf);
  if (magic4 === 'OggS') return oggDuration(buf);
  return mp3Duration(buf);
}

function flacDuration(buf: Buffer): number | undefined {
  // First metadata block must be STREAMINFO (type 0), 34 bytes, right after the 4-byte header.
  const info = 8;
  if (buf.length < info + 18 || (buf[4]! & 0x7f) !== 0) return undefined;
  const sampleRate = (buf[info + 10]! << 12) | (buf[info + 11]! << 4) | (buf[info + 12]! >> 4);
  const totalSamples = (buf[info + 13]! & 0x0f) * 2 ** 32 + buf.readUInt32BE(info + 14);
  return sampleRate > 0 && totalSamples > 0 ? totalSamples / sampleRate : undefined;
}

function oggDuration(buf: Buffer): number | undefined {
  // Codec from the first page's first packet; length from the last page's granule position.
  const head = buf.indexOf('OpusHead', 0, 'latin1');
  const vorbis = buf.indexOf('\x01vorbis', 0, 'latin1');
  let rate: number;
  let preSkip = 0;
  if (head >= 0 && head < 200) {
    rate = 48_000;
    preSkip = buf.readUInt16LE(head + 10);
  } else if (vorbis >= 0 && vorbis < 200) {
    rate = buf.readUInt32LE(vorbis + 12);
  } else return undefined;
  const last = buf.lastIndexOf('OggS', buf.length - 4, 'latin1');
  if (last < 0 || last + 14 > buf.length) return undefined;
  const granule = Number(buf.readBigInt64LE(last + 6));
  return rate > 0 && granule > 0 ? Math.max(0, granule - preSkip) / rate : undefined;
}

const MP3_BITRATES: Record<string, number[]> = {
  // kbit/s by index, MPEG-1 layer III and MPEG-2/2.5 layer III.
  v1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_RATES: Record<number, number[]> = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

function mp3Duration(buf: Buffer): number | undefined {
  let offset = 0;
  if (buf.toString('latin1', 0, 3) === 'ID3' && buf.length > 10) {
    const size = ((buf[6]! & 0x7f) << 21) | ((buf[7]! & 0x7f) << 14) | ((buf[8]! & 0x7f) << 7) | (buf[9]! & 0x7f);
    offset = 10 + size;
  }
  // Find the first frame sync within a small window.
  for (let limit = Math.min(buf.length - 4, offset + 4096); offset < limit; offset++) {
    if (buf[offset] === 0xff && (buf[offset + 1]! & 0xe0) === 0xe0) break;
  }
  if (offset + 4 > buf.length || buf[offset] !== 0xff) return undefined;
  const b1 = buf[offset + 1]!;
  const b2 = buf[offset + 2]!;
  const b3 = buf[offset + 3]!;
  const version = (b1 >> 3) & 0x03; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
  const layer = (b1 >> 1) & 0x03; // 1 = layer III
  if (version === 1 || layer !== 1) return undefined;
  const bitrate = (version === 3 ? MP3_BITRATES.v1 : MP3_BITRATES.v2)![(b2 >> 4) & 0x0f];
  const sampleRate = MP3_RATES[version]?.[(b2 >> 2) & 0x03];
  if (!bitrate || !sampleRate) return undefined;
  const samplesPerFrame = version === 3 ? 1152 : 576;
  const mono = ((b3 >> 6) & 0x03) === 3;
  const sideInfo = version === 3 ? (mono ? 17 : 32) : mono ? 9 : 17;
  const tagAt = offset + 4 + sideInfo;
  const tag = buf.toString('latin1', tagAt, tagAt + 4);
  if ((tag === 'Xing' || tag === 'Info') && tagAt + 12 <= buf.length && (buf.readUInt32BE(tagAt + 4) & 0x01) !== 0) {
    return (buf.readUInt32BE(tagAt + 8) * samplesPerFrame) / sampleRate;
  }
  return ((buf.length - offset) * 8) / (bitrate * 1000);
}
