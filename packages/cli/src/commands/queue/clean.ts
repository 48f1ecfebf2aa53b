// `spx queue clean`: removes finished runs' jobs from the queue (never their checkpoints or exports).
import { Flags } from '@oclif/core';
import { SpxCommand } from '../../lib/base-command.js';
import { withQueue } from '../../lib/queue/operate.js';

export default class QueueClean extends SpxCommand<typeof QueueClean> {
  static override summary = 'Remove completed (and with --failed, failed) jobs from the queue; checkpoints and exports stay.';
  static override description = "Removes the jobs of finished runs from the queue. The runs' checkpoints (in the store) and exports stay; `spx run … --queue` submitted again then makes a new job, which reuses all of them.";
  static override examples = [{ description: 'Finished jobs older than a day, failed ones too', command: '<%= config.bin %> queue clean --queue redis://queue-host:6379 --failed --older-than 86400' }];
  static override flags = {
    queue: Flags.string({ summary: 'Queue URL: redis://HOST:PORT[/DB].', env: 'SPX_QUEUE', required: true }),
    failed: Flags.boolean({ summary: 'Remove failed jobs too.' }),
    'older-than': Flags.integer({ summary: 'Only jobs finished at least this many seconds ago.', min: 0, default: 0 }),
  };

  public async run(): Promise<Record<string, unknown>> {
    return withQueue(this.flags.queue, async (queue) => {
      const grace = this.flags['older-than'] * 1000;
      const completed = await queue.clean(grace, 0, 'completed');
      const failed = this.flags.failed ? await queue.clean(grace, 0, 'failed') : [];
      this.say(`Removed ${completed.length} completed${this.flags.failed ? ` and ${failed.length} failed` : ''} job${completed.length + failed.length === 1 ? '' : 's'}.`);
      return { completed: completed.length, failed: failed.length };
    });
  }
}
