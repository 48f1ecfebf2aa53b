// Adversarial cases: see index.ts.
import type { BadCase } from '../bad-inputs.js';

export const PAID_CASES: BadCase[] = [];
