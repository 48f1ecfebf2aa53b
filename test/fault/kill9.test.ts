// Kill -9 at random moments, rerun, and check that the final output is byte-identical to an
// uninterrupted run and that no stage or paid sub-step whose checkpoint was saved ever ran again.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { mapPool } from '@spx/core';
import { textPipeline } from '../../packages/core/test/helpers.js';
import { spx } from '../support/cli.js';
import { PAUSE_STALE_MS, TEXT_DOC, textKillTrial } from '../support/text-kill.js';

const TRIALS = Number(process.env.SPX_KILL_TRIALS ?? 20);
const PAUSE_TRIALS = Number(process.env.SPX_PAUSE_TRIALS ?? 6);

describe('fault: kill -9 at random moments', function () {
  this.timeout(240_000);
  let reference: string;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spx-kill-ref-'));
    try {
      await writeFile(join(dir, 'pipeline.yaml'), textPipeline({ delayMs: 80, steps: 6 }));
      await writeFile(join(dir, 'talk.md'), TEXT_DOC);
      const result = await spx(['run', 'pipeline.yaml', 'talk.md'], { cwd: dir });
      expect(result.code, result.stderr).to.equal(0);
      reference = await readFile(join(dir, 'talk.txt'), 'utf8');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(`resumes to byte-identical output without repeating saved work (${TRIALS} trials)`, async () => {
    const trials = await mapPool(Array.from({ length: TRIALS }, (_, i) => i), 2, () => textKillTrial({ maxKills: 2 }));
    trials.forEach((trial, i) => {
      expect(trial.failures, `trial ${i}`).to.deep.equal([]);
      expect(trial.repeated, `trial ${i}: saved work ran again`).to.deep.equal([]);
      expect(trial.output, `trial ${i}`).to.equal(reference);
    });
    const killed = trials.reduce((sum, t) => sum + t.kills, 0);
    expect(killed, 'some trials were actually killed mid-run').to.be.greaterThan(TRIALS / 2);
  });

  it(`also with pauses longer than the stale timeout and a second run meanwhile (${PAUSE_TRIALS} trials)`, async () => {
    const trials = await mapPool(Array.from({ length: PAUSE_TRIALS }, (_, i) => i), 2, () => textKillTrial({ maxKills: 2, pauseMs: PAUSE_STALE_MS * 3 }));
    trials.forEach((trial, i) => {
      expect(trial.failures, `trial ${i}`).to.deep.equal([]);
      expect(trial.repeated, `trial ${i}: saved work ran again`).to.deep.equal([]);
      expect(trial.output, `trial ${i}`).to.equal(reference);
    });
    expect(trials.reduce((sum, t) => sum + t.pauses, 0), 'some runs were actually paused mid-run').to.be.greaterThan(PAUSE_TRIALS / 2);
  });
});
