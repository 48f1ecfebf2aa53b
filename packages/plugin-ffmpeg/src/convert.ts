// convertAudio / extractSegment: one ffmpeg run that decodes the first audio stream and writes
// the requested format to a temp file next to the output, renamed into place only on success.
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { SpxError, sha256File, tempPathFor } from '@spx/core';
import { AUDIO_FORMATS, type AudioFormat } from '@spx/core/formats';
import { findBinaries, type Env } from './binaries.js';
import { assertReadableFile, audioInvalid } from './errors.js';
import { ffPath, progressParser, runTool } from './exec.js';
import { audioDurationKnown, probeAudio, type AudioInfo } from './probe.js';

export const OPUS_SAMPLE_RATES = [8000, 12000, 16000, 24000, 48000] as const;

export const MEDIA_TYPES: Record<AudioFormat, string> = { wav: 'audio/wav', flac: 'audio/flac', mp3: 'audio/mpeg', opus: 'audio/ogg' };
export const DEFAULT_BITRATES: Record<'mp3' | 'opus', string> = { mp3: '64k', opus: '32k' };

export interface EncodeOptions {
  /** Output sample rate in Hz; default: the source's. */
  sampleRate?: number;
  /** Output channel count; default: the source's. */
  channels?: number;
  /** Default: from the output's extension, else wav (16-bit PCM). */
  format?: AudioFormat;
  /** For mp3/opus: "64k" or bits per second (default 64k mp3, 32k opus). */
  bitrate?: string | number;
}

export interface ConvertOptions extends EncodeOptions {
  input: string;
  output: string;
  /** Trim: seconds from the start of the input. */
  start?: number;
  /** Trim: end position in seconds of the input. */
  end?: number;
  /** EBU R128 loudness normalisation (ffmpeg loudnorm, -16 LUFS). */
  normalize?: boolean;
  signal?: AbortSignal;
  /** Called with the fraction done (0..1) as ffmpeg reports progress. */
  onProgress?: (fraction: number) => void;
  /** Input duration in seconds if already known (skips a probe). */
  duration?: number;
  /** Input sample rate if already known (used with normalize). */
  inputSampleRate?: number;
  /**
   * Fail with AUDIO_INVALID when ffmpeg decodes clearly less than the input's duration (truncated
   * or damaged file). Default: on when the audio's own duration is known (see audioDurationKnown).
   */
  strict?: boolean;
  /** Where ffmpeg/ffprobe are looked up (a stage's ctx.env). */
  env: Env;
  /** Also compute the output's sha256 (read while it is fsynced); returned by convertAudioMeasured. */
  hash?: boolean;
  /** Also probe the output (in parallel with fsync and hashing); returned by convertAudioMeasured. */
  probe?: boolean;
}

export interface SegmentOptions extends EncodeOptions {
  input: string;
  output: string;
  start: number;
  end: number;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
  /** Where ffmpeg/ffprobe are looked up (a stage's ctx.env). */
  env: Env;
  /**
   * Fail with AUDIO_INVALID when ffmpeg decodes clearly less than end - start (a truncated file).
   * Off by default, as callers may ask for an end past the end of the file.
   */
  strict?: boolean;
  /** Also compute the output's sha256; returned by extractSegmentMeasured. */
  hash?: boolean;
}

/** What a conversion wrote. */
export interface WriteResult {
  /** Seconds of audio written (from ffmpeg's progress report). */
  seconds: number;
  bytes: number;
  /** Present when `hash` was asked for. */
  sha256?: string;
  /** ffprobe's view of the output, when `probe` was asked for. */
  info?: AudioInfo;
}

export function formatFromPath(path: string): AudioFormat | undefined {
  const ext = extname(path).slice(1).toLowerCase();
  if (ext === 'ogg') return 'opus';
  return (AUDIO_FORMATS as readonly string[]).includes(ext) ? (ext as AudioFormat) : undefined;
}

function paramsInvalid(message: string, hint: string): SpxError {
  return new SpxError('PARAMS_INVALID', message, { hint });
}

function bitrateArg(bitrate: string | number): string {
  if (typeof bitrate === 'number') return String(Math.round(bitrate));
  if (!/^\d+(\.\d+)?[kKmM]?$/.test(bitrate)) throw paramsInvalid(`Bitrate "${bitrate}" is not valid.`, 'Use bits per second like 64000 or a value like "64k".');
  return bitrate;
}

export function encoderArgs(options: EncodeOptions & { format: AudioFormat }): string[] {
  const { format, sampleRate, channels } = options;
  if (sampleRate !== undefined && (!Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 384000)) throw paramsInvalid(`Sample rate ${sampleRate} is not valid.`, 'Use an integer in Hz between 1000 and 384000, e.g. 16000.');
  if (channels !== undefined && (!Number.isInteger(channels) || channels < 1 || channels > 8)) throw paramsInvalid(`Channel count ${channels} is not valid.`, 'Use 1 (mono) to 8.');
  if (format === 'opus' && sampleRate !== undefined && !(OPUS_SAMPLE_RATES as readonly number[]).includes(sampleRate)) {
    throw paramsInvalid(`Opus cannot encode at ${sampleRate} Hz.`, `Use one of ${OPUS_SAMPLE_RATES.join(', ')} Hz for opus.`);
  }
  const args: string[] = [];
  if (sampleRate !== undefined) args.push('-ar', String(sampleRate));
  if (channels !== undefined) args.push('-ac', String(channels));
  switch (format) {
    case 'wav':
      args.push('-c:a', 'pcm_s16le', '-f', 'wav');
      break;
    case 'flac':
      args.push('-c:a', 'flac', '-sample_fmt', 's16', '-f', 'flac');
      break;
    case 'mp3':
      args.push('-c:a', 'libmp3lame', '-b:a', bitrateArg(options.bitrate ?? DEFAULT_BITRATES.mp3), '-f', 'mp3');
      break;
    case 'opus':
      args.push('-c:a', 'libopus', '-b:a', bitrateArg(options.bitrate ?? DEFAULT_BITRATES.opus), '-f', 'ogg');
      break;
    default:
      throw paramsInvalid(`Format "${String(format)}" is not supported.`, `Use one of ${AUDIO_FORMATS.join(', ')}.`);
  }
  // Same input and options give byte-identical output (no encoder version or date in the file).
  args.push('-map_metadata', '-1', '-map_chapters', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact');
  return args;
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

interface TranscodeJob extends EncodeOptions {
  input: string;
  output: string;
  start?: number;
  end?: number;
  filters?: string[];
  /** Seconds of output expected; enables progress fractions. */
  expected?: number;
  /** Fail when ffmpeg writes clearly less than `expected`. */
  strict: boolean;
  hash?: boolean;
  probe?: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
  env: Env;
  action: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp files of `output` left by a process that was killed (they carry its pid). */
async function sweepStaleTemps(output: string): Promise<void> {
  const prefix = `.${basename(output)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(output));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const match = /^\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name.slice(prefix.length - 1));
    if (match && Number(match[1]) !== process.pid && !isAlive(Number(match[1]))) await rm(join(dirname(output), name), { force: true });
  }
}

const round = (n: number): string => String(Math.round(n * 1e6) / 1e6);

/** Runs ffmpeg into a temp file, checks how much was decoded, fsyncs and renames it into place. */
async function transcode(job: TranscodeJob): Promise<WriteResult> {
  const format = job.format ?? formatFromPath(job.output) ?? 'wav';
  const encode = encoderArgs({ ...job, format });
  const { ffmpeg } = findBinaries(job.env);
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-progress', 'pipe:1'];
  if (job.start !== undefined && job.start > 0) args.push('-ss', round(job.start));
  if (job.end !== undefined) args.push('-t', round(job.end - (job.start ?? 0)));
  args.push('-i', ffPath(job.input), '-map', '0:a:0', '-vn', '-sn', '-dn');
  if (job.filters?.length) args.push('-af', job.filters.join(','));
  args.push(...encode);
  await mkdir(dirname(job.output), { recursive: true });
  await sweepStaleTemps(job.output);
  const tmp = tempPathFor(job.output);
  args.push(ffPath(tmp));
  let written = 0;
  let reported = -1;
  try {
    const { stderrTail } = await runTool(ffmpeg, args, {
      env: job.env,
      signal: job.signal,
      input: job.input,
      output: { path: tmp, shownAs: job.output },
      action: job.action,
      onStdoutLine: progressParser((seconds) => {
        written = seconds;
        if (job.onProgress && job.expected && job.expected > 0) {
          const fraction = Math.min(1, seconds / job.expected);
          if (fraction > reported) {
            reported = fraction;
            job.onProgress(fraction);
          }
        }
      }),
    });
    if (written <= 0) {
      const where = job.start !== undefined || job.end !== undefined ? ` between ${job.start ?? 0} and ${job.end ?? 'the end'} s (is that past its end?)` : '';
      throw audioInvalid(job.input, `ffmpeg decoded no audio from it${where}`);
    }
    if (job.expected !== undefined && job.strict) {
      // A short read counts as damage when ffmpeg also complained while decoding, or when it is
      // too large to be a container's estimate (VBR MP3 without a Xing header is estimated).
      const shortfall = job.expected - written;
      const complained = stderrTail.some((line) => line.trim() !== '');
      if (shortfall > Math.max(0.25, job.expected * 0.01) && (complained || shortfall > job.expected * 0.1)) {
        throw audioInvalid(job.input, `file is truncated or damaged: decoded ${written.toFixed(3)} s of the ${job.expected.toFixed(3)} s expected`);
      }
    }
    const [, digest, info, probed] = await Promise.all([
      fsyncFile(tmp),
      job.hash ? sha256File(tmp) : undefined,
      stat(tmp),
      job.probe ? probeAudio(tmp, { signal: job.signal, env: job.env }) : undefined,
    ]);
    await rename(tmp, job.output);
    if (job.onProgress && reported < 1) job.onProgress(1);
    return { seconds: written, bytes: info.size, ...(digest ? { sha256: digest } : {}), ...(probed ? { info: probed } : {}) };
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

function checkTrim(input: string, start: number | undefined, end: number | undefined, duration: number | undefined): void {
  if (start !== undefined && (!Number.isFinite(start) || start < 0)) throw paramsInvalid(`Trim start ${start} is not valid.`, 'Use a number of seconds >= 0.');
  if (end !== undefined && (!Number.isFinite(end) || end <= (start ?? 0))) throw paramsInvalid(`Trim end ${end} must be after start ${start ?? 0}.`, 'Use an end time in seconds greater than start.');
  if (duration !== undefined && start !== undefined && start >= duration) {
    throw paramsInvalid(`Trim start ${start} s is at or past the end of "${input}" (${duration.toFixed(3)} s).`, 'Use a start time inside the recording.');
  }
}

/**
 * Converts any file ffmpeg reads to wav (16-bit PCM), flac, mp3 or opus, optionally trimmed,
 * resampled, downmixed and loudness-normalised. Atomic: the output appears only when complete.
 */
export async function convertAudio(options: ConvertOptions): Promise<void> {
  await convertAudioMeasured(options);
}

/** convertAudio that also returns what it wrote (seconds, bytes, sha256 with `hash`). */
export async function convertAudioMeasured(options: ConvertOptions): Promise<WriteResult> {
  const { input, start, end } = options;
  await assertReadableFile(input);
  let duration = options.duration;
  let inputRate = options.inputSampleRate;
  let strict = options.strict ?? true;
  if (duration === undefined || (options.normalize && options.sampleRate === undefined && inputRate === undefined)) {
    const info = await probeAudio(input, { signal: options.signal, env: options.env });
    duration = info.duration;
    inputRate = info.sampleRate;
    strict = options.strict ?? audioDurationKnown(info);
  }
  checkTrim(input, start, end, duration);
  const expected = Math.min(end ?? duration, duration) - (start ?? 0);
  const filters: string[] = [];
  if (options.normalize) filters.push('loudnorm=I=-16:TP=-1.5:LRA=11');
  const sampleRate = options.sampleRate ?? (options.normalize ? inputRate : undefined);
  return transcode({ ...options, sampleRate, filters, expected, strict, action: `converting "${input}"` });
}

/** Cuts [start, end) seconds of `input` into `output` (re-encoded, sample-accurate, atomic). */
export async function extractSegment(options: SegmentOptions): Promise<void> {
  await extractSegmentMeasured(options);
}

/** extractSegment that also returns what it wrote (seconds, bytes, sha256 with `hash`). */
export async function extractSegmentMeasured(options: SegmentOptions): Promise<WriteResult> {
  checkTrim(options.input, options.start, options.end, undefined);
  await assertReadableFile(options.input);
  return transcode({ ...options, strict: options.strict ?? false, expected: options.end - options.start, action: `cutting ${options.start}-${options.end} s of "${options.input}"` });
}
