// `spx queue retry`: failed runs back to the queue; they resume from their checkpoints.
import { Args, Flags } from '@oclif/core';
import { SpxError } from '@spx/core';
import { SpxCommand } from '../../lib/base-command.js';
import { jobIdOf, runIdOfJob } from '../../lib/queue/jobs.js';
import { withQueue } from '../../lib/queue/operate.js';

export default class QueueRetry extends SpxCommand<typeof QueueRetry> {
  static override summary = 'Queue failed runs again (all of them, or the given run ids); each resumes from its checkpoints.';
  static override description = 'A failed run goes back to the queue; the worker that takes it resumes it from its checkpoints (completed stages and paid sub-steps are reused). Runs in other states are left as they are.';
  static override examples = [{ description: 'Every failed run', command: '<%= config.bin %> queue retry --queue redis://queue-host:6379' }];
  static override strict = false;
  static override args = { runId: Args.string({ description: 'Run id(s) of failed runs (default: every failed run).' }) };
  static override flags = {
    queue: Flags.string({ summary: 'Queue URL: redis://HOST:PORT[/DB].', env: 'SPX_QUEUE', required: true }),
  };

  public async run(): Promise<Record<string, unknown>> {
    return withQueue(this.flags.queue, async (queue) => {
      const ids = this.positionals;
      const jobs = ids.length ? await Promise.all(ids.map((id) => queue.getJob(jobIdOf(id)))) : await queue.getFailed(0, -1);
      const retried: string[] = [];
      for (const [i, job] of jobs.entries()) {
        if (!job) throw new SpxError('QUEUE_INVALID', `No run ${ids[i]} in the queue.`, { hint: 'See `spx queue list --state failed`.' });
        if ((await job.getState()) !== 'failed') continue;
        await job.retry('failed');
        retried.push(runIdOfJob(job.id));
      }
      this.say(`Queued ${retried.length} failed run${retried.length === 1 ? '' : 's'} again.`);
      return { retried };
    });
  }
}
