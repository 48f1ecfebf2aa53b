// An API's file limits, checked before anything is uploaded or paid for: the file exists, is not
// larger than the service takes (checked first, so a huge file is never read), and its duration
// (ffprobe) lies within the service's range. A file ffprobe cannot read is left to the service to
// judge, with a warning: the limits exist to save money, not to second-guess the service's decoder.
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { SpxError, sha256File, type StageContext } from '@spx/core';
import type { Env } from './binaries.js';
import { probeAudio } from './probe.js';

export interface AudioLimits {
  /** Largest file the service takes, bytes (inclusive). */
  maxBytes: number;
  /** Longest and shortest audio the service takes, seconds. */
  maxSeconds: number;
  minSeconds: number;
}

export interface LimitOptions {
  /** The service's name, for messages ("AssemblyAI"). */
  service: string;
  env: Env;
  signal?: AbortSignal;
  /** Told when the duration cannot be read. */
  warn?: (message: string) => void;
}

export interface CheckedAudio {
  bytes: number;
  /** Seconds (ms precision), when ffprobe can tell. */
  duration?: number;
}

/** Throws INPUT_MISSING or INPUT_INVALID (naming the limit and the fix) before a paid request. */
export async function checkAudioLimits(path: string, limits: AudioLimits, options: LimitOptions): Promise<CheckedAudio> {
  const name = basename(path);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile()) throw new SpxError('INPUT_MISSING', `Audio file "${path}" does not exist.`, { hint: 'Check the path given to the stage (or the upstream stage that produced it).' });
  if (info.size > limits.maxBytes) {
    throw new SpxError('INPUT_INVALID', `Audio "${name}" is ${info.size} bytes, over ${options.service}'s limit of ${limits.maxBytes} bytes.`, { hint: 'Convert it to a compressed format first (ffmpeg/convert with format: flac or mp3), or split it.' });
  }
  let duration: number | undefined;
  try {
    const probed = await probeAudio(path, { env: options.env, signal: options.signal });
    if (probed.duration > 0) duration = Math.round(probed.duration * 1000) / 1000;
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    options.warn?.(`Could not read the duration of ${name} (${error instanceof Error ? error.message : String(error)}); ${options.service} will judge the file.`);
  }
  if (duration !== undefined && duration > limits.maxSeconds) {
    throw new SpxError('INPUT_INVALID', `Audio "${name}" lasts ${duration} s, over ${options.service}'s limit of ${limits.maxSeconds} s.`, { hint: `Split the recording into parts of at most ${limits.maxSeconds} s and run each.` });
  }
  if (duration !== undefined && duration < limits.minSeconds) {
    throw new SpxError('INPUT_INVALID', `Audio "${name}" lasts ${duration} s; ${options.service} needs at least ${limits.minSeconds} s.`, { hint: 'Check that the input holds the recording you meant.' });
  }
  return { bytes: info.size, ...(duration === undefined ? {} : { duration }) };
}

/** A stage's `audio` file before it is sent whole: its absolute path, within `service`'s limits (warnings to the stage's log), and its hash. */
export async function checkedUpload(audio: string, limits: AudioLimits, service: string, ctx: Pick<StageContext, 'env' | 'signal' | 'logger'>): Promise<CheckedAudio & { path: string; sha256: string }> {
  const path = resolve(audio);
  const checked = await checkAudioLimits(path, limits, { service, env: ctx.env, signal: ctx.signal, warn: (message) => ctx.logger.warn(message) });
  return { path, sha256: await sha256File(path), ...checked };
}
