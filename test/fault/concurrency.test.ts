// Concurrency: two `spx run` on the same input at once (one works, the other refuses with
// RUN_LOCKED / exit 4, or waits with --wait and then reuses everything), and a batch of 20
// inputs with --concurrency 4 sharing one store, killed mid-way and resumed: every export
// matches its own input, every run state is its own.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openStore, type RunState } from '@spx/core/engine';
import { textPipeline } from '../../packages/core/test/helpers.js';
import { spx, startSpx } from '../support/cli.js';
import { firstMessageLine } from '../support/bad-inputs.js';

async function until(check: () => Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('fault: concurrency', function () {
  this.timeout(180_000);
  let dir: string;
  const ledger = () => readFile(join(dir, 'ledger.txt'), 'utf8').then((t) => t.split('\n').filter(Boolean));
  const env = () => ({ SPX_TEST_LEDGER: join(dir, 'ledger.txt') });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-conc-'));
    await writeFile(join(dir, 'ledger.txt'), '');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a second run on the same input refuses with RUN_LOCKED (exit 4), or waits with --wait and reuses the work', async () => {
    await writeFile(join(dir, 'pipeline.yaml'), textPipeline({ delayMs: 500, steps: 10 }));
    await writeFile(join(dir, 'talk.md'), 'two processes, one run\n');
    const first = startSpx(['run', 'pipeline.yaml', 'talk.md'], { cwd: dir, env: env() });
    await until(async () => (await ledger()).length > 0, 'the first run to start working');
    const [refused, waited] = await Promise.all([
      spx(['run', 'pipeline.yaml', 'talk.md'], { cwd: dir, env: env() }),
      spx(['run', 'pipeline.yaml', 'talk.md', '--wait', '120'], { cwd: dir, env: env() }),
    ]);
    const done = await first.done;
    expect(done.code, done.stderr).to.equal(0);
    expect(refused.code, refused.stderr + refused.stdout).to.equal(4);
    expect(firstMessageLine(refused)).to.match(/RUN_LOCKED: Run [0-9a-f]+ is in use by pid \d+/);
    expect(refused.stderr).to.not.match(/^\s+at .+:\d+:\d+\)?$/m);
    expect(waited.code, waited.stderr + waited.stdout).to.equal(0);
    expect(waited.stdout).to.contain('0 ran, 4 reused');
    // Every unit of work ran exactly once across the three processes.
    const lines = await ledger();
    expect(lines.length).to.equal(new Set(lines).size);
    expect(lines.filter((l) => l.startsWith('step:'))).to.have.length(10);
  });

  it('a batch of 20 inputs, 4 at a time on one store, killed mid-way and resumed: no lost or crossed checkpoints', async () => {
    await writeFile(join(dir, 'pipeline.yaml'), textPipeline({ delayMs: 30, steps: 2 }));
    const inputs = Array.from({ length: 20 }, (_, i) => `doc-${String(i).padStart(2, '0')}.md`);
    for (const [i, name] of inputs.entries()) await writeFile(join(dir, name), `input number ${i} says ${'la'.repeat(i + 1)}\n`);
    const args = ['run', 'pipeline.yaml', ...inputs, '--concurrency', '4', '--out', 'out'];
    const killed = startSpx(args, { cwd: dir, env: env() });
    await until(async () => (await ledger()).filter((l) => l.startsWith('publish:')).length >= 3, 'some inputs to finish');
    killed.child.kill('SIGKILL');
    await killed.done;
    const resumed = await spx(args, { cwd: dir, env: env() });
    expect(resumed.code, resumed.stderr + resumed.stdout).to.equal(0);
    expect(resumed.stdout).to.contain('20 of 20 inputs succeeded');
    for (const [i, name] of inputs.entries()) {
      const expected = `input number ${i} says ${'la'.repeat(i + 1)}\n`.toUpperCase() + '!';
      expect(await readFile(join(dir, 'out', name.replace('.md', '.txt')), 'utf8'), name).to.equal(expected);
    }
    const store = await openStore({ url: `sqlite://${join(dir, '.spx', 'state.sqlite')}` });
    try {
      const states: RunState[] = [];
      for await (const key of store.keys('run:')) states.push((await store.get<RunState>(key))!);
      expect(states).to.have.length(20);
      expect(states.every((s) => s.status === 'completed')).to.equal(true);
      expect(new Set(states.map((s) => s.input_file)).size, 'one run per input').to.equal(20);
      for (const s of states) expect(s.stages.publish!.outputs, s.input_file).to.satisfy((o: unknown) => JSON.stringify(o).includes(s.input_file.split('/').pop()!.replace('.md', '.txt')));
    } finally {
      await store.close();
    }
    // Publishing happened once per input (the killed run's finished ones were reused).
    const published = (await ledger()).filter((l) => l.startsWith('publish:')).length;
    expect(published).to.be.within(20, 24);
    const again = await spx(args, { cwd: dir, env: env() });
    expect(again.code).to.equal(0);
    expect((await ledger()).filter((l) => l.startsWith('publish:')).length, 'a third run reuses everything').to.equal(published);
  });
});
