// A quick version of bench/scale-out.ts: a batch of the standard pipeline against real-looking
// fakes, run by two queue workers (one on another hostname where `unshare --uts` is allowed) with
// the store on the queue's Redis, one worker SIGKILLed mid-batch and replaced: every input
// completes, the exports are byte for byte those of a local run, and no paid call whose answer
// was checkpointed is made again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { canSetHostname } from '../support/lease-race.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { SCALE_LATENCY_MS, localExports, makeInputs, scaleRun } from '../support/scale-out.js';
import { diffOutputs, startFakes, type Fakes } from '../support/standard.js';

describe('fault: scale-out (quick)', function () {
  this.timeout(300_000);
  let redis: RedisServer;
  let fakes: Fakes;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-scale-'));
    [redis, fakes] = await Promise.all([startRedis(), startFakes({ openai: { latencyMs: SCALE_LATENCY_MS } })]);
  });
  after(async () => {
    await Promise.all([redis?.stop(), fakes?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('two workers, one killed mid-batch: every input completes, exports identical to a local run, no checkpointed paid call repeated', async () => {
    const inputs = await makeInputs(join(dir, 'in'), 4);
    const local = await localExports(dir, inputs, fakes);
    const twoHosts = canSetHostname();
    const r = await scaleRun({ dir, inputs, workers: 2, redis, fakes, killEveryMs: 6000, hostnames: twoHosts });
    expect(r.code, `${r.stderr.slice(-800)}\n${r.stdout.slice(-800)}`).to.equal(0);
    expect(r.stdout).to.include('4 of 4 inputs succeeded.');
    expect(r.completed).to.equal(4);
    expect(r.kills, 'a worker was killed').to.be.greaterThan(0);
    expect(diffOutputs(local, r.outputs), 'exports differing from the local run').to.deep.equal([]);
    expect(r.duplicatePaid, `checkpointed paid calls repeated: ${r.duplicateReport.split('\n').slice(0, 40).join('\n')}`).to.equal(0);
  });
});
