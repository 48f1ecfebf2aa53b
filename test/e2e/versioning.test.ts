// Versioned pipeline configs through the CLI: run v1.0.0, edit one stage's params and bump to
// v1.1.0, rerun the same input — exactly the changed stage and its dependents run, and the
// dry-run plan says why. Then a small file that `extends:` the pipeline, under its own name,
// overrides one value in a run of its own.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { textPipeline } from '../../packages/core/test/helpers.js';
import { spx } from '../support/cli.js';

interface Summary {
  results: Array<{ runId: string; status: string; ran: string[]; reused: string[]; plan: Array<{ stage: string; action: string; reason: string }> }>;
}

function summaryOf(stdout: string): Summary {
  const line = stdout.trim().split('\n').reverse().find((l) => l.includes('"results"'));
  return JSON.parse(line!) as Summary;
}

describe('e2e: versioned pipelines', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-version-'));
    await writeFile(join(dir, 'notes.md'), 'minutes of the meeting\n');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('reruns exactly the edited stage and its dependents after a version bump, and explains why', async () => {
    await writeFile(join(dir, 'pipeline.yaml'), textPipeline({ version: '1.0.0', suffix: '!' }));
    const v1 = await spx(['run', 'pipeline.yaml', 'notes.md', '--json'], { cwd: dir });
    expect(v1.code, v1.stderr).to.equal(0);
    expect(summaryOf(v1.stdout).results[0]!.ran).to.have.length(4);

    await writeFile(join(dir, 'pipeline.yaml'), textPipeline({ version: '1.1.0', suffix: '?!' }));
    const plan = await spx(['run', 'pipeline.yaml', 'notes.md', '--dry-run'], { cwd: dir });
    expect(plan.code, plan.stderr).to.equal(0);
    expect(plan.stdout).to.match(/reuse\s+read/);
    expect(plan.stdout).to.match(/run\s+exclaim\s+params changed \(suffix: "!" → "\?!"\)/);
    expect(plan.stdout).to.match(/run\s+publish\s+upstream "exclaim" will run/);
    expect(plan.stdout).to.match(/reuse\s+steps/);

    const runId = summaryOf(v1.stdout).results[0]!.runId;
    const show = await spx(['checkpoints', 'show', runId.slice(0, 6)], { cwd: dir });
    expect(show.code, show.stderr).to.equal(0);
    expect(show.stdout).to.match(/exclaim[\s\S]*next run\s+RUN — params changed \(suffix: "!" → "\?!"\)/);

    const v11 = await spx(['run', 'pipeline.yaml', 'notes.md', '--json'], { cwd: dir });
    const result = summaryOf(v11.stdout).results[0]!;
    expect(result.ran).to.deep.equal(['exclaim', 'publish']);
    expect(result.reused).to.have.members(['read', 'steps']);
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).to.equal('MINUTES OF THE MEETING\n?!');
    expect(result.runId).to.equal(summaryOf(v1.stdout).results[0]!.runId);
  });

  it('runs a small file that extends the pipeline, reusing the base run\'s work for all but the overridden stage', async () => {
    const baseRun = summaryOf((await spx(['run', 'pipeline.yaml', 'notes.md', '--json'], { cwd: dir })).stdout).results[0]!;
    await writeFile(join(dir, 'mine.yaml'), 'spx: 1\nname: text-mine\nversion: 1.1.1\nextends: ./pipeline.yaml\nstages:\n  exclaim:\n    with: { suffix: "." }\n');
    // Its own run (its own name) with its own exports: the base run's work is reused by copy.
    const run = await spx(['run', 'mine.yaml', 'notes.md', '--json', '--out', 'mine'], { cwd: dir });
    expect(run.code, run.stderr).to.equal(0);
    const result = summaryOf(run.stdout).results[0]!;
    expect(result.ran).to.deep.equal(['exclaim', 'publish']);
    expect(result.reused).to.have.members(['read', 'steps']);
    expect(result.runId).to.not.equal(baseRun.runId);
    expect(await readFile(join(dir, 'mine', 'notes.txt'), 'utf8')).to.equal('MINUTES OF THE MEETING\n.');
    expect(await readFile(join(dir, 'notes.txt'), 'utf8'), 'the base run\'s export is untouched').to.equal('MINUTES OF THE MEETING\n?!');
    // Running the base again reruns nothing: the two pipelines no longer share (and flip) one run.
    const base = await spx(['run', 'pipeline.yaml', 'notes.md', '--json'], { cwd: dir });
    expect(summaryOf(base.stdout).results[0]!.ran).to.deep.equal([]);

    await writeFile(join(dir, 'bad.yaml'), 'spx: 1\nname: text-bad\nversion: 1.1.2\nextends: ./pipeline.yaml\nstages:\n  exclaim:\n    with: { suffix: 3 }\n');
    const bad = await spx(['run', 'bad.yaml', 'notes.md'], { cwd: dir });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/bad\.yaml:7:\d+ error PARAMS_INVALID/);
  });
});
