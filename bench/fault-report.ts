// Prints the bad-input matrix as a table: case, exit code, first line of the message, and any
// problem (wrong exit code, a message that does not name the problem, a stack trace, or
// completed work lost, a file touched outside the work dir). Run:
//   node --import tsx bench/fault-report.ts [--matrix bad|adversarial|all] [--parallel 2] [--markdown]
import { mapPool } from '@spx/core';
import { BAD_CASES, runCase } from '../test/support/bad-inputs.js';
import { ADVERSARIAL_CASES } from '../test/support/adversarial/index.js';

const i = process.argv.indexOf('--parallel');
const parallel = i >= 0 ? Number(process.argv[i + 1]) : 2;
const markdown = process.argv.includes('--markdown');
const m = process.argv.indexOf('--matrix');
const matrix = m >= 0 ? process.argv[m + 1] : 'all';
const CASES = matrix === 'bad' ? BAD_CASES : matrix === 'adversarial' ? ADVERSARIAL_CASES : [...BAD_CASES, ...ADVERSARIAL_CASES];
const started = Date.now();
const reports = await mapPool(CASES, parallel, (c) => runCase(c));
// Case directories are temporary: show them as <dir>.
const clip = (text: string, n: number) => {
  const s = text.replace(/\/[^\s"']*\/spx-bad-[A-Za-z0-9]+/g, '<dir>').replace(/\/[^\s"']*\/spx-victim-[A-Za-z0-9]+/g, '<victim>');
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
};

if (markdown) {
  console.log('| case | exit | first line of the message | check |');
  console.log('| --- | --- | --- | --- |');
  for (const r of reports) console.log(`| ${r.id} | ${r.skipped ? '—' : r.code} | ${r.skipped ? `skipped: ${r.skipped}` : `\`${clip(r.firstLine, 150).replace(/\|/g, '\\|').replace(/`/g, "'")}\``} | ${r.skipped ? 'skip' : r.problems.length === 0 ? 'ok' : r.problems.join('; ')}${r.note ? ` (${r.note})` : ''} |`);
} else {
  for (const r of reports) {
    console.log(`${r.problems.length === 0 ? (r.skipped ? 'SKIP' : ' ok ') : 'FAIL'}  ${r.id.padEnd(48)} ${String(r.skipped ? '-' : r.code).padStart(3)}  ${r.skipped ? `skipped: ${r.skipped}` : clip(r.firstLine, 140)}`);
    for (const p of r.problems) console.log(`        ! ${p}`);
    if (r.note) console.log(`        (${r.note})`);
  }
}
const failed = reports.filter((r) => r.problems.length > 0).length;
const skipped = reports.filter((r) => r.skipped).length;
console.log(`\n${reports.length} cases: ${reports.length - failed - skipped} ok, ${failed} failing, ${skipped} skipped (${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exitCode = failed > 0 ? 1 : 0;
