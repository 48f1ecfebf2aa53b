// uploadOnce: a stored upload is reused while the service still keeps it (with a margin), and
// uploaded again once it is about to expire, has expired, or its record cannot be read.
import { expect } from 'chai';
import { Type, defineStage, uploadOnce, type StageContext } from '../../src/index.js';
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
});
