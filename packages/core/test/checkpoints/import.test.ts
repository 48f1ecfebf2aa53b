// Importing a run: files only from its own run directory, exports written again by the next run,
// and the "imported" mark (which keeps checkpoints show from loading its pipeline) cleared by it.
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadPipeline } from '../../src/pipeline/load.js';
import { runPipeline } from '../../src/runner/run.js';
import { keys } from '../../src/checkpoints/keys.js';
import { readRunMarker, RUN_MARKER, storeIdentity } from '../../src/checkpoints/ownership.js';
import { exportRun, importRun } from '../../src/checkpoints/transfer.js';
import type { RunState } from '../../src/checkpoints/state.js';
import { openStore } from '../../src/checkpoints/store.js';
import { isSpxError } from '../../src/errors/errors.js';
import { textPipeline, workspace, type Workspace } from '../helpers.js';

describe('checkpoints/import', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(() => ws.cleanup());

  it('imports a run copied into another work dir, leaves exports to the next run, which reuses the rest and clears the mark', async () => {
    const doc = await ws.write('doc.md', 'hello world');
    const pipeline = await loadPipeline(await ws.write('pipeline.yaml', textPipeline()));
    const first = await runPipeline({ pipeline, inputs: { doc }, store: ws.store, workDir: join(ws.dir, 'a') });
    // The run directory moves to work dir b, without its marker (so b's store takes it over).
    const exported = JSON.parse(JSON.stringify(await exportRun(ws.store, first.runId)).replaceAll(join(ws.dir, 'a', 'runs'), join(ws.dir, 'b', 'runs')));
    await cp(join(ws.dir, 'a', 'runs', first.runId), join(ws.dir, 'b', 'runs', first.runId), { recursive: true });
    await rm(join(ws.dir, 'b', 'runs', first.runId, RUN_MARKER));

    const store = await openStore({ url: `sqlite://${join(ws.dir, 'b', 'state.sqlite')}` });
    try {
      const wrongDir = await importRun(store, exported, { workDir: join(ws.dir, 'a') }).catch((e: unknown) => e);
      expect(isSpxError(wrongDir) && wrongDir.code).to.equal('IMPORT_INVALID');
      expect((wrongDir as Error).message).to.match(/files of run [0-9a-f]{12} are not in its run directory .*\/a\/runs\//);

      const result = await importRun(store, exported, { workDir: join(ws.dir, 'b'), file: 'run.json' });
      expect(result).to.deep.include({ id: first.runId, artifacts: 3, steps: 3, republish: ['publish'] });
      const imported = (await store.get<RunState>(keys.run(first.runId)))!;
      expect(imported.metadata.imported).to.deep.include({ file: 'run.json' });
      expect(Object.keys(imported.stages)).to.have.members(['read', 'exclaim', 'steps']);
      expect((await readRunMarker(join(ws.dir, 'b', 'runs', first.runId)))?.storeId).to.equal((await storeIdentity(store)).id);

      const saved = (await ws.ledger()).length;
      const again = await runPipeline({ pipeline, inputs: { doc }, store, workDir: join(ws.dir, 'b'), outDir: join(ws.dir, 'out-b') });
      expect(again.reused).to.have.members(['read', 'exclaim', 'steps']);
      expect(again.ran).to.deep.equal(['publish']);
      expect((await ws.ledger()).slice(saved)).to.deep.equal(['publish:publish']);
      expect(await readFile(join(ws.dir, 'out-b', 'doc.txt'), 'utf8')).to.equal('HELLO WORLD!');
      expect((await store.get<RunState>(keys.run(first.runId)))!.metadata.imported).to.equal(undefined);
    } finally {
      await store.close();
    }
  });
});
