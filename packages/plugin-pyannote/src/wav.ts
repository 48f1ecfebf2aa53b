// Reads the header of a RIFF/WAVE file: enough to know an upload's duration (for usage
// figures) and, in the fake server, to walk 16-bit PCM samples for plausible speaker turns.
import { open } from 'node:fs/promises';

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 1 = PCM, 3 = IEEE float, 0xFFFE = extensible. */
  formatTag: number;
  /** Offset of the first sample byte. */
  dataOffset: number;
  /** Bytes of sample data (clamped to what the buffer or file holds). */
  dataBytes: number;
  /** Seconds. */
  duration: number;
}

/** Parses a WAV header from the start of a file (or the whole file); undefined when it is not WAV. */
export function parseWavHeader(buffer: Uint8Array, totalBytes = buffer.byteLength): WavInfo | undefined {
  const view = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (view.length < 12 || view.toString('ascii', 0, 4) !== 'RIFF' || view.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let fmt: Pick<WavInfo, 'sampleRate' | 'channels' | 'bitsPerSample' | 'formatTag'> | undefined;
  while (offset + 8 <= view.length) {
    const id = view.toString('ascii', offset, offset + 4);
    const size = view.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= view.length) {
      fmt = {
        formatTag: view.readUInt16LE(body),
        channels: view.readUInt16LE(body + 2),
        sampleRate: view.readUInt32LE(body + 4),
        bitsPerSample: view.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.sampleRate === 0 || fmt.channels === 0 || fmt.bitsPerSample === 0) return undefined;
      // ffmpeg writes 0xFFFFFFFF (or 0) as the data size when it streams; use what is there.
      const available = Math.max(0, totalBytes - body);
      const dataBytes = size === 0 || size === 0xffffffff ? available : Math.min(size, available);
      const bytesPerSecond = (fmt.sampleRate * fmt.channels * fmt.bitsPerSample) / 8;
      return { ...fmt, dataOffset: body, dataBytes, duration: dataBytes / bytesPerSecond };
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}

/** Duration in seconds of a WAV file, read from its header; undefined for other formats. */
export async function wavDuration(path: string): Promise<number | undefined> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 64 * 1024));
    await handle.read(head, 0, head.length, 0);
    return parseWavHeader(head, size)?.duration;
  } finally {
    await handle.close();
  }
}
