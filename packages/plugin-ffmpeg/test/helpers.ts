// Test audio made on the fly with ffmpeg's lavfi sources: no binary fixtures in the repo.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The environment tests give the library and stages (ctx.env): the shell's PATH, nothing else. */
export const env = { PATH: process.env.PATH };

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'spx-ffmpeg-'));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

/** A sine tone of `seconds` at `rate` Hz with `channels` channels, in the format of `path`'s extension. */
export function makeTone(path: string, options: { seconds: number; rate?: number; channels?: number; codecArgs?: string[] }): string {
  const rate = options.rate ?? 16000;
  const layout = (options.channels ?? 1) === 1 ? 'mono' : 'stereo';
  ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=${options.seconds}`, '-af', `aformat=channel_layouts=${layout}`, ...(options.codecArgs ?? []), path]);
  return path;
}

/**
 * Tone bursts separated by silences: every `period` seconds, `tone` seconds of 440 Hz then silence.
 * Silences therefore lie in [k*period + tone, (k+1)*period].
 */
export function makeBursts(path: string, options: { seconds: number; period: number; tone: number; rate?: number }): string {
  const rate = options.rate ?? 16000;
  const expr = `0.5*sin(2*PI*440*t)*lt(mod(t\\,${options.period})\\,${options.tone})`;
  ffmpeg(['-f', 'lavfi', '-i', `aevalsrc=${expr}:s=${rate}:d=${options.seconds}`, '-c:a', 'pcm_s16le', path]);
  return path;
}

/** A short video file with no audio stream. */
export function makeSilentVideo(path: string): string {
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x48:rate=5', path]);
  return path;
}

/** Processes whose command line mentions `needle` (used to prove ffmpeg was killed). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) found.push(Number(entry));
    } catch {
      // process ended while we looked
    }
  }
  return found;
}

export async function expectRejects(promise: Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; hint?: string };
  }
  throw new Error('expected the promise to reject');
}
