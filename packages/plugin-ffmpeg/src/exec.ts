// Runs ffmpeg / ffprobe through execa without buffering their output in memory:
// stdout and stderr are read line by line, and only the last lines of stderr are kept.
// An aborted signal terminates the child (SIGTERM, then SIGKILL) and the call rejects with ABORTED.
import { accessSync, constants } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { basename } from 'node:path';
import { execa } from 'execa';
import { SpxError, isSpxError } from '@spx/core';
import { INSTALL_HINT, type Env } from './binaries.js';
import { classifyFailure } from './errors.js';

export interface RunOptions {
  /** The caller's environment (a stage's ctx.env): SPX_FFMPEG_NO_PDEATHSIG=1 starts the tool directly. */
  env: Env;
  signal?: AbortSignal;
  /** The input file, used to classify failures (missing, directory, bad audio). */
  input?: string;
  /** Called for each stdout line (e.g. `-progress pipe:1` key=value lines). */
  onStdoutLine?: (line: string) => void;
  /** Called for each stderr line (e.g. silencedetect reports). */
  onStderrLine?: (line: string) => void;
  /** Collect the whole stdout (ffprobe JSON); off by default. */
  captureStdout?: boolean;
  /** The file ffmpeg writes (a temp path) and the name to show for it, to tell output errors from input errors. */
  output?: { path: string; shownAs: string };
  /** What is being done, for the ABORTED message ("converting"). */
  action?: string;
}

export interface RunResult {
  stdout: string;
  stderrTail: string[];
}

const TAIL = 40;

function lineReader(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let rest = '';
  const decoder = new StringDecoder('utf8'); // a UTF-8 character may straddle two chunks
  return {
    push(chunk) {
      const text = rest + decoder.write(chunk);
      const parts = text.split(/\r?\n|\r/);
      rest = parts.pop() ?? '';
      for (const line of parts) onLine(line);
    },
    end() {
      rest += decoder.end();
      if (rest) onLine(rest);
      rest = '';
    },
  };
}

export function abortError(action: string, signal: AbortSignal | undefined): SpxError {
  const reason: unknown = signal?.reason;
  if (isSpxError(reason) && reason.code === 'ABORTED') return reason;
  return new SpxError('ABORTED', `Stopped ffmpeg while ${action}: the run was aborted.`, { cause: reason });
}

let setpriv: string | null | undefined;

function findSetpriv(): string | null {
  if (setpriv !== undefined) return setpriv;
  setpriv = null;
  for (const candidate of ['/usr/bin/setpriv', '/bin/setpriv']) {
    try {
      accessSync(candidate, constants.X_OK);
      setpriv = candidate;
      break;
    } catch {
      // not here
    }
  }
  return setpriv;
}

/**
 * On Linux, util-linux's `setpriv --pdeathsig KILL` makes the kernel kill ffmpeg if this process
 * dies without a chance to clean up (SIGKILL, OOM): ffmpeg ignores SIGPIPE, so it would otherwise
 * keep running as an orphan. Elsewhere, without setpriv, or with SPX_FFMPEG_NO_PDEATHSIG=1 in the
 * caller's environment, ffmpeg is started directly and execa's cleanup covers normal exits and signals.
 */
function deathSignalWrapper(env: Env): string | null {
  if (process.platform !== 'linux' || env.SPX_FFMPEG_NO_PDEATHSIG === '1') return null;
  return findSetpriv();
}

export async function runTool(binary: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const action = options.action ?? 'processing audio';
  if (options.signal?.aborted) throw abortError(action, options.signal);
  const tail: string[] = [];
  const stdout: Buffer[] = [];
  const wrapper = deathSignalWrapper(options.env);
  const child = execa(wrapper ?? binary, wrapper ? ['--pdeathsig', 'KILL', '--', binary, ...args] : args, {
    stdin: 'ignore',
    buffer: false,
    reject: false,
    cancelSignal: options.signal,
    forceKillAfterDelay: 2000,
    cleanup: true,
    windowsHide: true,
  });
  const out = lineReader((line) => options.onStdoutLine?.(line));
  const err = lineReader((line) => {
    tail.push(line);
    if (tail.length > TAIL) tail.shift();
    options.onStderrLine?.(line);
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    if (options.captureStdout) stdout.push(chunk);
    if (options.onStdoutLine) out.push(chunk);
  });
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  const result = await child;
  out.end();
  err.end();
  if (result.isCanceled || options.signal?.aborted) throw abortError(action, options.signal);
  if (result.failed) {
    const cause = result as unknown as Error;
    if ((result as { code?: string }).code === 'ENOENT' || /ENOENT/.test(result.message ?? '')) {
      if (result.exitCode === undefined) throw new SpxError('BINARY_NOT_FOUND', `Could not start "${binary}": no such executable.`, { hint: INSTALL_HINT, cause });
    }
    if (wrapper && result.exitCode === 127 && tail.some((line) => line.startsWith('setpriv:'))) {
      throw new SpxError('BINARY_NOT_FOUND', `Could not start "${binary}": ${tail.join(' ').trim()}`, { hint: INSTALL_HINT, cause });
    }
    if (result.exitCode === undefined && !result.signal) {
      throw new SpxError('BINARY_NOT_FOUND', `Could not start "${binary}": ${result.shortMessage}`, { hint: INSTALL_HINT, cause });
    }
    if (result.signal) {
      // Killed from outside (OOM killer, kill -9): not the input's fault.
      throw new SpxError('STAGE_FAILED', `${basename(binary)} was killed by ${result.signal} while ${action}.`, {
        hint: 'Check memory and other processes (dmesg shows the OOM killer), then run the same command again; finished work is kept.',
        retryable: true,
        cause,
      });
    }
    throw await classifyFailure(options.input, tail, cause, options.output);
  }
  return { stdout: Buffer.concat(stdout).toString('utf8'), stderrTail: tail };
}

/** Tracks `-progress pipe:1` output and reports seconds of output written so far. */
export function progressParser(onSeconds: (seconds: number) => void): (line: string) => void {
  return (line) => {
    const match = /^out_time_us=(\d+)/.exec(line);
    if (match) onSeconds(Number(match[1]) / 1e6);
  };
}

/** Passes a path to ffmpeg as a plain file, so "a:b.wav" or "-x.wav" is never read as a protocol or option. */
export function ffPath(path: string): string {
  return `file:${path}`;
}
