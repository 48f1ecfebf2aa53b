// Queue workers for tests and benches: `spx worker` processes on a Redis queue, with a shared
// store and work directory, each in a process group of its own so a test can SIGKILL a whole
// worker (its run processes included) as a crashed machine would lose them. Optionally on
// another hostname (a UTS namespace of its own, where the kernel allows it).
import { spawn, type ChildProcess } from 'node:child_process';
import { SPX_BIN } from './cli.js';

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the worker is connected and taking jobs. */
  ready: Promise<void>;
  /** SIGKILL to the worker and every process it started. */
  kill(): void;
  /** SIGTERM to the worker alone (it tells its runs). */
  term(): void;
}

export interface WorkerOptions {
  queue: string;
  store: string;
  workDir: string;
  cwd: string;
  concurrency?: number;
  lockDurationS?: number;
  graceS?: number;
  env?: NodeJS.ProcessEnv;
  /** Run under this hostname (unshare --uts; root only). */
  hostname?: string;
}

export function startWorker(options: WorkerOptions): WorkerProcess {
  const args = [SPX_BIN, 'worker', '--queue', options.queue, '--work-dir', options.workDir, '--concurrency', String(options.concurrency ?? 1), '--lock-duration', String(options.lockDurationS ?? 30), '--grace', String(options.graceS ?? 30)];
  const node = [process.execPath, ...args];
  const [command, ...rest] = options.hostname ? ['unshare', '--uts', 'sh', '-c', `hostname ${options.hostname} && exec "$@"`, 'sh', ...node] : node;
  const child = spawn(command!, rest, { cwd: options.cwd, env: { ...process.env, ...options.env, SPX_STORE: options.store }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const onData = (d: Buffer) => {
    output += d.toString();
    if (/worker \d+ on /.test(output)) markReady();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => {
      markReady();
      resolve({ code, signal });
    }),
  );
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  return { child, output: () => output, exited, ready, kill: () => group('SIGKILL'), term: () => child.kill('SIGTERM') };
}
