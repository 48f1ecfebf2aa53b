// `spx worker`: takes runs from the queue (BullMQ on Redis) and runs each as `spx run` would, with
// this worker's store and work directory; every worker of a fleet shares both. SIGTERM (or
// Ctrl-C): no new jobs are taken, running runs stop after saving their state and are handed back
// to the queue for another worker, and the worker exits within --grace seconds.
import { Flags } from '@oclif/core';
import { resolve } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Worker } from 'bullmq';
import { EXIT } from '@spx/core';
import { displayStoreUrl, parseProviderLimits } from '@spx/core/engine';
import { SpxCommand } from '../lib/base-command.js';
import { SHIPPED_DIR } from '../lib/pipelines.js';
import { allowedDirs } from '../lib/queue/allow.js';
import { QUEUE_NAME, QUEUE_PREFIX, queueAddress, whenReady } from '../lib/queue/connection.js';
import { runIdOfJob } from '../lib/queue/jobs.js';
import { createProcessor } from '../lib/queue/processor.js';

export default class WorkerCommand extends SpxCommand<typeof WorkerCommand> {
  static override summary = 'Take runs from a queue and execute them (one of many workers).';
  static override description = `Runs submitted with \`spx run … --queue URL\` are executed here, each in a process of its own, with this worker's --store and --work-dir (shared by every worker: Redis or Postgres, and a shared filesystem). A worker killed outright loses nothing checkpointed: after --lock-duration another worker takes its runs over and resumes them.

Exit codes: 0 stopped cleanly, 3 the queue or store is unreachable, 143 stopped by SIGTERM after the grace time.`;
  static override examples = [
    { description: 'Two runs at a time, state in Postgres', command: '<%= config.bin %> worker --queue redis://queue-host:6379 --store postgres://spx@db/spx --work-dir /shared/spx --concurrency 2' },
  ];
  static override flags = {
    queue: Flags.string({ summary: 'Queue URL: redis://HOST:PORT[/DB].', env: 'SPX_QUEUE', required: true }),
    concurrency: Flags.integer({ char: 'c', summary: 'Runs executed at once by this worker.', min: 1, max: 64, default: 1 }),
    'work-dir': Flags.string({ summary: 'Directory for stage artifacts (shared by every worker).', default: '.spx', env: 'SPX_WORK_DIR' }),
    'lock-duration': Flags.integer({ summary: 'Seconds a job stays this worker\'s without a lock renewal; a killed worker\'s jobs move on after it.', min: 2, max: 3600, default: 30 }),
    limit: Flags.string({ summary: 'A provider limit shared by every worker: HOST[:PORT]=PER_MINUTE[/AT_ONCE] (repeatable; adds to SPX_PROVIDER_LIMITS).', multiple: true, default: [] }),
    allow: Flags.string({
      summary: 'A directory whose pipeline files, inputs and export directories queued jobs may name (repeatable; default: the current directory). Shipped pipelines are always allowed.',
      description: 'Whoever can write to the queue\'s Redis can submit jobs, and a pipeline file loads plugins, which are code: a job naming a file outside these directories (symbolic links resolved) fails with QUEUE_INVALID instead of running.',
      multiple: true,
      default: [],
    }),
    grace: Flags.integer({ summary: 'Seconds a stopping worker waits for its runs to save their state.', min: 1, max: 3600, default: 30 }),
  };

  public async run(): Promise<void> {
    const { flags } = this;
    const address = queueAddress(flags.queue);
    const workDir = resolve(flags['work-dir']);
    const allowed = allowedDirs(flags.allow.length ? flags.allow : [process.cwd()], SHIPPED_DIR);
    // Provider limits and 429 pauses are shared through the queue's Redis by every worker's runs.
    const limits = [process.env.SPX_PROVIDER_LIMITS ?? '', ...flags.limit].filter(Boolean).join(',');
    const shown = [...parseProviderLimits(limits)].map(([host, l]) => `${host} ${l.perMinute || '∞'}/min, ${l.atOnce || '∞'} at once`);
    const runEnv = { SPX_LIMITS_REDIS: process.env.SPX_LIMITS_REDIS || flags.queue, ...(limits ? { SPX_PROVIDER_LIMITS: limits } : {}) };
    // Open the store once here so a bad --store fails now, not in every job.
    const store = await this.store();
    const storeUrl = store.url;
    if (storeUrl.startsWith('sqlite:') || !storeUrl.includes('://')) this.say(`note: the store ${displayStoreUrl(storeUrl)} is a local SQLite file; only workers on this host can share it (use redis:// or postgres:// across hosts).`);
    await store.close();
    const children = new Set<ChildProcess>();
    let stopping = false;
    const log = (line: string) => this.say(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
    const lockDuration = flags['lock-duration'] * 1000;
    const worker = new Worker(QUEUE_NAME, createProcessor({ store: this.flags.store ?? process.env.SPX_STORE, env: runEnv, workDir, stopping: () => stopping, children, log, allowed }), {
      connection: address.connection,
      prefix: QUEUE_PREFIX,
      concurrency: flags.concurrency,
      autorun: false,
      lockDuration,
      stalledInterval: lockDuration,
      // A job whose worker dies again and again (a machine that keeps crashing) fails after this many takeovers.
      maxStalledCount: 20,
    });
    worker.on('stalled', (jobId) => log(`run ${runIdOfJob(jobId)}: taken over — its worker stopped renewing the lock (killed or cut off); it resumes from its checkpoints`));
    let connectError: unknown;
    let lastError = { message: '', at: 0 };
    worker.on('error', (error) => {
      connectError ??= error;
      // A Redis outage repeats the same error many times a second: say it once every 30 s.
      if (stopping || (error.message === lastError.message && Date.now() - lastError.at < 30_000)) return;
      lastError = { message: error.message, at: Date.now() };
      log(`queue error: ${error.message} (retrying)`);
    });
    try {
      await whenReady(address, worker.waitUntilReady(), () => connectError);
    } catch (error) {
      await worker.close(true).catch(() => undefined);
      throw error;
    }
    log(`worker ${process.pid} on ${address.display}, ${flags.concurrency} at a time, work dir ${workDir}, store ${displayStoreUrl(storeUrl)}, jobs from ${allowed.roots.join(', ')}${shown.length ? `, limits: ${shown.join('; ')}` : ''}`);
    const stopped = new Promise<number>((resolveStop) => {
      const stop = (name: NodeJS.Signals) => {
        if (stopping) {
          for (const child of children) child.kill('SIGKILL');
          return resolveStop(name === 'SIGINT' ? EXIT.INTERRUPTED : EXIT.TERMINATED);
        }
        stopping = true;
        log(`${name}: taking no new jobs; running runs save their state and go back to the queue (up to ${flags.grace} s)`);
        for (const child of children) child.kill('SIGTERM');
        const timer = setTimeout(() => {
          for (const child of children) child.kill('SIGKILL');
          resolveStop(EXIT.TERMINATED);
        }, flags.grace * 1000);
        timer.unref();
        worker.close().then(() => {
          clearTimeout(timer);
          resolveStop(EXIT.OK);
        }, () => resolveStop(EXIT.TERMINATED));
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
    void worker.run().catch((error: unknown) => log(`worker stopped: ${error instanceof Error ? error.message : String(error)}`));
    const code = await stopped;
    log(`worker ${process.pid} stopped`);
    await worker.disconnect().catch(() => undefined);
    if (code !== EXIT.OK) this.exit(code);
  }
}
