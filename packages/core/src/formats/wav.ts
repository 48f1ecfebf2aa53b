// RIFF/WAVE headers, read once for everyone who needs a WAV's facts without decoding it: ffmpeg's
// truncation check, upload durations for usage figures, the fake servers' sample walkers. One
// chunk walker serves a buffer (the start of a file, or all of it) and a file read chunk header by
// chunk header, so a large LIST chunk before `data` is skipped without reading it. Handles
// odd-sized chunks (pad byte), LIST/fact/bext chunks, WAVE_FORMAT_EXTENSIBLE (the sub-format is the
// format), RF64 (ds64 sizes), truncated files, and the open sizes (0 or 0xFFFFFFFF) that streaming
// writers such as `ffmpeg … -f wav -` leave in the header.
import { open } from 'node:fs/promises';

/** fmt tags whose samples are fixed-size frames (duration follows from the byte count). */
export const WAV_PCM = 1;
export const WAV_FLOAT = 3;
const FRAMED = new Set([WAV_PCM, WAV_FLOAT, 6 /* A-law */, 7 /* µ-law */]);
const EXTENSIBLE = 0xfffe;
const OPEN_SIZE = 0xffffffff;

export interface WavInfo {
  /** "RIFF", or "RF64"/"BW64" for files over 4 GiB. */
  container: 'RIFF' | 'RF64' | 'BW64';
  /** The sample format: 1 PCM, 3 IEEE float, …; for WAVE_FORMAT_EXTENSIBLE the sub-format's tag. */
  formatTag: number;
  /** The fmt chunk is WAVE_FORMAT_EXTENSIBLE (0xFFFE). */
  extensible: boolean;
  channels: number;
  sampleRate: number;
  /** As the header states it (average bytes per second). */
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  /** Offset of the first sample byte. */
  dataOffset: number;
  /** Bytes of sample data the file really holds (the declared size, or less when truncated). */
  dataBytes: number;
  /** Bytes of sample data the header declares; undefined when the writer left it open (streamed). */
  declaredDataBytes?: number;
  /** Sample frames per channel, where known: from the data for PCM-like formats, else the fact chunk. */
  frames?: number;
  /** Seconds of audio the file holds. */
  duration: number;
  /** Seconds the header declares (undefined when the size was left open). */
  declaredDuration?: number;
}

interface Fmt {
  formatTag: number;
  extensible: boolean;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
}

/** A request for `length` bytes at `offset`; answered with what is there (possibly fewer). */
type Read = { offset: number; length: number };
type Walk = Generator<Read, WavInfo | undefined, Uint8Array>;

const fourcc = (bytes: Uint8Array, at = 0): string => String.fromCharCode(...bytes.subarray(at, at + 4));
const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function parseFmt(body: Uint8Array): Fmt | undefined {
  if (body.byteLength < 16) return undefined;
  const v = view(body);
  let formatTag = v.getUint16(0, true);
  const extensible = formatTag === EXTENSIBLE;
  // WAVE_FORMAT_EXTENSIBLE: cbSize (22), valid bits, channel mask, then the sub-format GUID whose
  // first two bytes are the real format tag.
  if (extensible && body.byteLength >= 26) formatTag = v.getUint16(24, true);
  return { formatTag, extensible, channels: v.getUint16(2, true), sampleRate: v.getUint32(4, true), byteRate: v.getUint32(8, true), blockAlign: v.getUint16(12, true), bitsPerSample: v.getUint16(14, true) };
}

function describe(container: WavInfo['container'], fmt: Fmt, dataOffset: number, declared: number | undefined, available: number, factFrames: number | undefined): WavInfo | undefined {
  if (fmt.channels === 0 || fmt.sampleRate === 0) return undefined;
  const dataBytes = declared === undefined ? available : Math.min(declared, available);
  // PCM-like data: frames of blockAlign bytes (a header's byteRate may be wrong; the frame size is
  // what the samples are). Other codecs (ADPCM, GSM): the fact chunk's frame count, else byteRate.
  const frameBytes = fmt.blockAlign || (fmt.channels * fmt.bitsPerSample) / 8;
  const framed = FRAMED.has(fmt.formatTag) && frameBytes > 0;
  const bytesPerSecond = framed ? fmt.sampleRate * frameBytes : fmt.byteRate;
  if (!(bytesPerSecond > 0) && factFrames === undefined) return undefined;
  let frames: number | undefined;
  let duration: number;
  let declaredDuration: number | undefined;
  if (framed) {
    frames = Math.floor(dataBytes / frameBytes);
    duration = dataBytes / bytesPerSecond;
    if (declared !== undefined) declaredDuration = declared / bytesPerSecond;
  } else if (factFrames !== undefined && (declared === undefined || dataBytes >= declared)) {
    frames = factFrames;
    duration = factFrames / fmt.sampleRate;
    if (declared !== undefined) declaredDuration = duration;
  } else {
    duration = bytesPerSecond > 0 ? dataBytes / bytesPerSecond : 0;
    if (declared !== undefined) declaredDuration = factFrames !== undefined ? factFrames / fmt.sampleRate : declared / bytesPerSecond;
  }
  return { container, ...fmt, dataOffset, dataBytes, ...(declared === undefined ? {} : { declaredDataBytes: declared }), ...(frames === undefined ? {} : { frames }), duration, ...(declaredDuration === undefined ? {} : { declaredDuration }) };
}

/** Walks the chunks of a WAVE file of `fileBytes` bytes, asking for bytes as it goes. */
function* walk(fileBytes: number): Walk {
  const head = yield { offset: 0, length: 12 };
  if (head.byteLength < 12) return undefined;
  const magic = fourcc(head);
  if ((magic !== 'RIFF' && magic !== 'RF64' && magic !== 'BW64') || fourcc(head, 8) !== 'WAVE') return undefined;
  const container = magic as WavInfo['container'];
  let fmt: Fmt | undefined;
  let factFrames: number | undefined;
  let ds64Data: number | undefined;
  let offset = 12;
  while (offset + 8 <= fileBytes) {
    const header = yield { offset, length: 8 };
    if (header.byteLength < 8) return undefined;
    const id = fourcc(header);
    const size = view(header).getUint32(4, true);
    const body = offset + 8;
    if (id === 'data') {
      if (!fmt) return undefined;
      const available = Math.max(0, fileBytes - body);
      // RF64 keeps the real size in ds64; a streaming writer leaves 0 or 0xFFFFFFFF: what is there counts.
      const declared = size === OPEN_SIZE && ds64Data !== undefined ? ds64Data : size === OPEN_SIZE || (size === 0 && available > 0) ? undefined : size;
      return describe(container, fmt, body, declared, available, factFrames);
    }
    if (id === 'fmt ' || id === 'fact' || id === 'ds64') {
      const bytes = yield { offset: body, length: Math.min(size, 64) };
      if (id === 'fmt ') fmt = parseFmt(bytes);
      else if (id === 'fact' && bytes.byteLength >= 4) factFrames = view(bytes).getUint32(0, true);
      else if (id === 'ds64' && bytes.byteLength >= 16) ds64Data = Number(view(bytes).getBigUint64(8, true));
    }
    // Chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
    offset = body + size + (size % 2);
  }
  return undefined;
}

/**
 * Reads a WAV header from `bytes` — the whole file, or its start with the file's size as
 * `fileBytes`. Undefined when it is not a WAVE file, or its fmt/data chunks are not in `bytes`.
 */
export function parseWav(bytes: Uint8Array, fileBytes = bytes.byteLength): WavInfo | undefined {
  const walker = walk(fileBytes);
  let step = walker.next(new Uint8Array(0));
  while (!step.done) {
    const { offset, length } = step.value;
    step = walker.next(bytes.subarray(Math.min(offset, bytes.byteLength), Math.min(offset + length, bytes.byteLength)));
  }
  return step.value;
}

/** Reads the header of the WAV file at `path` (a few small reads); undefined when it is not WAV. */
export async function readWavInfo(path: string): Promise<WavInfo | undefined> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const walker = walk(size);
    let step = walker.next(new Uint8Array(0));
    while (!step.done) {
      const buffer = new Uint8Array(step.value.length);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, step.value.offset);
      step = walker.next(buffer.subarray(0, bytesRead));
    }
    return step.value;
  } finally {
    await handle.close();
  }
}

/** A 16-bit PCM WAV of mono float samples (−1..1, clipped). */
export function encodeWav(samples: Float32Array, sampleRate: number): Buffer {
  const data = samples.length * 2;
  const buf = Buffer.alloc(44 + data);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + data, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(WAV_PCM, 20);
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(data, 40);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]!));
    buf.writeInt16LE(Math.round(v < 0 ? v * 32768 : v * 32767), 44 + i * 2);
  }
  return buf;
}
