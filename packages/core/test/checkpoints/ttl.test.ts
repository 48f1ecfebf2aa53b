// SPX_TTL_HOURS is checked where the store opens: junk, negative, too short (entries would expire
// during a run; a lease gone before it is read back once left the run waiting forever) and too long
// values are refused with ENV_INVALID (exit 3) naming the variable and the range; 0 keeps entries forever.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openStore } from '../../src/checkpoints/store.js';
import { isSpxError } from '../../src/errors/errors.js';

describe('checkpoints/store: SPX_TTL_HOURS', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-ttl-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function open(value: string | undefined, ttlMs?: number) {
    const env = value === undefined ? {} : { SPX_TTL_HOURS: value };
    const store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}`, env, ...(ttlMs === undefined ? {} : { ttlMs }) });
    await store.close();
    return store.ttlMs;
  }

  for (const value of ['abc', '-5', '0.0000001', '1e400', '1', '23.9', '87601', '0x30', 'Infinity', ' 48 h']) {
    it(`refuses SPX_TTL_HOURS=${JSON.stringify(value)} with ENV_INVALID naming the range`, async () => {
      const error = await open(value).catch((e: unknown) => e);
      expect(isSpxError(error) && error.code, String(error)).to.equal('ENV_INVALID');
      expect(isSpxError(error) && error.exitCode).to.equal(3);
      expect((error as Error).message).to.equal(`SPX_TTL_HOURS="${value.trim()}" is not a valid lifetime for store entries.`);
      expect(isSpxError(error) && error.hint).to.equal('Set it to 0 (keep entries forever) or a number of hours from 24 to 87600, or unset it for the default of 168 (7 days).');
    });
  }

  it('accepts 0 (forever), whole and fractional hours in range, and empty or unset for 7 days', async () => {
    expect(await open('0')).to.equal(0);
    expect(await open('24')).to.equal(24 * 3600_000);
    expect(await open('36.5')).to.equal(36.5 * 3600_000);
    expect(await open('87600')).to.equal(87600 * 3600_000);
    expect(await open('')).to.equal(168 * 3600_000);
    expect(await open(undefined)).to.equal(168 * 3600_000);
  });

  it('keeps whole milliseconds (Redis refuses a fractional PX)', async () => {
    expect(await open('24.0000001')).to.equal(Math.round(24.0000001 * 3600_000));
  });

  it('takes a programmatic ttlMs as the caller chose it (whole ms), refusing only junk', async () => {
    expect(await open(undefined, 0)).to.equal(0);
    expect(await open(undefined, 0.36), 'short, but never rounded to "forever"').to.equal(1);
    for (const junk of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await open(undefined, junk).catch((e: unknown) => e);
      expect(isSpxError(error) && error.code, String(junk)).to.equal('USAGE');
    }
  });
});
