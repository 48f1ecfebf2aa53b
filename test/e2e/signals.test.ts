// Ctrl-C and SIGTERM during a run: exit 130 / 143, completed stages kept, the next run resumes.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { textPipeline } from '../../packages/core/test/helpers.js';
import { spx, startSpx } from '../support/cli.js';

async function interrupt(signal: NodeJS.Signals, expectedCode: number) {
  const dir = await mkdtemp(join(tmpdir(), 'spx-signal-'));
  try {
    await writeFile(join(dir, 'pipeline.yaml'), textPipeline({ delayMs: 250, steps: 8 }));
    await writeFile(join(dir, 'talk.md'), 'some words\n');
    const ledger = join(dir, 'ledger.txt');
    await writeFile(ledger, '');
    const env = { SPX_TEST_LEDGER: ledger };
    const { child, done } = startSpx(['run', 'pipeline.yaml', 'talk.md', '--json'], { cwd: dir, env });
    // Interrupt once the "steps" stage has made progress.
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      if (buffer.includes('"part 2/8"') && !child.killed) child.kill(signal);
    });
    const result = await done;
    expect(result.code, result.stderr).to.equal(expectedCode);
    expect(result.stderr).to.contain(signal === 'SIGINT' ? 'Interrupted' : 'Terminated');
    expect(result.stderr).to.not.match(/\n\s+at /);
    const summary = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { results: Array<{ status: string }> };
    expect(summary.results[0]!.status).to.equal('interrupted');
    const stepsBefore = (await readFile(ledger, 'utf8')).split('\n').filter((l) => l.startsWith('step:')).length;

    const resumed = await spx(['run', 'pipeline.yaml', 'talk.md'], { cwd: dir, env });
    expect(resumed.code, resumed.stderr).to.equal(0);
    expect(resumed.stdout).to.match(/resume saved \d+ stages?, [1-9]\d* paid API calls?/);
    const steps = (await readFile(ledger, 'utf8')).split('\n').filter((l) => l.startsWith('step:'));
    expect(steps, 'every sub-step ran exactly once across both runs').to.have.length(8);
    expect(stepsBefore).to.be.within(2, 7);
    expect(await readFile(join(dir, 'talk.txt'), 'utf8')).to.equal('SOME WORDS\n!');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('e2e: signals', function () {
  this.timeout(60_000);
  it('Ctrl-C exits 130, keeps finished work and resumes', () => interrupt('SIGINT', 130));
  it('SIGTERM exits 143, keeps finished work and resumes', () => interrupt('SIGTERM', 143));
});
