// Retention: a completed run keeps what is costly and prunes what is cheap (records kept), a later
// run makes a pruned file again only for a stage that runs and needs it — once, whoever needs it —
// and a file made again with other bytes never reruns a completed paid stage.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { sha256 } from '../../src/artifacts/hash.js';
import { keys } from '../../src/checkpoints/keys.js';
import { markPruned, pruneStoredRun } from '../../src/checkpoints/prune.js';
import type { RunState, StageRecord } from '../../src/checkpoints/state.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import type { RunEvent } from '../../src/runner/events.js';
import { runPipeline, type RunOptions } from '../../src/runner/run.js';
import { TEXT_PLUGIN, workspace, type Workspace } from '../helpers.js';

const DERIVE_PLUGIN = fileURLToPath(new URL('../fixtures/plugins/derive.ts', import.meta.url));

/** read (costly) → copy (cheap) → steps (paid) ∥ exclaim ∥ shout → publish. */
function pipeline(options: { name?: string; exclaim?: string; shout?: string } = {}): string {
  return `spx: 1
name: ${options.name ?? 'derived'}
version: 1.0.0
plugins: ["${TEXT_PLUGIN}", "${DERIVE_PLUGIN}"]
inputs:
  doc: { type: file }
stages:
  read:
    uses: text/read
    with: { input: "\${{ inputs.doc }}", transform: upper }
  copy:
    uses: derive/copy
    with: { from: "\${{ stages.read.outputs.text }}" }
  steps:
    uses: text/steps
    with: { from: "\${{ stages.copy.outputs.text }}", count: 3 }
  exclaim:
    uses: text/append
    with: { from: "\${{ stages.copy.outputs.text }}", suffix: "${options.exclaim ?? '!'}" }
  shout:
    uses: text/append
    with: { from: "\${{ stages.copy.outputs.text }}", suffix: "${options.shout ?? '!!'}" }
  publish:
    uses: text/publish
    with: { from: "\${{ stages.exclaim.outputs.text }}" }
    needs: [steps, shout]
`;
}

describe('runner: retention (prune when done, make again on demand)', () => {
  let ws: Workspace;
  let doc: string;
  beforeEach(async () => {
    ws = await workspace();
    doc = await ws.write('talk.md', 'hello world');
  });
  afterEach(async () => {
    await ws.cleanup();
  });

  async function run(yaml = pipeline(), extra: Partial<RunOptions> = {}) {
    const pipelineFile = await ws.write('pipeline.yaml', yaml);
    const events: RunEvent[] = [];
    const summary = await runPipeline({ pipeline: await loadPipeline(pipelineFile), inputs: { doc }, store: ws.store, workDir: join(ws.dir, '.spx'), onEvent: (e) => events.push(e), ...extra });
    expect(summary.status, summary.error?.message).to.equal('completed');
    return { summary, events, copy: summary.state.stages.copy!, newWork: async (before: number) => (await ws.ledger()).slice(before) };
  }
  const copyFile = (record: StageRecord) => record.artifacts.find((a) => a.name === 'copy.txt')!;

  it('prunes the cheap files when the run completes, keeping their records, and a rerun needs nothing back', async () => {
    const { summary, copy } = await run();
    const file = copyFile(copy);
    expect(file).to.include({ cheap: true, pruned: true, bytes: 'HELLO WORLD'.length, sha256: sha256('HELLO WORLD') });
    expect(existsSync(file.path), 'the cheap file is gone').to.equal(false);
    expect(summary.pruned).to.deep.equal({ files: 1, bytes: 'HELLO WORLD'.length });
    // Costly files stay: the undeclared output of the same stage, and every other stage's.
    const note = copy.artifacts.find((a) => a.name === 'note.txt')!;
    expect(note.pruned).to.equal(undefined);
    expect(existsSync(note.path)).to.equal(true);
    expect(existsSync(summary.state.stages.read!.artifacts[0]!.path)).to.equal(true);
    expect(await readFile(join(ws.dir, 'talk.txt'), 'utf8')).to.equal('HELLO WORLD!');

    const before = (await ws.ledger()).length;
    const again = await run();
    expect(again.summary.ran).to.deep.equal([]);
    expect(again.summary.remade).to.deep.equal([]);
    expect(await again.newWork(before)).to.deep.equal([]);
    expect(again.summary.plan.find((p) => p.stage === 'copy')!.reason).to.match(/verified; copy\.txt was pruned \(made again if a stage that runs needs it\)$/);
    const stored = await ws.store.get<RunState>(keys.run(summary.runId));
    expect(stored!.stages.copy!.outputDigest).to.equal(copy.outputDigest);
  });

  it('keeps them with keepIntermediates, marked cheap, so a later cleanup can prune them', async () => {
    const { summary, copy } = await run(pipeline(), { keepIntermediates: true });
    expect(summary.pruned).to.equal(undefined);
    expect(copyFile(copy)).to.include({ cheap: true }).and.not.have.property('pruned');
    expect(existsSync(copyFile(copy).path)).to.equal(true);

    const result = await pruneStoredRun(ws.store, summary.runId, { workDir: join(ws.dir, '.spx') });
    expect(result).to.deep.include({ pruned: true, files: 1, bytes: 'HELLO WORLD'.length });
    expect(existsSync(copyFile(copy).path)).to.equal(false);
    const stored = await ws.store.get<RunState>(keys.run(summary.runId));
    expect(copyFile(stored!.stages.copy!).pruned).to.equal(true);
    expect((await run()).summary.ran).to.deep.equal([]);
  });

  it('makes a pruned file again once for the stages that run and need it, and reruns only what the change requires', async () => {
    const first = await run();
    const before = (await ws.ledger()).length;
    const { summary, copy, newWork } = await run(pipeline({ exclaim: '?', shout: '??' }));
    // Two consumers ran at once; the copy was made once for both. Read and the paid steps were reused.
    expect((await newWork(before)).sort()).to.deep.equal(['append:exclaim', 'append:shout', 'copy:copy', 'publish:publish']);
    expect(summary.remade).to.deep.equal(['copy']);
    expect(summary.ran).to.have.members(['exclaim', 'shout', 'publish']);
    expect(summary.reused).to.have.members(['read', 'copy', 'steps']);
    expect(await readFile(join(ws.dir, 'talk.txt'), 'utf8')).to.equal('HELLO WORLD?');
    // Same bytes, same digest; pruned again once the run completed.
    expect(copy.outputDigest).to.equal(first.copy.outputDigest);
    expect(copyFile(copy)).to.include({ pruned: true, sha256: copyFile(first.copy).sha256 });
    expect(existsSync(copyFile(copy).path)).to.equal(false);
    expect(summary.state.metadata.history.at(-1)!.remade).to.deep.equal(['copy']);
  });

  it('uses new bytes where a stage runs, never reruns a completed paid stage for them, and says so', async () => {
    const first = await run();
    const before = (await ws.ledger()).length;
    const build2 = { env: { ...process.env, SPX_TEST_BUILD: '2' } }; // the cheap stage's tool now writes other bytes
    const { summary, copy, events, newWork } = await run(pipeline({ exclaim: '?' }), build2);
    expect((await newWork(before)).sort()).to.deep.equal(['append:exclaim', 'copy:copy', 'publish:publish']);
    expect(summary.reused).to.include('steps');
    expect(await readFile(join(ws.dir, 'talk.txt'), 'utf8')).to.equal('HELLO WORLD [build 2]?');
    const newSha = sha256('HELLO WORLD [build 2]');
    const warning = events.find((e) => e.type === 'run-log' && e.level === 'warn');
    expect(warning && warning.type === 'run-log' && warning.message).to.equal(
      `stage "copy" made its files again with other bytes than recorded (copy.txt: sha256 ${sha256('HELLO WORLD').slice(0, 12)} → ${newSha.slice(0, 12)}); the completed stages downstream stay reused, the stages that run now use the new files`,
    );
    // The record takes the new file; its digest stays what the completed stages were made from.
    expect(copyFile(copy)).to.include({ sha256: newSha, pruned: true });
    expect(copy.outputDigest).to.equal(first.copy.outputDigest);
    const settled = (await ws.ledger()).length;
    const third = await run(pipeline({ exclaim: '?' }), build2);
    expect(third.summary.ran).to.deep.equal([]);
    expect(await third.newWork(settled)).to.deep.equal([]);
  });

  it('takes back files a kill left between marking them pruned and deleting them, then removes them', async () => {
    const { summary } = await run(pipeline(), { keepIntermediates: true });
    // The state as a kill right after the pruning save leaves it: marked pruned, files still there.
    const state = (await ws.store.get<RunState>(keys.run(summary.runId)))!;
    markPruned(state);
    await ws.store.set(keys.run(summary.runId), state);
    const path = copyFile(state.stages.copy!).path;
    expect(existsSync(path)).to.equal(true);
    const before = (await ws.ledger()).length;
    const next = await run(pipeline({ exclaim: '?' }));
    expect(await next.newWork(before), 'the copy verified and was taken back, not made again').to.deep.equal(['append:exclaim', 'publish:publish']);
    expect(existsSync(path)).to.equal(false);
  });

  it('adopts another run\'s pruned checkpoint as pruned and makes the file in its own directory', async () => {
    await run();
    const before = (await ws.ledger()).length;
    // Another pipeline name: another run, sharing read, copy, shout and the paid steps by fingerprint.
    const { summary, newWork } = await run(pipeline({ name: 'derived-b', exclaim: '?' }), { outDir: join(ws.dir, 'b') });
    expect((await newWork(before)).sort()).to.deep.equal(['append:exclaim', 'copy:copy', 'publish:publish']);
    expect(summary.reused).to.have.members(['read', 'copy', 'steps', 'shout']);
    expect(copyFile(summary.state.stages.copy!).path).to.contain(join('runs', summary.runId, 'copy'));
    expect(await readFile(join(ws.dir, 'b', 'talk.txt'), 'utf8')).to.equal('HELLO WORLD?');
  });

  it('never deletes a file a stored record places outside the run\'s stage directories', async () => {
    const { summary } = await run(pipeline(), { keepIntermediates: true });
    const victim = await ws.write('victim.txt', 'precious');
    const state = (await ws.store.get<RunState>(keys.run(summary.runId)))!;
    const record = state.stages.read!;
    state.stages.read = { ...record, artifacts: [...record.artifacts, { name: 'victim.txt', path: victim, bytes: 8, sha256: sha256('precious'), cheap: true }] };
    await ws.store.set(keys.run(summary.runId), state);
    const result = await pruneStoredRun(ws.store, summary.runId, { workDir: join(ws.dir, '.spx') });
    expect(result).to.deep.include({ pruned: true, files: 1 });
    expect(await readFile(victim, 'utf8')).to.equal('precious');
    await writeFile(victim, 'still mine');
  });
});
