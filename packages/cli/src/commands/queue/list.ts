// `spx queue list`: the queue's runs, newest first: run id, state, input and why a failed one failed.
import { Flags } from '@oclif/core';
import { SpxCommand } from '../../lib/base-command.js';
import { runIdOfJob } from '../../lib/queue/jobs.js';
import { JOB_STATES, withQueue } from '../../lib/queue/operate.js';

export default class QueueList extends SpxCommand<typeof QueueList> {
  static override summary = 'List the queue\'s runs (run id, state, input, failure).';
  static override description = 'One line per run: its run id, its state, its input and, for a failed run, why it failed. Newest first.';
  static override examples = [{ description: 'The failed runs', command: '<%= config.bin %> queue list --queue redis://queue-host:6379 --state failed' }];
  static override flags = {
    queue: Flags.string({ summary: 'Queue URL: redis://HOST:PORT[/DB].', env: 'SPX_QUEUE', required: true }),
    state: Flags.string({ summary: 'Only runs in this state.', options: [...JOB_STATES], multiple: true }),
    limit: Flags.integer({ summary: 'At most this many runs.', min: 1, max: 100_000, default: 100 }),
  };

  public async run(): Promise<Record<string, unknown>> {
    const states = this.flags.state?.length ? this.flags.state : [...JOB_STATES];
    return withQueue(this.flags.queue, async (queue) => {
      const jobs = (await queue.getJobs(states as Array<(typeof JOB_STATES)[number]>, 0, this.flags.limit - 1)).filter(Boolean);
      const rows = [];
      for (const job of jobs.slice(0, this.flags.limit)) {
        const data = (job.data ?? {}) as { input?: unknown };
        rows.push({ runId: runIdOfJob(job.id), state: await job.getState(), input: typeof data.input === 'string' ? data.input : '', ...(job.failedReason ? { failedReason: job.failedReason } : {}) });
      }
      for (const r of rows) this.say(`${r.runId.padEnd(14)} ${String(r.state).padEnd(10)} ${r.input}${r.failedReason ? `  ${r.failedReason}` : ''}`);
      if (rows.length === 0) this.say('No runs in the queue.');
      return { jobs: rows };
    });
  }
}
