// The adversarial matrix through the CLI (cases in test/support/adversarial/): exit code, a one-line
// message naming the problem, no stack trace, no completed work repeated and no file touched
// outside the work dir, out dir and store.
import { expect } from 'chai';
import { mapPool } from '@spx/core';
import { runCase } from '../support/bad-inputs.js';
import { ADVERSARIAL_CASES } from '../support/adversarial/index.js';

describe(`fault: adversarial matrix (${ADVERSARIAL_CASES.length} cases)`, function () {
  // About 2–3 min on 2 idle cores; the limit leaves room for a machine shared with other work.
  this.timeout(1_800_000);

  it('case ids are unique', () => {
    expect(new Set(ADVERSARIAL_CASES.map((c) => c.id)).size).to.equal(ADVERSARIAL_CASES.length);
  });

  it('each case exits with its code and a one-line message, no stack, no work repeated, nothing outside touched', async () => {
    const reports = await mapPool(ADVERSARIAL_CASES, 2, (c) => runCase(c));
    const failing = reports.filter((r) => r.problems.length > 0).map((r) => `${r.id}: ${r.problems.join('; ')}`);
    expect(failing).to.deep.equal([]);
  });
});
