// Small audio facts the stage needs: media type by extension and duration (WAV header, else
// @spx/plugin-ffmpeg's probe, which finds ffprobe through FFPROBE_PATH or PATH of the run's env).
import { extname } from 'node:path';
import { readWavInfo } from '@spx/core/formats';
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

export interface DurationOptions {
  signal?: AbortSignal;
  /** Where ffprobe is looked for (FFPROBE_PATH, PATH): the stage's ctx.env. */
  env: Readonly<Record<string, string | undefined>>;
}

/** Duration in seconds: WAV header first, else ffprobe; undefined when neither can tell. */
export async function audioDuration(path: string, options: DurationOptions): Promise<number | undefined> {
  const wav = await readWavInfo(path).catch(() => undefined);
  if (wav && wav.duration > 0) return Math.round(wav.duration * 1000) / 1000;
  try {
    const { duration } = await probeAudio(path, options);
    return duration > 0 ? Math.round(duration * 1000) / 1000 : undefined;
  } catch {
    // The duration only enriches the transcript; a file ffprobe cannot read is the model's to judge.
    if (options.signal?.aborted) throw options.signal.reason;
    return undefined;
  }
}
