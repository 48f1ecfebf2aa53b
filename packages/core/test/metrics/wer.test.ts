import { expect } from 'chai';
import { normalizeWords, wordErrorRate } from '../../src/metrics/wer.js';

/** Plain edit distance, for cross-checking S + D + I. */
function editDistance(a: string[], b: string[]): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

describe('metrics/wer', () => {
  it('is zero for identical text', () => {
    const r = wordErrorRate('the cat sat on the mat', 'the cat sat on the mat');
    expect(r).to.include({ wer: 0, hits: 6, substitutions: 0, deletions: 0, insertions: 0, referenceWords: 6 });
  });

  it('counts one substitution and one deletion', () => {
    const r = wordErrorRate('the cat sat on the mat', 'the cat sit on mat');
    expect(r).to.include({ substitutions: 1, deletions: 1, insertions: 0, hits: 4 });
    expect(r.wer).to.be.closeTo(2 / 6, 1e-12);
  });

  it('counts an insertion', () => {
    const r = wordErrorRate('a b c', 'a x b c');
    expect(r).to.include({ substitutions: 0, deletions: 0, insertions: 1, hits: 3, hypothesisWords: 4 });
    expect(r.wer).to.be.closeTo(1 / 3, 1e-12);
  });

  it('ignores case and punctuation but keeps inner apostrophes', () => {
    expect(normalizeWords("Hello, World! Don't stop — it's twenty-one.", { standard: false })).to.deep.equal(['hello', 'world', "don't", 'stop', "it's", 'twenty-one']);
    expect(wordErrorRate('Hello, world.', 'hello world').wer).to.equal(0);
    expect(wordErrorRate('don’t', "don't").wer).to.equal(0);
  });

  it('scores under one standard spelling: numbers, contractions, titles, hyphens, hesitations', () => {
    expect(normalizeWords("Mr. Smith didn't pay 1,000 dollars in 1990 — uh, 3.5% of the 21st-century well-known 1990s; I'm sure we'll see.")).to.deep.equal(
      ['mister', 'smith', 'did', 'not', 'pay', 'one', 'thousand', 'dollars', 'in', 'nineteen', 'ninety', 'three', 'point', 'five', 'percent', 'of', 'the', 'twenty', 'first', 'century', 'well', 'known', 'nineteen', 'nineties', 'i', 'am', 'sure', 'we', 'will', 'see'],
    );
    expect(normalizeWords('1905 2000 2007 1200 42nd 101 0 12 mrs dr')).to.deep.equal(['nineteen', 'oh', 'five', 'two', 'thousand', 'two', 'thousand', 'seven', 'twelve', 'hundred', 'forty', 'second', 'one', 'hundred', 'one', 'zero', 'twelve', 'missus', 'doctor']);
    // What an engine writes and what a reference writes count as the same words.
    expect(wordErrorRate('and mister john dashwood had ten pounds', 'and mr john dashwood had 10 pounds').wer).to.equal(0);
    expect(wordErrorRate('um this is uh me talking', 'this is me talking').wer).to.equal(0);
    expect(wordErrorRate('i did not say it', "i didn't say it").wer).to.equal(0);
    expect(wordErrorRate('a well known man', 'a well-known man').wer).to.equal(0);
    // A bare 's stays: "is", "has" and the possessive cannot be told apart.
    expect(normalizeWords("it's john's")).to.deep.equal(["it's", "john's"]);
  });

  it('handles empty sides', () => {
    expect(wordErrorRate('', '').wer).to.equal(0);
    expect(wordErrorRate('', 'a').wer).to.equal(Number.POSITIVE_INFINITY);
    expect(wordErrorRate('a b', '')).to.include({ wer: 1, deletions: 2 });
  });

  it('returns the alignment when asked', () => {
    const r = wordErrorRate('a b c d', 'a x c d e', { alignment: true });
    expect(r.alignment).to.deep.equal([
      { op: 'hit', ref: 'a', hyp: 'a' },
      { op: 'sub', ref: 'b', hyp: 'x' },
      { op: 'hit', ref: 'c', hyp: 'c' },
      { op: 'hit', ref: 'd', hyp: 'd' },
      { op: 'ins', hyp: 'e' },
    ]);
  });

  it('agrees with a plain edit distance on random word lists', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const vocab = ['a', 'b', 'c', 'd'];
    for (let trial = 0; trial < 200; trial++) {
      const a = Array.from({ length: Math.floor(rand() * 9) }, () => vocab[Math.floor(rand() * 4)]!);
      const b = Array.from({ length: Math.floor(rand() * 9) }, () => vocab[Math.floor(rand() * 4)]!);
      const r = wordErrorRate(a, b, { alignment: true });
      expect(r.substitutions + r.deletions + r.insertions).to.equal(editDistance(a, b));
      expect(r.hits + r.substitutions + r.deletions).to.equal(a.length);
      expect(r.hits + r.substitutions + r.insertions).to.equal(b.length);
      const ops = r.alignment!;
      expect(ops.filter((o) => o.op === 'sub').length).to.equal(r.substitutions);
      expect(ops.filter((o) => o.op === 'del').length).to.equal(r.deletions);
    }
  });
});
