// One contender of the lease race (test/fault/lease-race.test.ts): tries to take one run's lease
// again and again, holds it for a moment, releases it, and logs every hold as
// `start end pid host` (ms since the epoch, sub-ms precision) to a file, synchronously. The start
// is taken after acquiring and the end before releasing, so a logged interval lies inside the
// real one: two logged intervals that overlap prove two holders at once. At attempt `crashAt` it
// kills itself with SIGKILL while holding the lease (a crashed holder others must take over).
// Usage: node --import tsx lease-race-worker.ts STORE_URL RUN_ID ATTEMPTS CRASH_AT LOG
import { appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { acquireRunLock } from '../../packages/core/src/checkpoints/lock.js';
import { openStore } from '../../packages/core/src/checkpoints/store.js';
import { isSpxError } from '../../packages/core/src/errors/errors.js';

const [url, runId, attemptsArg, crashAtArg, log] = process.argv.slice(2) as [string, string, string, string, string];
const attempts = Number(attemptsArg);
const crashAt = Number(crashAtArg);
const now = () => performance.timeOrigin + performance.now();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const store = await openStore({ url });
let held = 0;
for (let attempt = 0; attempt < attempts; attempt++) {
  let lock: Awaited<ReturnType<typeof acquireRunLock>>;
  try {
    lock = await acquireRunLock(store, runId, { waitMs: 0, heartbeatMs: 500, staleMs: 2000 });
  } catch (error) {
    if (!isSpxError(error) || error.code !== 'RUN_LOCKED') throw error;
    await pause(Math.random() * 2);
    continue;
  }
  const start = now();
  held++;
  await pause(Math.random() * 2);
  const end = now();
  appendFileSync(log, `${start.toFixed(3)} ${end.toFixed(3)} ${process.pid} ${hostname()}\n`);
  if (attempt === crashAt) process.kill(process.pid, 'SIGKILL');
  await lock.release();
  await pause(Math.random() * 2);
}
await store.close();
process.stdout.write(`${JSON.stringify({ held })}\n`);
