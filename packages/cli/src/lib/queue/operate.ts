// Opening the queue for the operator commands (spx queue status|list|retry|clean): a BullMQ Queue
// on the given URL, failing with one clear line when Redis does not answer.
import { Queue } from 'bullmq';
import { QUEUE_NAME, QUEUE_PREFIX, queueAddress, whenReady, type QueueAddress } from './connection.js';

export async function withQueue<T>(url: string, use: (queue: Queue, address: QueueAddress) => Promise<T>): Promise<T> {
  const address = queueAddress(url);
  const queue = new Queue(QUEUE_NAME, { connection: address.connection, prefix: QUEUE_PREFIX });
  let connectError: unknown;
  queue.on('error', (error) => (connectError ??= error));
  try {
    await whenReady(address, queue.waitUntilReady(), () => connectError);
    return await use(queue, address);
  } finally {
    await queue.close().catch(() => undefined);
  }
}

export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;
