// Simulated latency for fake servers, tied to the exchange it slows down: the wait ends early
// when the response closes (the client went away, or the server was closed), so no timer
// outlives the connection it belongs to.
import type { ServerResponse } from 'node:http';

/** Waits `ms`; with `until`, no longer than that response stays open. */
export function pause(ms: number, until?: ServerResponse): Promise<void> {
  if (until && (until.destroyed || until.writableFinished)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      until?.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    until?.once('close', done);
  });
}
