// ffprobe wrapper: duration, streams and codecs of a file as plain JSON.
import { readWavInfo } from '@spx/core/formats';
import { findBinaries, type Env } from './binaries.js';
import { assertReadableFile, audioInvalid } from './errors.js';
import { ffPath, progressParser, runTool } from './exec.js';

export interface StreamInfo {
  index: number;
  /** "audio", "video", "subtitle", "data"… */
  type: string;
  /** Decoder name, or "unknown" when ffmpeg has no decoder for it. */
  codec: string;
  codecTag?: string;
  sampleRate?: number;
  channels?: number;
  channelLayout?: string;
  duration?: number;
  bitRate?: number;
  width?: number;
  height?: number;
  language?: string;
}

export interface AudioInfo {
  /** Seconds: of the first audio stream, else the container's (which may include a longer video). */
  duration: number;
  /** Of the first audio stream. */
  sampleRate: number;
  channels: number;
  codec: string;
  /** Container as ffprobe names it, e.g. "wav", "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
  /** File size. */
  bytes: number;
  bitRate?: number;
  streams: StreamInfo[];
}

export interface ProbeOptions {
  /** Where ffmpeg/ffprobe are looked up (a stage's ctx.env). */
  env: Env;
  signal?: AbortSignal;
}

type Raw = Record<string, unknown>;

const num = (value: unknown): number | undefined => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function toStream(raw: Raw): StreamInfo {
  const tags = (raw.tags ?? {}) as Raw;
  const stream: StreamInfo = { index: num(raw.index) ?? 0, type: str(raw.codec_type) ?? 'unknown', codec: str(raw.codec_name) ?? 'unknown' };
  const optional: Partial<StreamInfo> = {
    codecTag: str(raw.codec_tag_string),
    sampleRate: num(raw.sample_rate),
    channels: num(raw.channels),
    channelLayout: str(raw.channel_layout),
    duration: num(raw.duration),
    bitRate: num(raw.bit_rate),
    width: num(raw.width),
    height: num(raw.height),
    language: str(tags.language),
  };
  return Object.assign(stream, Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)));
}

/**
 * Checks a WAV header against the file size: ffmpeg silently plays a truncated WAV, so a cut-off
 * download would otherwise pass as a shorter recording.
 */
async function wavTruncation(path: string): Promise<string | undefined> {
  const wav = await readWavInfo(path);
  if (!wav || wav.declaredDataBytes === undefined || wav.declaredDuration === undefined || wav.dataBytes + 1 >= wav.declaredDataBytes) return undefined;
  return `file is truncated: its header declares ${wav.declaredDuration.toFixed(3)} s of audio but it holds ${wav.duration.toFixed(3)} s`;
}

/** Seconds of audio ffmpeg actually decodes (used when the container states no duration). */
export async function measureDuration(path: string, options: ProbeOptions): Promise<number> {
  const { ffmpeg } = findBinaries(options.env);
  let seconds = 0;
  await runTool(ffmpeg, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-progress', 'pipe:1', '-i', ffPath(path), '-map', '0:a:0', '-f', 'null', '-'], {
    env: options.env,
    signal: options.signal,
    input: path,
    action: `measuring "${path}"`,
    onStdoutLine: progressParser((s) => (seconds = s)),
  });
  return seconds;
}

/**
 * Whether `info.duration` is the audio's own length: the audio stream states it, or the file holds
 * nothing but audio (so the container's duration is the audio's).
 */
export function audioDurationKnown(info: AudioInfo): boolean {
  const audio = info.streams.find((s) => s.type === 'audio');
  return audio?.duration !== undefined || info.streams.every((s) => s.type === 'audio');
}

/** Probes `path` with ffprobe. Throws INPUT_MISSING, INPUT_INVALID or AUDIO_INVALID naming the file. */
export async function probeAudio(path: string, options: ProbeOptions): Promise<AudioInfo> {
  const bytes = await assertReadableFile(path);
  const { ffprobe } = findBinaries(options.env);
  const { stdout } = await runTool(ffprobe, ['-v', 'error', '-hide_banner', '-show_format', '-show_streams', '-of', 'json', '-i', ffPath(path)], {
    env: options.env,
    signal: options.signal,
    input: path,
    action: `probing "${path}"`,
    captureStdout: true,
  });
  let raw: Raw;
  try {
    raw = JSON.parse(stdout) as Raw;
  } catch (error) {
    throw audioInvalid(path, 'ffprobe printed no readable description', error);
  }
  const format = (raw.format ?? {}) as Raw;
  const streams = (Array.isArray(raw.streams) ? (raw.streams as Raw[]) : []).map(toStream);
  const audio = streams.find((s) => s.type === 'audio');
  if (!audio) {
    const found = streams.length ? streams.map((s) => `${s.type} ${s.codec}`).join(', ') : 'none';
    throw audioInvalid(path, `no audio stream (streams: ${found})`);
  }
  if (audio.codec === 'unknown') throw audioInvalid(path, `unsupported audio codec${audio.codecTag ? ` (tag ${audio.codecTag})` : ''}: this ffmpeg has no decoder for it`);
  const truncated = await wavTruncation(path);
  if (truncated) throw audioInvalid(path, truncated);
  let duration = audio.duration ?? num(format.duration);
  if (duration === undefined) duration = await measureDuration(path, options);
  const info: AudioInfo = {
    duration,
    sampleRate: audio.sampleRate ?? 0,
    channels: audio.channels ?? 0,
    codec: audio.codec,
    formatName: str(format.format_name) ?? 'unknown',
    bytes,
    streams,
  };
  const bitRate = num(format.bit_rate);
  if (bitRate !== undefined) info.bitRate = bitRate;
  return info;
}
