// Reruns started from the UI: each is a child `spx run … --json` — the same command a user would
// type, repeating the run's recorded --set values — so a plugin fault or a long merge never stalls
// the server, and the run's lease is held as for any other run. Its JSON event lines become live
// progress for the pages (stage states, sub-step progress such as "chunk 12/60").
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { redact, type RunState } from './engine.js';

export interface SpxCommand {
  /** Executable and leading arguments that start the spx CLI (e.g. node and bin/run.js). */
  command: string;
  args: string[];
}

export interface RerunRequest {
  fromStage?: string;
  forceRestart?: boolean;
}

export interface StageProgress {
  state: 'waiting' | 'running' | 'reused' | 'done' | 'failed';
  done?: number;
  total?: number;
  message?: string;
  reason?: string;
}

export interface Job {
  runId: string;
  startedAt: string;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  stages: Record<string, StageProgress>;
  /** Warnings and the error, as the run printed them. */
  log: string[];
  ran: string[];
  reused: string[];
  exitCode?: number | null;
}

export class Jobs {
  private readonly jobs = new Map<string, { job: Job; child: ChildProcess }>();

  constructor(
    private readonly spx: SpxCommand,
    private readonly options: { storeUrl: string; env: NodeJS.ProcessEnv; onUpdate(job: Job): void },
  ) {}

  get(runId: string): Job | undefined {
    return this.jobs.get(runId)?.job;
  }

  running(runId: string): boolean {
    return this.jobs.get(runId)?.job.status === 'running';
  }

  start(state: RunState, workDir: string, request: RerunRequest): Job {
    const args = [...this.spx.args, 'run', state.pipeline.file, state.input_file, '--out', state.out_dir, '--work-dir', workDir, '--json'];
    for (const override of state.pipeline.overrides ?? []) args.push('--set', override);
    if (request.forceRestart) args.push('--force-restart');
    else if (request.fromStage) args.push('--from-stage', request.fromStage);
    // The store URL goes by environment, not argv: a password in it stays out of the process list.
    const child = spawn(this.spx.command, args, { env: { ...this.options.env, SPX_STORE: this.options.storeUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
    const job: Job = { runId: state.id, startedAt: new Date().toISOString(), status: 'running', stages: Object.fromEntries(state.pipeline.stages.map((s) => [s, { state: 'waiting' }])), log: [], ran: [], reused: [] };
    this.jobs.set(state.id, { job, child });
    const update = () => this.options.onUpdate(job);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (this.apply(job, line)) update();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      if (line.trim() && job.log.length < 200) job.log.push(redact(line));
    });
    child.on('error', (error) => {
      job.status = 'failed';
      job.log.push(redact(`could not start spx: ${error.message}`));
      update();
    });
    child.on('close', (code) => {
      job.exitCode = code;
      if (job.status === 'running') job.status = code === 0 ? 'completed' : code === 130 || code === 143 ? 'interrupted' : 'failed';
      update();
    });
    update();
    return job;
  }

  /** Folds one JSON line of `spx run --json` into the job; true when something changed. */
  private apply(job: Job, line: string): boolean {
    let event: Record<string, unknown>;
    try {
      event = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return false;
    }
    const stage = typeof event.stage === 'string' ? event.stage : undefined;
    const at = (s: string) => (job.stages[s] ??= { state: 'waiting' });
    switch (event.type) {
      case 'stage-plan':
        if (stage) at(stage).reason = String(event.reason ?? '');
        return true;
      case 'stage-start':
        if (stage) at(stage).state = 'running';
        return true;
      case 'stage-progress': {
        const p = (event.progress ?? {}) as { done?: number; total?: number; message?: string };
        if (stage) Object.assign(at(stage), { state: 'running', done: p.done, total: p.total, message: p.message });
        return true;
      }
      case 'stage-reused':
        if (stage) at(stage).state = 'reused';
        return true;
      case 'stage-done':
        if (stage) at(stage).state = 'done';
        return true;
      case 'stage-failed':
        if (stage) at(stage).state = 'failed';
        job.log.push(redact(`${String(event.code)}: ${String(event.message)}`));
        return true;
      case 'stage-log':
      case 'run-log':
        if (event.level === 'warn' || event.level === 'error') job.log.push(redact(String(event.message)));
        return event.level === 'warn' || event.level === 'error';
      case 'summary': {
        const result = ((event.results as Array<Record<string, unknown>> | undefined) ?? [])[0];
        job.ran = (result?.ran as string[] | undefined) ?? [];
        job.reused = (result?.reused as string[] | undefined) ?? [];
        const status = result?.status;
        if (status === 'completed' || status === 'failed' || status === 'interrupted') job.status = status;
        const error = result?.error as { code?: string; message?: string } | undefined;
        if (error) job.log.push(redact(`${error.code}: ${error.message}`));
        return true;
      }
      default:
        return false;
    }
  }

  /** Stops every rerun still going (the server is closing); each keeps its completed stages. */
  async stop(): Promise<void> {
    const running = [...this.jobs.values()].filter(({ job }) => job.status === 'running');
    await Promise.all(
      running.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            child.once('close', () => resolve());
            child.kill('SIGINT');
          }),
      ),
    );
  }
}
