// The public API of @spx/core, entry by entry: the names each one exports at run time must equal
// the committed snapshot (test/exports.snapshot.json). Adding or removing a public name is then a
// reviewed decision: update the snapshot in the same commit, with a reason.
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';

const ENTRIES = {
  '@spx/core': () => import('@spx/core'),
  '@spx/core/engine': () => import('@spx/core/engine'),
  '@spx/core/formats': () => import('@spx/core/formats'),
  '@spx/core/metrics': () => import('@spx/core/metrics'),
  '@spx/core/testing': () => import('@spx/core/testing'),
  '@spx/core/redact': () => import('@spx/core/redact'),
} as const;

describe('public API', () => {
  it('each entry exports exactly the names in test/exports.snapshot.json', async () => {
    const snapshot = JSON.parse(await readFile(new URL('./exports.snapshot.json', import.meta.url), 'utf8')) as Record<string, string[]>;
    const actual: Record<string, string[]> = {};
    for (const [entry, load] of Object.entries(ENTRIES)) actual[entry] = Object.keys(await load()).sort();
    expect(actual).to.deep.equal(snapshot);
  });
});
