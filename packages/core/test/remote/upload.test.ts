// uploadOnce: a stored upload is reused while the service still keeps it (with a margin), and
// uploaded again once it is about to expire, has expired, or its record cannot be read;
// uploadKeptFor does the same for a service that keeps every upload a fixed time.
import { expect } from 'chai';
import { Type, defineStage, uploadKeptFor, uploadOnce, type StageContext } from '../../src/index.js';
import { openStore, type Store } from '../../src/engine.js';
import { runStageForTest } from '../../src/testing/index.js';

const idle = defineStage({ description: 'Gives the test a stage context.', params: Type.Object({}), outputs: { none: { kind: 'json', description: '-' } }, run: async () => ({ outputs: { none: null } }) });

describe('remote-job kit (uploadOnce)', () => {
  let store: Store;
  let ctx: StageContext;
  let sent: number;

  beforeEach(async () => {
    store = await openStore({ url: 'memory://' });
    ({ ctx } = await runStageForTest(idle, { store }));
    sent = 0;
  });
  afterEach(async () => {
    await store.close();
  });

  /** An upload the service keeps for `keptMs` (null: for good). */
  const upload = (keptMs: number | null, key = 'upload/abc', marginMs?: number) =>
    uploadOnce({
      memo: ctx.step,
      key,
      upload: async () => ({ url: `upload://${++sent}`, expiresAt: keptMs === null ? null : Date.now() + keptMs }),
      expiresAt: (record) => record.expiresAt,
      ...(marginMs === undefined ? {} : { marginMs }),
    });

  it('uploads once and reuses the upload while it is fresh', async () => {
    const first = await upload(86_400_000);
    const second = await upload(86_400_000);
    expect(second.url).to.equal(first.url);
    expect(sent).to.equal(1);
  });

  it('uploads again when the stored upload is within the margin of its expiry or past it', async () => {
    await upload(5 * 60_000); // kept 5 min: inside the default 10 min margin
    const again = await upload(86_400_000);
    expect(again.url).to.equal('upload://2');
    await upload(30, 'upload/short', 0);
    await new Promise((resolve) => setTimeout(resolve, 40));
    const redone = await upload(86_400_000, 'upload/short', 0);
    expect(redone.url).to.equal('upload://4');
  });

  it('keeps reusing an upload the service keeps for good', async () => {
    await upload(null);
    await upload(null);
    expect(sent).to.equal(1);
  });

  it('uploads again when the stored record has no readable expiry', async () => {
    await ctx.step('upload/bad', async () => ({ url: 'upload://old', expiresAt: 'tomorrow' }));
    const fresh = await upload(86_400_000, 'upload/bad');
    expect(fresh.url).to.equal('upload://1');
  });

  /** An upload to a service that keeps every upload `keptMs` after it was made. */
  const keptFor = (keptMs: number, key = 'upload/kept', marginMs?: number) =>
    uploadKeptFor({ memo: ctx.step, key, field: 'media', keptMs, upload: async () => `media://${++sent}`, ...(marginMs === undefined ? {} : { marginMs }) });

  it('stores a fixed-time upload as { <field>, uploadedAt } and reuses it while it is kept', async () => {
    const before = Date.now();
    expect(await keptFor(86_400_000)).to.equal('media://1');
    expect(await keptFor(86_400_000)).to.equal('media://1');
    expect(sent).to.equal(1);
    const stored = await ctx.step('upload/kept', async () => ({ media: 'not used', uploadedAt: 0 }));
    expect(stored.media).to.equal('media://1');
    expect(stored.uploadedAt).to.be.within(before, Date.now());
  });

  it('uploads a fixed-time upload again once it is within the margin of its keep time', async () => {
    await keptFor(5 * 60_000); // kept 5 min: inside the default 10 min margin
    expect(await keptFor(5 * 60_000)).to.equal('media://2');
    await keptFor(20 * 60_000, 'upload/long', 30 * 60_000);
    expect(await keptFor(20 * 60_000, 'upload/long', 30 * 60_000)).to.equal('media://4');
  });

  it('reuses a fixed-time record stored before, and uploads again over one without a reference or time', async () => {
    await ctx.step('upload/old', async () => ({ media: 'media://stored', uploadedAt: Date.now() }));
    expect(await keptFor(86_400_000, 'upload/old')).to.equal('media://stored');
    await ctx.step('upload/empty', async () => ({ media: '', uploadedAt: Date.now() }));
    expect(await keptFor(86_400_000, 'upload/empty')).to.equal('media://1');
    await ctx.step('upload/untimed', async () => ({ media: 'media://stored', uploadedAt: 'today' }));
    expect(await keptFor(86_400_000, 'upload/untimed')).to.equal('media://2');
  });
});
