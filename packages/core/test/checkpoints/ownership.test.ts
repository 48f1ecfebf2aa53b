// Ownership of run directories: markers written when spx makes one, and cleanup/delete that remove
// only what a marker proves is this store's; store entries that are not run states are skipped.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadPipeline } from '../../src/pipeline/load.js';
import { runPipeline } from '../../src/runner/run.js';
import { keys } from '../../src/checkpoints/keys.js';
import { claimRunDir, readRunMarker, RUN_MARKER, runDirOwnership, storeIdentity, storeLocation } from '../../src/checkpoints/ownership.js';
import { deleteRun, orphanRunDirs, runStateProblem, scanRuns } from '../../src/checkpoints/runs.js';
import type { RunState } from '../../src/checkpoints/state.js';
import { openStore } from '../../src/checkpoints/store.js';
import { isSpxError } from '../../src/errors/errors.js';
import { textPipeline, workspace, type Workspace } from '../helpers.js';

describe('checkpoints/ownership', () => {
  let ws: Workspace;
  let work: string;
  beforeEach(async () => {
    ws = await workspace();
    work = join(ws.dir, '.spx');
  });
  afterEach(() => ws.cleanup());

  async function runText(doc = 'hello world') {
    await ws.write('doc.md', doc);
    const pipeline = await loadPipeline(await ws.write('pipeline.yaml', textPipeline()));
    return runPipeline({ pipeline, inputs: { doc: join(ws.dir, 'doc.md') }, store: ws.store, workDir: work });
  }

  it('names a store by where it is, never with credentials', () => {
    expect(storeLocation('sqlite://rel/state.sqlite')).to.equal(`sqlite://${join(process.cwd(), 'rel', 'state.sqlite')}`);
    expect(storeLocation('/abs/state.sqlite')).to.equal('sqlite:///abs/state.sqlite');
    expect(storeLocation('redis://user:s3cret@cache.local:6380/2?tls=1')).to.equal('redis://cache.local:6380/2');
    expect(storeLocation('postgres://spx:pw@db:5432/spx')).to.equal('postgres://db:5432/spx');
  });

  it('a run writes a marker naming its run and store, once', async () => {
    const { runId } = await runText();
    const marker = await readRunMarker(join(work, 'runs', runId));
    const identity = await storeIdentity(ws.store);
    expect(marker).to.deep.include({ schema: 'spx-run-dir', runId, storeId: identity.id, store: storeLocation(ws.store.url) });
    expect(identity.id).to.match(/^[0-9a-f]{24}$/);
    expect((await runDirOwnership(identity, work, runId)).owner).to.equal('this store');
    // Resuming does not rewrite it.
    const before = await readFile(join(work, 'runs', runId, RUN_MARKER), 'utf8');
    await runText();
    expect(await readFile(join(work, 'runs', runId, RUN_MARKER), 'utf8')).to.equal(before);
  });

  it('processes creating the store id at once agree on one, and it outlives the entries’ time-to-live', async () => {
    const url = `sqlite://${join(ws.dir, 'fresh.sqlite')}`;
    const stores = await Promise.all([openStore({ url, ttlMs: 30 }), openStore({ url, ttlMs: 30 }), openStore({ url, ttlMs: 30 })]);
    try {
      await stores[0]!.set('run:expiring', { id: 'expiring' });
      const ids = await Promise.all(stores.map((s) => storeIdentity(s, { create: true })));
      expect(new Set(ids.map((i) => i.id)).size).to.equal(1);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await stores[0]!.get('run:expiring')).to.equal(undefined);
      expect(ids[0]!.id).to.equal((await storeIdentity(stores[0]!)).id);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('a process that saw no store id yet, while another was creating it, goes on with that one and never replaces it', async () => {
    const url = `sqlite://${join(ws.dir, 'late.sqlite')}`;
    const [first, late] = await Promise.all([openStore({ url }), openStore({ url })]);
    try {
      const made = await storeIdentity(first, { create: true });
      // The late process's first read came before the id was written.
      const stale: typeof late = { ...late, get: async () => undefined };
      const seen = await storeIdentity(stale, { create: true });
      expect(seen.id).to.equal(made.id);
      expect((await storeIdentity(first)).id).to.equal(made.id);
    } finally {
      await Promise.all([first.close(), late.close()]);
    }
  });

  it('claims an empty directory a killed process left, but never a full one it did not make', async () => {
    await mkdir(join(work, 'runs', 'aaaaaaaaaaaa'), { recursive: true });
    await claimRunDir(ws.store, work, 'aaaaaaaaaaaa', ['read']);
    expect((await readRunMarker(join(work, 'runs', 'aaaaaaaaaaaa')))?.runId).to.equal('aaaaaaaaaaaa');
    await mkdir(join(work, 'runs', 'bbbbbbbbbbbb', 'read'), { recursive: true });
    await claimRunDir(ws.store, work, 'bbbbbbbbbbbb', ['read']);
    expect(await readRunMarker(join(work, 'runs', 'bbbbbbbbbbbb'))).to.equal(undefined);
    const ownership = await runDirOwnership(await storeIdentity(ws.store), work, 'bbbbbbbbbbbb');
    expect(ownership).to.deep.include({ owner: 'other', reason: 'no ownership marker (not made by spx, or by a version before markers)' });
  });

  it('refuses a run directory, a stage directory or runs/ that is a symlink, writing nothing', async () => {
    const outside = join(ws.dir, 'outside');
    await mkdir(outside);
    await mkdir(join(work, 'runs', 'cccccccccccc'), { recursive: true });
    await symlink(outside, join(work, 'runs', 'dddddddddddd'));
    await symlink(outside, join(work, 'runs', 'cccccccccccc', 'read'));
    for (const [id, stages] of [
      ['dddddddddddd', []],
      ['cccccccccccc', ['read']],
    ] as const) {
      const error = await claimRunDir(ws.store, work, id, stages).catch((e: unknown) => e);
      expect(isSpxError(error) && error.code, id).to.equal('PATH_UNSAFE');
      expect((error as Error).message).to.match(/is a symbolic link/);
    }
    expect(existsSync(join(outside, RUN_MARKER))).to.equal(false);
  });

  it('tells apart a marker of another run, of another store, and of a store whose id was copied into this one', async () => {
    const identity = await storeIdentity(ws.store, { create: true });
    const mark = async (id: string, marker: object) => {
      await mkdir(join(work, 'runs', id), { recursive: true });
      await writeFile(join(work, 'runs', id, RUN_MARKER), JSON.stringify({ schema: 'spx-run-dir', schemaVersion: 1, createdAt: 'now', ...marker }));
    };
    await mark('eeeeeeeeeeee', { runId: 'ffffffffffff', storeId: identity.id, store: identity.location });
    await mark('ffffffffffff', { runId: 'ffffffffffff', storeId: '0'.repeat(24), store: identity.location });
    // Someone wrote this store's id into their own store: the location still differs.
    await mark('999999999999', { runId: '999999999999', storeId: identity.id, store: 'redis://elsewhere:6379' });
    expect(await runDirOwnership(identity, work, 'eeeeeeeeeeee')).to.deep.include({ owner: 'other', reason: 'its marker names run ffffffffffff' });
    expect((await runDirOwnership(identity, work, 'ffffffffffff')).owner).to.equal('other');
    expect(await runDirOwnership(identity, work, '999999999999')).to.deep.include({ owner: 'other', reason: 'made by another store (redis://elsewhere:6379)' });
    expect((await runDirOwnership(identity, work, '000000000000')).owner).to.equal('none');
  });

  it('the orphan sweep offers only this store’s directories without run state; delete removes only an owned directory', async () => {
    const { runId } = await runText();
    const { runId: second } = await runText('another document');
    await ws.store.delete(keys.run(second));
    await mkdir(join(work, 'runs', 'user-files', 'x'), { recursive: true });
    await mkdir(join(work, 'runs', '123456789abc'), { recursive: true });
    const sweep = await orphanRunDirs(ws.store, work);
    expect(sweep.orphans.map((o) => o.id)).to.deep.equal([second]);
    expect(sweep.leftAlone.map((l) => l.dir).sort()).to.deep.equal([join(work, 'runs', '123456789abc'), join(work, 'runs', 'user-files')]);

    const other = await openStore({ url: `sqlite://${join(ws.dir, 'other.sqlite')}` });
    try {
      await other.set(keys.run(runId), (await ws.store.get(keys.run(runId)))!);
      const foreign = await deleteRun(other, runId, { workDir: work });
      expect(foreign.dirs).to.deep.equal([]);
      expect(foreign.left[0]!.reason).to.match(/^made by another store/);
      expect(existsSync(join(work, 'runs', runId))).to.equal(true);
    } finally {
      await other.close();
    }
    const own = await deleteRun(ws.store, runId, { workDir: work });
    expect(own.dirs).to.deep.equal([join(work, 'runs', runId)]);
    expect(existsSync(join(work, 'runs', runId))).to.equal(false);
  });

  it('skips store entries that are not run states, naming why', async () => {
    const { runId, state } = await runText();
    const cases: Array<[string, unknown, RegExp]> = [
      ['run:../../victim', { ...state, id: '../../victim' }, /key holds "\.\.\/\.\.\/victim", not a run id/],
      ['run:aaaaaaaaaaaa', { ...state, id: '..' }, /its id "\.\." differs from its key/],
      ['run:bbbbbbbbbbbb', { ...state, id: 'bbbbbbbbbbbb', stages: { '../x': state.stages.read } }, /stage id "\.\.\/x" is not a stage id/],
      ['run:cccccccccccc', { ...state, id: 'cccccccccccc', completed_stages: ['read', '/etc'] }, /stage id "\/etc"/],
      ['run:dddddddddddd', { ...state, id: 'dddddddddddd', stages: { read: { ...state.stages.read, artifacts: [{ path: 7 }] } } }, /malformed artifact records/],
      ['run:eeeeeeeeeeee', 'not an object', /not a run state/],
    ];
    for (const [key, value, reason] of cases) {
      expect(runStateProblem(key, value), key).to.match(reason);
      await ws.store.set(key, value);
    }
    expect(runStateProblem(keys.run(runId), state)).to.equal(undefined);
    const { runs, invalid } = await scanRuns(ws.store);
    expect(runs.map((r: RunState) => r.id)).to.deep.equal([runId]);
    expect(invalid.map((e) => e.key).sort()).to.deep.equal(cases.map(([key]) => key).sort());
    await rm(join(work, 'runs'), { recursive: true });
  });
});
