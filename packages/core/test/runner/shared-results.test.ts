// Work shared between runs: a stage with the same fingerprint in another run is reused by copy (its
// files linked into this run, its sub-steps copied), never by pointing into the other run — and
// only from runs under the same work dir: a pointer in the store leads nowhere else.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { keys } from '../../src/checkpoints/keys.js';
import type { RunState } from '../../src/checkpoints/state.js';
import { loadPipeline } from '../../src/pipeline/load.js';
import { runPipeline } from '../../src/runner/run.js';
import { textPipeline, workspace, type Workspace } from '../helpers.js';

describe('runner/shared results', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
    await ws.write('talk.md', 'shared work');
  });
  afterEach(() => ws.cleanup());

  const run = async (name: string, yaml: string, out: string) => {
    const file = await ws.write(`${name}.yaml`, yaml.replace('name: text', `name: ${name}`));
    return runPipeline({ pipeline: await loadPipeline(file), inputs: { doc: join(ws.dir, 'talk.md') }, store: ws.store, workDir: join(ws.dir, '.spx'), outDir: join(ws.dir, out) });
  };

  it('reuses another run\'s identical stages by copy, and survives that run being deleted', async () => {
    const first = await run('base', textPipeline({ suffix: '!' }), 'a');
    const second = await run('variant', textPipeline({ suffix: '?' }), 'b');
    expect(second.ran).to.have.members(['exclaim', 'publish']);
    expect(second.reused).to.have.members(['read', 'steps']);
    expect(second.plan.find((p) => p.stage === 'steps')!.reason).to.contain(`run ${first.runId}`);
    const steps = second.state.stages.steps!;
    expect(steps.artifacts[0]!.path).to.contain(join('runs', second.runId, 'steps'));
    expect((await ws.ledger()).filter((l) => l.startsWith('step:')), 'paid sub-steps ran once').to.have.length(3);
    // The first run goes away entirely; the second still has all of its work.
    await rm(join(ws.dir, '.spx', 'runs', first.runId), { recursive: true });
    await ws.store.delete(keys.run(first.runId));
    const again = await run('variant', textPipeline({ suffix: '?' }), 'b');
    expect(again.ran).to.deep.equal([]);
    expect(await readFile(join(ws.dir, 'b', 'talk.txt'), 'utf8')).to.equal('SHARED WORK?');
  });

  it('ignores a pointer to a checkpoint whose files lie outside that run\'s directory', async () => {
    const first = await run('base', textPipeline(), 'a');
    const state = (await ws.store.get<RunState>(keys.run(first.runId)))!;
    const outside = await ws.write('outside.txt', 'SHARED WORK');
    const read = state.stages.read!;
    const { sha256File } = await import('../../src/artifacts/hash.js');
    const forged = { ...read, artifacts: [{ ...read.artifacts[0]!, path: outside, sha256: await sha256File(outside), mtimeMs: undefined }], outputs: { ...read.outputs, text: { kind: 'file', path: outside, bytes: 11, sha256: await sha256File(outside) } } };
    await ws.store.set(keys.run(first.runId), { ...state, stages: { ...state.stages, read: forged } });
    const second = await run('other', textPipeline(), 'b');
    expect(second.ran, 'read ran: the forged record was not trusted').to.include('read');
  });
});
