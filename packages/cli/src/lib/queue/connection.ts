// The queue's address: `redis://[USER:PASSWORD@]HOST:PORT[/DB]` (or rediss:// for TLS), turned
// into BullMQ connection options. One queue, named `spx`, holds every batch's runs; its keys live
// under the `spx-queue` prefix so they never mix with a store sharing the same Redis database.
import { SpxError } from '@spx/core';
import { registerUrlCredentials } from '@spx/core/redact';
import type { ConnectionOptions } from 'bullmq';

export const QUEUE_NAME = 'spx';
export const QUEUE_PREFIX = 'spx-queue';

export interface QueueAddress {
  connection: ConnectionOptions;
  /** The URL without credentials, for messages. */
  display: string;
}

export function queueAddress(url: string): QueueAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(url, 'it is not a URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw invalid(url, `the scheme is ${parsed.protocol.replace(/:$/, '')}, not redis or rediss`);
  if (!parsed.hostname) throw invalid(url, 'it names no host');
  const db = parsed.pathname.replace(/^\//, '');
  if (db && !/^\d{1,2}$/.test(db)) throw invalid(url, `the database "${db}" is not a number`);
  registerUrlCredentials(url, 'queue URL');
  const port = parsed.port ? Number(parsed.port) : 6379;
  const display = `${parsed.protocol}//${parsed.hostname}:${port}${db ? `/${db}` : ''}`;
  return {
    display,
    connection: {
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port,
      ...(db ? { db: Number(db) } : {}),
      ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
      ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
      ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
      // BullMQ's workers block on Redis; they must retry for as long as it takes, never give up a command.
      maxRetriesPerRequest: null,
    },
  };
}

function invalid(url: string, why: string): SpxError {
  return new SpxError('QUEUE_INVALID', `The queue URL "${url.replace(/\/\/[^@/]*@/, '//***@')}" is not usable: ${why}.`, { hint: 'Pass --queue redis://HOST:PORT[/DB] (the Redis server the workers use).' });
}

/** A connection failure as a one-line error. */
export function unreachable(address: QueueAddress, error: unknown): SpxError {
  const why = error instanceof Error ? error.message : String(error);
  return new SpxError('QUEUE_UNREACHABLE', `Cannot reach the queue at ${address.display}: ${why}.`, { hint: 'Start Redis there (or fix --queue); workers and `spx run --queue` must reach the same server.', cause: error });
}

/** Resolves once `ready` does, or fails with QUEUE_UNREACHABLE after 10 s (no timer is left behind). */
export async function whenReady(address: QueueAddress, ready: Promise<unknown>, firstError: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (error) {
    throw unreachable(address, firstError() ?? error);
  } finally {
    clearTimeout(timer);
  }
}
