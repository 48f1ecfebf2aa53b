// The bad-input matrix through the CLI (cases in test/support/bad-inputs.ts): exit code, a
// one-line message naming the problem, no stack trace, and no completed work lost. By default
// every third CLI-flag and pipeline-YAML case runs (the CLI's own tests cover more YAML) plus
// every audio, store, import, environment and disk case; SPX_FAULT_FULL=1 runs all of them.
// bench/fault-report.ts prints the whole table.
import { expect } from 'chai';
import { mapPool } from '@spx/core';
import { BAD_CASES, runCase } from '../support/bad-inputs.js';

const full = Boolean(process.env.SPX_FAULT_FULL);
let shown = 0;
const CASES = full ? BAD_CASES : BAD_CASES.filter((c) => (c.group !== 'cli' && c.group !== 'pipeline') || shown++ % 3 === 0);

describe(`fault: bad-input matrix (${CASES.length} of ${BAD_CASES.length} cases)`, function () {
  this.timeout(300_000);

  it('has at least 40 cases across flags, YAML, audio, stores, imports and disk', () => {
    expect(BAD_CASES.length).to.be.greaterThanOrEqual(40);
    expect(new Set(BAD_CASES.map((c) => c.group))).to.have.keys('cli', 'pipeline', 'audio', 'store', 'import', 'disk', 'env');
    expect(new Set(BAD_CASES.map((c) => c.id)).size, 'case ids are unique').to.equal(BAD_CASES.length);
  });

  it('each case exits with its code and a one-line message naming the problem, no stack, no lost work', async () => {
    const reports = await mapPool(CASES, 2, (c) => runCase(c));
    const failing = reports.filter((r) => r.problems.length > 0).map((r) => `${r.id}: ${r.problems.join('; ')}`);
    expect(failing).to.deep.equal([]);
    const ran = reports.filter((r) => !r.skipped);
    expect(ran.length, 'cases actually run').to.be.greaterThan(CASES.length / 2);
  });
});
