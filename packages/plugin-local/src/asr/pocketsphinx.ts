// Runs CMU pocketsphinx (Debian's pocketsphinx + pocketsphinx-en-us): `pocketsphinx_continuous`
// on one 16 kHz mono WAV file, its `-time yes` output parsed into timed words, and locates
// `pocketsphinx_batch`, which src/asr/batch.ts drives.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { execa } from 'execa';
import { SpxError, isSpxError, type Word } from '@spx/core';
import type { Env } from '@spx/plugin-ffmpeg';

export const POCKETSPHINX_HINT = 'Install pocketsphinx and its English model (`apt-get install pocketsphinx pocketsphinx-en-us`) or set POCKETSPHINX_PATH to pocketsphinx_continuous.';

function executable(path: string): boolean {
  try {
    return statSync(path).isFile() && (accessSync(path, constants.X_OK), true);
  } catch {
    return false;
  }
}

/** Finds pocketsphinx_continuous in `env` (a stage's ctx.env): POCKETSPHINX_PATH, then PATH. Throws BINARY_NOT_FOUND. */
export function findPocketsphinx(env: Env): string {
  return findBinary('pocketsphinx_continuous', 'POCKETSPHINX_PATH', env);
}

/**
 * Finds pocketsphinx_batch: POCKETSPHINX_BATCH_PATH, then next to the pocketsphinx_continuous
 * that POCKETSPHINX_PATH names, then PATH. Throws BINARY_NOT_FOUND.
 */
export function findPocketsphinxBatch(env: Env): string {
  if (!env.POCKETSPHINX_BATCH_PATH && env.POCKETSPHINX_PATH) {
    const beside = join(dirname(env.POCKETSPHINX_PATH), 'pocketsphinx_batch');
    if (executable(beside)) return beside;
  }
  return findBinary('pocketsphinx_batch', 'POCKETSPHINX_BATCH_PATH', env);
}

function findBinary(name: string, variable: string, env: Env): string {
  const configured = env[variable];
  if (configured) {
    if (executable(configured)) return configured;
    throw new SpxError('BINARY_NOT_FOUND', `${variable} points at "${configured}", which is not an executable file.`, { hint: POCKETSPHINX_HINT });
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  throw new SpxError('BINARY_NOT_FOUND', `${name} was not found on PATH and ${variable} is not set.`, { hint: POCKETSPHINX_HINT });
}

export interface Utterance {
  words: Word[];
}

const FILLER = /^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+|<.*>)$/i;
const WORD_LINE = /^(\S+) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)$/;

/** Parses `pocketsphinx_continuous -time yes` stdout; times are shifted by `offset` seconds. */
export function parsePocketsphinx(stdout: string, offset = 0): Utterance[] {
  const utterances: Utterance[] = [];
  let current: Word[] | undefined;
  for (const raw of stdout.split(/\r?\n/)) {
    const match = WORD_LINE.exec(raw.trim());
    if (!match) continue;
    const token = match[1]!;
    if (token === '<s>') {
      current = [];
      continue;
    }
    if (token === '</s>') {
      if (current?.length) utterances.push({ words: current });
      current = undefined;
      continue;
    }
    if (FILLER.test(token)) continue;
    const text = token.replace(/\(\d+\)$/, '');
    const start = Number(match[2]) + offset;
    const end = Number(match[3]) + offset;
    const confidence = Math.min(1, Math.max(0, Number(match[4])));
    (current ??= []).push({ text, start: round3(start), end: round3(Math.max(end, start)), confidence: Math.round(confidence * 1000) / 1000 });
  }
  if (current?.length) utterances.push({ words: current });
  return utterances;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export interface RecognizeOptions {
  signal?: AbortSignal;
  /** Extra decoder flags, e.g. ['-lw', '7']. */
  args?: readonly string[];
  /** Where pocketsphinx is looked up (a stage's ctx.env). */
  env: Env;
}

/** Recognises one WAV file (16 kHz mono s16). Word times are relative to the file start. */
export async function recognizeFile(file: string, options: RecognizeOptions): Promise<Utterance[]> {
  const binary = findPocketsphinx(options.env);
  const stdout = await runPocketsphinx(binary, ['-infile', file, '-time', 'yes', '-logfn', '/dev/null', ...(options.args ?? [])], file, options.signal);
  return parsePocketsphinx(stdout);
}

/** Runs one pocketsphinx program to completion; returns its stdout. Throws ABORTED, BINARY_NOT_FOUND or STAGE_FAILED. */
export async function runPocketsphinx(binary: string, args: readonly string[], what: string, signal?: AbortSignal, logFile?: string): Promise<string> {
  const result = await execa(binary, args, {
    stdin: 'ignore',
    reject: false,
    cancelSignal: signal,
    forceKillAfterDelay: 2000,
    cleanup: true,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.isCanceled || signal?.aborted) {
    const reason: unknown = signal?.reason;
    throw isSpxError(reason) && reason.code === 'ABORTED' ? reason : new SpxError('ABORTED', 'Stopped pocketsphinx: the run was aborted.', { cause: reason });
  }
  if (result.failed) {
    const code = (result as { code?: string }).code;
    if (code === 'ENOENT' || result.exitCode === undefined) throw new SpxError('BINARY_NOT_FOUND', `Could not start "${binary}".`, { hint: POCKETSPHINX_HINT, cause: result as unknown as Error });
    const log = `${String(result.stderr ?? '')}\n${logFile ? readLog(logFile) : ''}`;
    const detail = log.split('\n').filter((l) => /ERROR|FATAL/.test(l)).slice(0, 2).join('; ') || `exit code ${result.exitCode}`;
    throw new SpxError('STAGE_FAILED', `pocketsphinx failed on "${what}": ${detail}.`, { hint: 'Check that pocketsphinx-en-us is installed (`apt-get install pocketsphinx-en-us`) and the audio is 16 kHz mono.', cause: result as unknown as Error });
  }
  return String(result.stdout);
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
