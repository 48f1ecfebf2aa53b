// `spx queue status`: how many runs wait, run, finished or failed, and which workers are connected.
import { Flags } from '@oclif/core';
import { SpxCommand } from '../../lib/base-command.js';
import { JOB_STATES, withQueue } from '../../lib/queue/operate.js';

export default class QueueStatus extends SpxCommand<typeof QueueStatus> {
  static override summary = 'Count the queue\'s runs by state and list the connected workers.';
  static override description = 'Counts of waiting, active, delayed, completed and failed runs on the queue that `spx worker` takes runs from, and the workers connected to it now.';
  static override examples = [{ description: 'The state of the fleet', command: '<%= config.bin %> queue status --queue redis://queue-host:6379' }];
  static override flags = {
    queue: Flags.string({ summary: 'Queue URL: redis://HOST:PORT[/DB].', env: 'SPX_QUEUE', required: true }),
  };

  public async run(): Promise<Record<string, unknown>> {
    return withQueue(this.flags.queue, async (queue, address) => {
      const counts = await queue.getJobCounts(...JOB_STATES);
      const workers = (await queue.getWorkers()).map((w) => ({ name: String(w.name ?? ''), addr: String(w.addr ?? '') }));
      this.say(`queue ${address.display}`);
      for (const state of JOB_STATES) this.say(`  ${state.padEnd(12)} ${counts[state] ?? 0}`);
      this.say(`  workers      ${workers.length}${workers.length ? ` (${workers.map((w) => w.addr).join(', ')})` : ''}`);
      return { queue: address.display, counts, workers };
    });
  }
}
