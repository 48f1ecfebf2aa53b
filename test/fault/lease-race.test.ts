// Leases under contention, on every store backend (SQLite, Redis, a real Postgres server): 8
// processes on one run id, half of them on another hostname where the kernel allows it, each
// crashing once while it holds the lease (test/support/lease-race.ts). Every hold is logged; no two
// may overlap. A quick version (SPX_RACE_ATTEMPTS, default 40 attempts each); bench/lease-race.ts
// runs 500.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { canSetHostname, describeOverlap, leaseRace, overlaps, type Hold } from '../support/lease-race.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { startRedis, type RedisServer } from '../support/redis.js';

const PROCESSES = Number(process.env.SPX_RACE_PROCESSES ?? 8);
const ATTEMPTS = Number(process.env.SPX_RACE_ATTEMPTS ?? 40);

describe(`fault: lease race (${PROCESSES} processes × ${ATTEMPTS} attempts on one run)`, function () {
  this.timeout(300_000);
  let redis: RedisServer;
  let postgres: PostgresServer;
  let dir: string;
  const twoHosts = canSetHostname();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-race-'));
    [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  });
  after(async () => {
    await Promise.all([redis?.stop(), postgres?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  it('logs overlapping holds as overlapping (the check can fail)', () => {
    const hold = (start: number, end: number): Hold => ({ start, end, pid: 1, host: 'h' });
    expect(overlaps([hold(0, 2), hold(3, 4), hold(5, 9)])).to.have.length(0);
    expect(overlaps([hold(0, 10), hold(3, 4), hold(5, 9)])).to.have.length(2);
  });

  for (const backend of ['sqlite', 'redis', 'postgres'] as const) {
    it(`${backend}: never two holders at once${twoHosts ? ', on two hostnames' : ''}, and dead holders are taken over`, async () => {
      const url = backend === 'sqlite' ? `sqlite://${join(dir, 'race.sqlite')}` : backend === 'redis' ? redis.url : postgres.url;
      const { holds, overlaps: bad, problems } = await leaseRace({ url, log: join(dir, `${backend}.log`), processes: PROCESSES, attempts: ATTEMPTS, twoHosts });
      expect(problems).to.deep.equal([]);
      expect(bad.slice(0, 3).map(describeOverlap), `${bad.length} overlapping holds of ${holds.length}`).to.deep.equal([]);
      // The race was real: many holds, by many processes, on both hostnames.
      expect(holds.length, 'holds logged').to.be.greaterThan(PROCESSES * 5);
      // (On a loaded machine some contenders may never win; half of them must.)
      expect(new Set(holds.map((h) => h.pid)).size, 'distinct holders').to.be.at.least(PROCESSES / 2);
      if (twoHosts) expect(new Set(holds.map((h) => h.host)).size, 'hostnames holding').to.equal(2);
    });
  }
});
