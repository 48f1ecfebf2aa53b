// The bad-input matrix through the CLI (cases in test/support/bad-inputs.ts): exit code, a
// one-line message naming the problem, no stack trace, and no completed work lost. Every case
// runs; a case may be skipped only when its own skip() names what this machine lacks (a tmpfs
// mount needs root), and each skip is listed. bench/fault-report.ts prints the whole table.
import { expect } from 'chai';
import { mapPool } from '@spx/core';
import { BAD_CASES, runCase } from '../support/bad-inputs.js';

describe(`fault: bad-input matrix (${BAD_CASES.length} cases)`, function () {
  // About 2–3 min on 2 idle cores; the limit leaves room for a machine shared with other work.
  this.timeout(1_800_000);

  it('has at least 50 cases across flags, YAML, audio, stores, imports and disk', () => {
    expect(BAD_CASES.length).to.be.greaterThanOrEqual(50);
    expect(new Set(BAD_CASES.map((c) => c.group))).to.include.keys('cli', 'pipeline', 'audio', 'store', 'import', 'disk', 'env');
    expect(new Set(BAD_CASES.map((c) => c.id)).size, 'case ids are unique').to.equal(BAD_CASES.length);
  });

  it('each case exits with its code and a one-line message naming the problem, no stack, no lost work', async () => {
    const reports = await mapPool(BAD_CASES, 2, (c) => runCase(c));
    const failing = reports.filter((r) => r.problems.length > 0).map((r) => `${r.id}: ${r.problems.join('; ')}`);
    expect(failing).to.deep.equal([]);
    const skipped = reports.filter((r) => r.skipped);
    for (const r of skipped) console.log(`      skipped ${r.id}: ${r.skipped}`);
    // Only cases whose skip() named a missing capability may be skipped; everything else ran.
    const allowed = new Set(BAD_CASES.filter((c) => c.skip?.()).map((c) => c.id));
    expect(skipped.map((r) => r.id).filter((id) => !allowed.has(id)), 'skipped without a reason').to.deep.equal([]);
    expect(reports.length - skipped.length, 'cases run').to.equal(BAD_CASES.length - allowed.size);
  });
});
