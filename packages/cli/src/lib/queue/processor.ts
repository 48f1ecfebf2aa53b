// Runs one queued job: `spx run PIPELINE INPUT --json` in a child process of its own, with the
// worker's store and work directory. The child does all the work (CPU-bound stages included), so
// the worker's event loop stays free to renew the job's lock and a long stage never makes the job
// look stalled. Run events from the child become job progress (what `spx run --queue` prints
// live); its summary becomes the job's result. The child watches its IPC channel: when the worker
// dies (even by SIGKILL) the run stops at once and saves its state, like on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DelayedError, WaitingError, type Job } from 'bullmq';
import { SpxError } from '@spx/core';
import { checkAllowed, type AllowedDirs } from './allow.js';
import { checkRunJob, errorFromJson, resultFromJson, resultToJson, runIdOfJob, type BatchResult, type RunJob } from './jobs.js';

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));
/** Events worth a Redis write each; stage progress and reused steps are too chatty. */
const FORWARDED = new Set(['run-start', 'run-log', 'stage-start', 'stage-done', 'stage-reused', 'stage-failed', 'run-end']);
/** How long a run waits for another process still holding it (a worker that just died elsewhere). */
const LOCK_WAIT_S = 60;

export interface ProcessorOptions {
  /** The store URL the children use (through SPX_STORE, never on a command line). */
  store: string | undefined;
  workDir: string;
  /** More environment for the runs (the fleet's provider limits). */
  env: Record<string, string>;
  /** True once the worker is shutting down: interrupted runs are handed back, not failed. */
  stopping: () => boolean;
  /** Children running now, so shutdown can signal them. */
  children: Set<ChildProcess>;
  log: (line: string) => void;
  /** Where jobs may name pipeline files, inputs and export directories. */
  allowed: AllowedDirs;
}

export function createProcessor(options: ProcessorOptions) {
  return async (job: Job, token?: string): Promise<Record<string, unknown>> => {
    const data = await accepted(job, options);
    const args = [BIN, 'run', data.pipeline, data.input, '--json', '--wait', String(LOCK_WAIT_S), ...(data.out ? ['--out', data.out] : []), ...data.set.flatMap((s) => ['--set', s]), ...(data.forceRestart ? ['--force-restart'] : []), ...(data.keepIntermediates ? ['--keep-intermediates'] : []), ...(data.fromStage ? ['--from-stage', data.fromStage] : []), ...(data.stageConcurrency ? ['--stage-concurrency', String(data.stageConcurrency)] : [])];
    // The run happens here: a worker configured through SPX_QUEUE (as under systemd) must not hand it to the queue again.
    const { SPX_QUEUE: _queue, ...inherited } = process.env;
    const env = { ...inherited, ...options.env, SPX_WORK_DIR: options.workDir, SPX_EXIT_WITH_PARENT: '1', ...(options.store ? { SPX_STORE: options.store } : {}) };
    options.log(`run ${runIdOfJob(job.id)}: ${data.input}`);
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    options.children.add(child);
    let result: BatchResult | undefined;
    let failure: SpxError | undefined;
    let stderr = '';
    let pending = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        let event: Record<string, unknown>;
        try {
          event = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (event.type === 'summary' && Array.isArray(event.results)) result = resultFromJson(event.results[0], data.input);
        else if (event.error) failure = errorFromJson(event.error);
        else if (typeof event.type === 'string' && FORWARDED.has(event.type)) void job.updateProgress({ event }).catch(() => undefined);
      }
    });
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    options.children.delete(child);
    const worker = `${hostname()}/${process.pid}`;
    const outcome: BatchResult = result ?? { input: data.input, status: 'error', ran: [], reused: [], durationMs: 0, outputs: [], error: failure ?? crashed(exit, stderr) };
    outcome.worker = worker;
    const code = outcome.error?.code;
    // Shutting down, or another process still holds the run: give the job back for later.
    if ((options.stopping() && (outcome.status === 'interrupted' || code === 'ABORTED' || exit.signal)) || code === 'RUN_LOCKED') {
      options.log(`run ${runIdOfJob(job.id)}: handed back (${options.stopping() ? 'worker stopping' : 'run held elsewhere'})`);
      if (options.stopping()) {
        await job.moveToWait(token);
        throw new WaitingError();
      }
      await job.moveToDelayed(Date.now() + 5000, token);
      throw new DelayedError();
    }
    options.log(`run ${runIdOfJob(job.id)}: ${outcome.status}${outcome.error ? ` — ${outcome.error.code}: ${outcome.error.message}` : ` (${outcome.ran.length} ran, ${outcome.reused.length} reused)`}`);
    if (outcome.status === 'completed') return resultToJson(outcome);
    // A failed run is a failed job (`spx queue retry` requeues it); the result rides along in its progress.
    await job.updateProgress({ result: resultToJson(outcome) }).catch(() => undefined);
    throw new Error(`${outcome.error?.code ?? 'STAGE_FAILED'}: ${outcome.error?.message ?? 'the run failed'}`);
  };
}

/** The job's data when this worker may run it; otherwise the job fails with the reason as its result. */
async function accepted(job: Job, options: ProcessorOptions): Promise<RunJob> {
  let data: RunJob | undefined;
  try {
    data = checkRunJob(job.data);
    checkAllowed(data, options.allowed);
    return data;
  } catch (error) {
    const refused = error instanceof SpxError ? error : new SpxError('QUEUE_INVALID', String(error));
    options.log(`run ${runIdOfJob(job.id)}: refused — ${refused.code}: ${refused.message}`);
    await job.updateProgress({ result: resultToJson({ input: data?.input ?? '', status: 'error', ran: [], reused: [], durationMs: 0, outputs: [], error: refused }) }).catch(() => undefined);
    throw new Error(`${refused.code}: ${refused.message}`);
  }
}

function crashed(exit: { code: number | null; signal: NodeJS.Signals | null }, stderr: string): SpxError {
  const last = stderr.trim().split('\n').slice(-1)[0] ?? '';
  return new SpxError('STAGE_CRASHED', `The run process ended ${exit.signal ? `by ${exit.signal}` : `with exit code ${exit.code}`} without a result${last ? `: ${last.slice(0, 300)}` : ''}.`, {
    hint: 'Completed stages are kept: `spx queue retry` runs it again from its checkpoints.',
  });
}
