// The bad-input matrix through the CLI (cases in test/support/bad-inputs.ts): exit code, a
// one-line message naming the problem, no stack trace, and no completed work lost. By default a
// quick set of 19 runs (the CLI's own tests cover more YAML); SPX_FAULT_FULL=1 runs all of them,
// and bench/fault-report.ts prints the whole table.
import { expect } from 'chai';
import { mapPool } from '@spx/core';
import { BAD_CASES, canMount, runCase } from '../support/bad-inputs.js';

const full = Boolean(process.env.SPX_FAULT_FULL);
// The quick set: a few of each kind, including a full disk after a partial run.
const QUICK = new Set([
  'cli: no arguments',
  'cli: --concurrency 0',
  'cli: --set unknown param',
  'cli: input glob matches nothing',
  'yaml: syntax error',
  'yaml: unknown plugin package',
  'yaml: unknown stage id',
  'yaml: cycle through needs',
  'yaml: wrong param type',
  'audio: empty file',
  'audio: corrupt WAV',
  'audio: a directory',
  'store: corrupt SQLite file',
  'store: unreachable Redis',
  'store: read-only directory',
  'import: invalid JSON',
  'import: state points at missing artifacts',
  'env: API key missing',
  'disk: ENOSPC on a full 1 MiB tmpfs work dir',
]);
const CASES = full ? BAD_CASES : BAD_CASES.filter((c) => QUICK.has(c.id) || (c.id.startsWith('disk: ENOSPC writing') && !canMount()));

describe(`fault: bad-input matrix (${CASES.length} of ${BAD_CASES.length} cases)`, function () {
  this.timeout(300_000);

  it('has at least 40 cases across flags, YAML, audio, stores, imports and disk', () => {
    expect(BAD_CASES.length).to.be.greaterThanOrEqual(40);
    expect(new Set(BAD_CASES.map((c) => c.group))).to.have.keys('cli', 'pipeline', 'audio', 'store', 'import', 'disk', 'env');
    expect(new Set(BAD_CASES.map((c) => c.id)).size, 'case ids are unique').to.equal(BAD_CASES.length);
    expect([...QUICK].filter((id) => !BAD_CASES.some((c) => c.id === id)), 'quick ids name cases').to.deep.equal([]);
  });

  it('each case exits with its code and a one-line message naming the problem, no stack, no lost work', async () => {
    const reports = await mapPool(CASES, 2, (c) => runCase(c));
    const failing = reports.filter((r) => r.problems.length > 0).map((r) => `${r.id}: ${r.problems.join('; ')}`);
    expect(failing).to.deep.equal([]);
    const ran = reports.filter((r) => !r.skipped);
    expect(ran.length, 'cases actually run').to.be.greaterThan(CASES.length / 2);
  });
});
