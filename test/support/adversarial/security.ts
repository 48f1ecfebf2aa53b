// Adversarial cases: see index.ts.
import type { BadCase } from '../bad-inputs.js';

export const SECURITY_CASES: BadCase[] = [];
