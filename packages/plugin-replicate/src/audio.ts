// Small audio facts the stage needs: media type by extension and duration (WAV header, else
// @spx/plugin-ffmpeg's probe, which finds ffprobe through FFPROBE_PATH or PATH of the run's env).
import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { probeAudio } from '@spx/plugin-ffmpeg';

const MEDIA_TYPES: Record<string, string> = {
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.m4a': 'audio/mp4',
  '.mp4': 'audio/mp4',
  '.aac': 'audio/aac',
  '.webm': 'audio/webm',
};

export function audioMediaType(path: string): string {
  return MEDIA_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Duration of a PCM WAV from its header (fmt byte rate, data size), or undefined.
 * `totalSize` is the whole file's size when `bytes` holds only its start.
 */
export function wavDuration(bytes: Uint8Array, totalSize = bytes.length): number | undefined {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length < 12 || view.toString('ascii', 0, 4) !== 'RIFF' || view.toString('ascii', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let byteRate: number | undefined;
  while (offset + 8 <= view.length) {
    const id = view.toString('ascii', offset, offset + 4);
    const size = view.readUInt32LE(offset + 4);
    if (id === 'fmt ' && offset + 16 <= view.length) byteRate = view.readUInt32LE(offset + 16);
    if (id === 'data') {
      if (!byteRate) return undefined;
      // Streams written with an unknown length carry 0 or 0xFFFFFFFF; use what is there.
      const available = totalSize - offset - 8;
      const dataSize = size === 0 || size === 0xffffffff ? available : Math.min(size, available);
      return Math.round((Math.max(0, dataSize) / byteRate) * 1000) / 1000;
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}

export interface DurationOptions {
  signal?: AbortSignal;
  /** Where ffprobe is looked for (FFPROBE_PATH, PATH): the stage's ctx.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Duration in seconds: WAV header first, else ffprobe; undefined when neither can tell. */
export async function audioDuration(path: string, options: DurationOptions = {}): Promise<number | undefined> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const header = head.subarray(0, bytesRead);
    if (header.toString('ascii', 0, 4) === 'RIFF') {
      const { size } = await handle.stat();
      const fromHeader = wavDuration(header, size);
      if (fromHeader !== undefined) return fromHeader;
    }
  } finally {
    await handle.close();
  }
  try {
    const { duration } = await probeAudio(path, options);
    return duration > 0 ? Math.round(duration * 1000) / 1000 : undefined;
  } catch {
    // The duration only enriches the transcript; a file ffprobe cannot read is the model's to judge.
    if (options.signal?.aborted) throw options.signal.reason;
    return undefined;
  }
}
