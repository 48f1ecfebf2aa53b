import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadPipeline } from '../../src/pipeline/load.js';
import { runPipeline, type RunOptions } from '../../src/runner/run.js';
import type { RunEvent } from '../../src/runner/events.js';
import { pathToFileURL } from 'node:url';
import { TEXT_PLUGIN, textPipeline, workspace, type Workspace } from '../helpers.js';

// The same module instance the loader imports (by file URL), so its counters are shared.
const { default: textPlugin, concurrency } = (await import(pathToFileURL(TEXT_PLUGIN).href)) as typeof import('../fixtures/plugins/text.js');

describe('runner/run', () => {
  let ws: Workspace;
  let doc: string;
  beforeEach(async () => {
    ws = await workspace();
    doc = await ws.write('meeting.md', 'hello world');
  });
  afterEach(() => ws.cleanup());

  async function run(yaml: string, extra: Partial<RunOptions> = {}) {
    const file = await ws.write('pipeline.yaml', yaml);
    const pipeline = await loadPipeline(file, extra.pipeline ? {} : {});
    const events: RunEvent[] = [];
    const summary = await runPipeline({ pipeline, inputs: { doc }, store: ws.store, workDir: join(ws.dir, '.spx'), onEvent: (e) => events.push(e), ...extra });
    return { summary, events };
  }

  it('runs stages in dependency order and publishes next to the input', async () => {
    const { summary } = await run(textPipeline());
    expect(summary.status).to.equal('completed');
    expect(summary.ran).to.have.members(['read', 'exclaim', 'steps', 'publish']);
    expect(summary.ran.indexOf('read')).to.equal(0);
    expect(summary.ran.at(-1)).to.equal('publish');
    expect(await readFile(join(ws.dir, 'meeting.txt'), 'utf8')).to.equal('HELLO WORLD!');
    expect(summary.state.completed_stages).to.have.length(4);
    expect(summary.state.checkpoints.every((c) => c.success)).to.equal(true);
  });

  it('runs independent stages concurrently, within the limit', async () => {
    concurrency.reset();
    await run(textPipeline({ delayMs: 60 }));
    expect(concurrency.max).to.equal(2);
    concurrency.reset();
    await ws.write('meeting.md', 'other text');
    await run(textPipeline({ delayMs: 60 }), { concurrency: 1 });
    expect(concurrency.max).to.equal(1);
  });

  it('reuses every stage on a second run and counts the paid calls saved', async () => {
    await run(textPipeline());
    const before = (await ws.ledger()).length;
    const { summary } = await run(textPipeline());
    expect(summary.ran).to.deep.equal([]);
    expect(summary.reused).to.have.length(4);
    expect(summary.saved.paidCalls).to.equal(3);
    expect(summary.saved.usd).to.be.closeTo(0.03, 1e-9);
    expect((await ws.ledger()).length).to.equal(before);
  });

  it('reruns only a changed stage and its dependents, and says why', async () => {
    await run(textPipeline({ suffix: '!' }));
    const { summary } = await run(textPipeline({ suffix: '?', version: '1.1.0' }));
    expect(summary.ran).to.deep.equal(['exclaim', 'publish']);
    expect(summary.reused).to.have.members(['read', 'steps']);
    const exclaim = summary.plan.find((p) => p.stage === 'exclaim')!;
    expect(exclaim.reason).to.contain('params changed').and.contain('suffix');
    expect(summary.plan.find((p) => p.stage === 'publish')!.reason).to.contain('upstream "exclaim"');
    expect(summary.state.metadata.history.map((h) => h.pipelineVersion)).to.deep.equal(['1.0.0', '1.1.0']);
  });

  it('does not rerun a stage when only an execution param changed', async () => {
    await run(textPipeline({ delayMs: 0 }));
    const { summary } = await run(textPipeline({ delayMs: 5 }));
    expect(summary.reused).to.include('steps');
    expect(summary.ran).to.include.members(['read', 'exclaim']);
  });

  it('reruns every stage of a plugin whose version changed', async () => {
    const file = await ws.write('p.yaml', textPipeline().replace(/plugins: .*\n/, ''));
    const first = await runPipeline({ pipeline: await loadPipeline(file, { builtins: [textPlugin] }), inputs: { doc }, store: ws.store, workDir: join(ws.dir, '.spx') });
    expect(first.ran).to.have.length(4);
    const bumped = { ...textPlugin, version: '2.0.0' };
    const second = await runPipeline({ pipeline: await loadPipeline(file, { builtins: [bumped] }), inputs: { doc }, store: ws.store, workDir: join(ws.dir, '.spx') });
    expect(second.ran).to.have.length(4);
    expect(second.plan[0]!.reason).to.contain('plugin changed').and.contain('2.0.0');
  });

  it('reruns a stage whose artifact was deleted or corrupted, keeping identical downstream work', async () => {
    const { summary } = await run(textPipeline());
    const artifact = summary.state.stages.read!.artifacts[0]!.path;
    await writeFile(artifact, 'CORRUPTED!!');
    const second = await run(textPipeline());
    expect(second.summary.plan[0]!.reason).to.contain('sha256 differs');
    expect(second.summary.ran).to.deep.equal(['read']);
    expect(second.summary.reused).to.have.members(['exclaim', 'steps', 'publish']);
    await rm(summary.state.stages.publish!.artifacts[0]!.path);
    const third = await run(textPipeline());
    expect(third.summary.ran).to.deep.equal(['publish']);
    expect(third.summary.plan.at(-1)!.reason).to.contain('export meeting.txt was moved or deleted');
  });

  it('keeps completed work when a stage fails and resumes from the failure', async () => {
    const { summary } = await run(textPipeline({ fail: true }));
    expect(summary.status).to.equal('failed');
    expect(summary.failed!.stage).to.equal('exclaim');
    expect(summary.failed!.error.pluginCode ?? summary.failed!.error.code).to.equal('TEXT_FAIL');
    expect(summary.state.status).to.equal('failed');
    expect(summary.state.failed_stage).to.equal('exclaim');
    expect(summary.state.completed_stages).to.include.members(['read']);
    const ledgerBefore = await ws.ledger();
    const second = await run(textPipeline({ fail: false }));
    expect(second.summary.status).to.equal('completed');
    expect(second.summary.reused).to.include('read');
    expect(second.summary.ran).to.include.members(['exclaim', 'publish']);
    const newEntries = (await ws.ledger()).slice(ledgerBefore.length);
    expect(newEntries.filter((e) => e.startsWith('read'))).to.deep.equal([]);
  });

  it('resumes a renamed input; an edited input is a new run', async () => {
    const first = await run(textPipeline());
    const moved = join(ws.dir, 'renamed.md');
    await rename(doc, moved);
    doc = moved;
    const second = await run(textPipeline());
    expect(second.summary.runId).to.equal(first.summary.runId);
    expect(second.summary.ran).to.deep.equal(['publish']);
    expect(second.summary.plan.at(-1)!.reason).to.contain('output location changed');
    await writeFile(doc, 'changed content');
    const third = await run(textPipeline());
    expect(third.summary.runId).to.not.equal(first.summary.runId);
    expect(third.summary.ran).to.have.length(4);
  });

  it('on abort keeps finished sub-steps and resumes from the next one', async () => {
    const controller = new AbortController();
    const events: RunEvent[] = [];
    const file = await ws.write('pipeline.yaml', textPipeline({ steps: 6, delayMs: 40 }));
    const pipeline = await loadPipeline(file);
    const pending = runPipeline({ pipeline, inputs: { doc }, store: ws.store, workDir: join(ws.dir, '.spx'), signal: controller.signal, onEvent: (e) => {
      events.push(e);
      if (e.type === 'stage-progress' && e.progress.done === 3) controller.abort();
    } });
    const summary = await pending;
    expect(summary.status).to.equal('interrupted');
    expect(summary.state.status).to.equal('in_progress');
    const stepsBefore = (await ws.ledger()).filter((l) => l.startsWith('step:'));
    expect(stepsBefore).to.have.length(3);
    const resumed = await runPipeline({ pipeline, inputs: { doc }, store: ws.store, workDir: join(ws.dir, '.spx') });
    expect(resumed.status).to.equal('completed');
    const steps = (await ws.ledger()).filter((l) => l.startsWith('step:'));
    expect(steps).to.deep.equal(['step:steps:0', 'step:steps:1', 'step:steps:2', 'step:steps:3', 'step:steps:4', 'step:steps:5']);
    expect(resumed.saved.paidCalls).to.equal(3);
  });

  it('plans without running anything in dry-run mode', async () => {
    const { summary } = await run(textPipeline(), { dryRun: true });
    expect(summary.status).to.equal('planned');
    expect(summary.plan.map((p) => p.action)).to.deep.equal(['run', 'run', 'run', 'run']);
    expect(summary.plan[1]!.reason).to.contain('upstream "read" will run');
    expect(await ws.ledger()).to.deep.equal([]);
  });

  it('--from-stage reruns that stage and its dependents only', async () => {
    await run(textPipeline());
    const { summary } = await run(textPipeline(), { fromStage: 'exclaim' });
    expect(summary.ran).to.deep.equal(['exclaim', 'publish']);
    expect(summary.plan[1]!.reason).to.contain('--from-stage');
  });
});
