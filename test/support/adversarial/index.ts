// The adversarial matrix: what a careless or hostile user, store, import file, pipeline or plugin
// can do to spx. Each case runs the CLI in a temp directory (test/support/bad-inputs.ts `runCase`)
// and must exit with its code and a one-line message naming the problem, print no stack trace,
// repeat no completed (paid) work and leave every file outside the work dir, out dir and store
// as it was (a victim directory outside the case directory is compared before and after).
// Run by test/fault/adversarial.test.ts; printed as a table by bench/fault-report.ts.
import type { BadCase } from '../bad-inputs.js';
import { DISK_CASES } from './disk.js';
import { ERROR_CASES } from './errors.js';
import { PAID_CASES } from './paid-work.js';
import { PIPELINE_CASES } from './pipeline.js';
import { SECRET_CASES } from './secrets.js';
import { SECURITY_CASES } from './security.js';

export const ADVERSARIAL_CASES: BadCase[] = [...SECURITY_CASES, ...SECRET_CASES, ...PIPELINE_CASES, ...PAID_CASES, ...ERROR_CASES, ...DISK_CASES];
