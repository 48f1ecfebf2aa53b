// Saved transcript edits reach core/export through its params: an edit reruns only the export
// stage (never a paid one), a run without edits fingerprints exactly as one made before edits
// existed, the edits are refused while a process holds the run, and a stored value that is not
// edits stops the run before any work.
import { join } from 'node:path';
import { expect } from 'chai';
import { keys } from '../../src/checkpoints/keys.js';
import { acquireRunLock } from '../../src/checkpoints/lock.js';
import { saveEdits } from '../../src/checkpoints/edits.js';
import { deleteRun, type RunExport } from '../../src/checkpoints/runs.js';
import { exportRun, importRun } from '../../src/checkpoints/transfer.js';
import { openStore } from '../../src/checkpoints/store.js';
import { fingerprint } from '../../src/runner/fingerprint.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { runPipeline } from '../../src/runner/run.js';
import { corePlugin } from '../../src/stages/index.js';
import { isSpxError } from '../../src/errors/errors.js';
import { SCRIPT_TEXT, scriptPipeline } from '../fixtures/script-pipeline.js';
import { workspace, type Workspace } from '../helpers.js';

describe('runner: saved transcript edits', () => {
  let ws: Workspace;
  let script: string;
  beforeEach(async () => {
    ws = await workspace();
    script = await ws.write('meeting.txt', SCRIPT_TEXT);
    await ws.write('pipeline.yaml', scriptPipeline());
  });
  afterEach(() => ws.cleanup());

  const run = async (extra: { dryRun?: boolean } = {}) => {
    const pipeline = await loadPipeline(join(ws.dir, 'pipeline.yaml'), { builtins: [corePlugin] });
    return runPipeline({ pipeline, inputs: { script }, store: ws.store, workDir: join(ws.dir, '.spx'), outDir: join(ws.dir, 'out'), ...extra });
  };
  const paid = async () => (await ws.ledger()).filter((l) => l.startsWith('script:')).length;

  it('reruns only the export stage after an edit, and returns to the unedited fingerprint without one', async () => {
    const first = await run();
    expect(first.status).to.equal('completed');
    const plain = first.state.stages.export!;
    // Exactly the fingerprint parts an export had before edits existed: no `edits` anywhere.
    expect(plain.params).not.to.have.property('edits');
    expect(plain.fingerprint).to.equal(fingerprint({ uses: plain.uses, plugin: plain.plugin, pluginVersion: plain.pluginVersion, stageVersion: plain.stageVersion!, params: plain.params, upstream: plain.upstream, inputs: plain.inputs, destination: plain.destination! }));
    const paidRuns = await paid();

    await saveEdits(ws.store, first.runId, { speakers: { SPEAKER_00: 'Anna' } });
    const plan = await run({ dryRun: true });
    expect(plan.plan.map((p) => `${p.stage}:${p.action}`)).to.deep.equal(['transcribe:reuse', 'merge:reuse', 'export:run']);
    expect(plan.plan[2]!.reason).to.match(/params changed \(edits: unset → /);

    const edited = await run();
    expect(edited.ran).to.deep.equal(['export']);
    expect(await paid()).to.equal(paidRuns);
    expect(edited.state.stages.export!.metadata).to.deep.include({ edits: { speakers: 1, utterances: 0, dropped: 0 } });

    await saveEdits(ws.store, first.runId, {});
    const back = await run();
    expect(back.ran).to.deep.equal(['export']);
    expect(back.state.stages.export!.fingerprint).to.equal(plain.fingerprint);
  });

  it('exports and deletes the edits with the run', async () => {
    const first = await run();
    await saveEdits(ws.store, first.runId, { speakers: { SPEAKER_01: 'Ben' } });
    expect((await exportRun(ws.store, first.runId)).edits).to.deep.equal({ speakers: { SPEAKER_01: 'Ben' } });
    await deleteRun(ws.store, first.runId);
    expect(await ws.store.get(keys.edits(first.runId))).to.equal(undefined);
  });

  it('imports the edits with the run, refusing ones that are not edits and writing nothing then', async () => {
    const first = await run();
    await saveEdits(ws.store, first.runId, { speakers: { SPEAKER_01: 'Ben' } });
    const exported = await exportRun(ws.store, first.runId);
    const other = await openStore({ url: `sqlite://${join(ws.dir, 'other.sqlite')}` });
    try {
      const workDir = join(ws.dir, '.spx');
      const tampered = JSON.parse(JSON.stringify(exported).replace('"Ben"', '7')) as RunExport;
      const bad = await importRun(other, tampered, { workDir }).catch((e: unknown) => e);
      expect(isSpxError(bad) && bad.code).to.equal('IMPORT_INVALID');
      expect((bad as Error).message).to.match(/edits are not transcript edits/);
      expect(await other.get(keys.run(first.runId)), 'nothing written').to.equal(undefined);
      await importRun(other, exported, { workDir });
      expect(((await other.get(keys.edits(first.runId))) as { edits: unknown }).edits).to.deep.equal({ speakers: { SPEAKER_01: 'Ben' } });
      const { edits: _, ...withoutEdits } = exported;
      await importRun(other, withoutEdits, { workDir, force: true });
      expect(await other.get(keys.edits(first.runId)), 'replaced by the file, which has none').to.equal(undefined);
    } finally {
      await other.close();
    }
  });

  it('refuses to change the edits while a process holds the run', async () => {
    const first = await run();
    const lock = await acquireRunLock(ws.store, first.runId);
    try {
      const error = await saveEdits(ws.store, first.runId, { speakers: { SPEAKER_00: 'Anna' } }).catch((e: unknown) => e);
      expect(isSpxError(error) && error.code).to.equal('RUN_LOCKED');
    } finally {
      await lock.release();
    }
  });

  it('stops before any work when the stored edits are not edits', async () => {
    const first = await run();
    await ws.store.set(keys.edits(first.runId), { schema: 'spx-edits', schemaVersion: 1, runId: first.runId, updatedAt: 'x', edits: { speakers: { SPEAKER_00: 42 } } });
    const error = await run().catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('EDITS_INVALID');
    expect((error as Error).message).to.match(/saved edits of run \w+ are not valid: \/speakers\/SPEAKER_00 must be string/);
  });
});
