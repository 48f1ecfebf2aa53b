// Kill -9 at random moments, rerun, and check that the final outputs are byte-identical to an
// uninterrupted run and that no stage or paid sub-step whose checkpoint was saved ever ran again.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openStore, storeKeys, type RunState } from '@spx/core';
import { mapPool } from '@spx/core';
import { textPipeline } from '../../packages/core/test/helpers.js';
import { spx, startSpx } from '../support/cli.js';

const TRIALS = Number(process.env.SPX_KILL_TRIALS ?? 20);
const PIPELINE = textPipeline({ delayMs: 80, steps: 6 });

interface Trial {
  dir: string;
  ledger: string;
}

async function setup(): Promise<Trial> {
  const dir = await mkdtemp(join(tmpdir(), 'spx-kill-'));
  await writeFile(join(dir, 'pipeline.yaml'), PIPELINE);
  await writeFile(join(dir, 'talk.md'), 'the quick brown fox jumps over the lazy dog\n');
  await writeFile(join(dir, 'ledger.txt'), '');
  return { dir, ledger: join(dir, 'ledger.txt') };
}

async function ledgerLines(trial: Trial): Promise<string[]> {
  return (await readFile(trial.ledger, 'utf8')).split('\n').filter(Boolean);
}

/** What the store says is done: completed stages and saved sub-steps. */
async function savedWork(trial: Trial): Promise<Set<string>> {
  const store = await openStore({ url: `sqlite://${join(trial.dir, '.spx', 'state.sqlite')}` });
  try {
    const saved = new Set<string>();
    for await (const key of store.keys(storeKeys.runPrefix)) {
      const state = await store.get<RunState>(key);
      for (const stage of state?.completed_stages ?? []) saved.add(`stage:${stage}`);
    }
    for await (const key of store.keys('step:')) saved.add(`step:${key.split(':').at(-1)!.replace('part-', '')}`);
    return saved;
  } finally {
    await store.close();
  }
}

/** Maps a ledger line to the unit of saved work it belongs to. */
function workOf(line: string): string {
  const [kind, stage, index] = line.split(':');
  if (kind === 'step') return `step:${index}`;
  return `stage:${stage}`;
}

const run = (trial: Trial) => spx(['run', 'pipeline.yaml', 'talk.md'], { cwd: trial.dir, env: { SPX_TEST_LEDGER: trial.ledger } });

describe('fault: kill -9 at random moments', function () {
  this.timeout(240_000);
  let reference: string;

  before(async () => {
    const trial = await setup();
    const result = await run(trial);
    expect(result.code, result.stderr).to.equal(0);
    reference = await readFile(join(trial.dir, 'talk.txt'), 'utf8');
    await rm(trial.dir, { recursive: true, force: true });
  });

  it(`resumes to byte-identical output without repeating saved work (${TRIALS} trials)`, async () => {
    const outcomes = await mapPool(Array.from({ length: TRIALS }, (_, i) => i), 2, async (i) => {
      const trial = await setup();
      try {
        let kills = 0;
        // Kill at a random moment across the run's lifetime (start-up included), up to twice.
        for (let attempt = 0; attempt < 2; attempt++) {
          const before = await savedWork(trial).catch(() => new Set<string>());
          const ledgerBefore = (await ledgerLines(trial)).length;
          const { child, done } = startSpx(['run', 'pipeline.yaml', 'talk.md'], { cwd: trial.dir, env: { SPX_TEST_LEDGER: trial.ledger } });
          const delay = 200 + Math.floor(Math.random() * 1600);
          const timer = setTimeout(() => child.kill('SIGKILL'), delay);
          const result = await done;
          clearTimeout(timer);
          const repeated = (await ledgerLines(trial)).slice(ledgerBefore).map(workOf).filter((w) => before.has(w));
          expect(repeated, `trial ${i}: saved work ran again`).to.deep.equal([]);
          if (result.signal === 'SIGKILL') kills++;
          else {
            expect(result.code, `trial ${i}: ${result.stderr}`).to.equal(0);
            break;
          }
        }
        const before = await savedWork(trial);
        const ledgerBefore = (await ledgerLines(trial)).length;
        const final = await run(trial);
        expect(final.code, final.stderr).to.equal(0);
        const repeated = (await ledgerLines(trial)).slice(ledgerBefore).map(workOf).filter((w) => before.has(w));
        expect(repeated, `trial ${i}: saved work ran again`).to.deep.equal([]);
        expect(await readFile(join(trial.dir, 'talk.txt'), 'utf8'), `trial ${i}`).to.equal(reference);
        return kills;
      } finally {
        await rm(trial.dir, { recursive: true, force: true });
      }
    });
    const killed = outcomes.reduce((a, b) => a + b, 0);
    expect(killed, 'some trials were actually killed mid-run').to.be.greaterThan(TRIALS / 2);
  });
});
