import { expect } from 'chai';
import { diarizationErrorRate } from '../../src/metrics/der.js';
import { maxWeightAssignment } from '../../src/metrics/hungarian.js';
import { parseRttm } from '../../src/formats/rttm.js';

const t = (speaker: string, start: number, end: number) => ({ speaker, start, end });

function bestByExhaustion(w: number[][]): number {
  const rows = w.length;
  const cols = w[0]!.length;
  let best = 0;
  const used = new Array<boolean>(cols).fill(false);
  const go = (r: number, sum: number) => {
    if (r === rows) {
      best = Math.max(best, sum);
      return;
    }
    go(r + 1, sum); // row left unassigned
    for (let c = 0; c < cols; c++) {
      if (used[c]) continue;
      used[c] = true;
      go(r + 1, sum + w[r]![c]!);
      used[c] = false;
    }
  };
  go(0, 0);
  return best;
}

describe('metrics/hungarian', () => {
  it('finds the maximum-weight assignment of square and rectangular matrices', () => {
    let seed = 3;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (const [rows, cols] of [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5], [3, 5], [5, 3], [2, 6]] as const) {
      for (let trial = 0; trial < 20; trial++) {
        const w = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(rand() * 100)));
        const assignment = maxWeightAssignment(w);
        const cols_ = assignment.filter((c) => c >= 0);
        expect(new Set(cols_).size).to.equal(cols_.length);
        const sum = assignment.reduce((s, c, r) => s + (c >= 0 ? w[r]![c]! : 0), 0);
        expect(sum).to.equal(bestByExhaustion(w));
      }
    }
  });
});

describe('metrics/der', () => {
  it('is zero for the same turns under other labels', () => {
    const ref = [t('A', 0, 5), t('B', 5, 9), t('A', 9, 12)];
    const hyp = [t('x', 0, 5), t('y', 5, 9), t('x', 9, 12)];
    const r = diarizationErrorRate(ref, hyp);
    expect(r.der).to.equal(0);
    expect(r.mapping).to.deep.equal({ x: 'A', y: 'B' });
  });

  it('counts confusion with the 0.25 s collar removed around reference boundaries', () => {
    const r = diarizationErrorRate([t('A', 0, 10), t('B', 10, 20)], [t('x', 0, 20)]);
    // Scored: 0.25–9.75 and 10.25–19.75 (9.5 s each); x maps to one speaker.
    expect(r.total).to.be.closeTo(19, 1e-9);
    expect(r.confusion).to.be.closeTo(9.5, 1e-9);
    expect(r.missed).to.equal(0);
    expect(r.falseAlarm).to.equal(0);
    expect(r.der).to.be.closeTo(0.5, 1e-9);
  });

  it('counts missed speech and false alarms', () => {
    const missed = diarizationErrorRate([t('A', 0, 10)], [t('x', 0, 8)], { collar: 0 });
    expect(missed).to.include({ missed: 2, falseAlarm: 0, confusion: 0, total: 10 });
    expect(missed.der).to.be.closeTo(0.2, 1e-12);
    const fa = diarizationErrorRate([t('A', 0, 10)], [t('x', 0, 10), t('y', 20, 25)], { collar: 0 });
    expect(fa).to.include({ falseAlarm: 5, missed: 0, confusion: 0 });
    expect(fa.der).to.be.closeTo(0.5, 1e-12);
    expect(diarizationErrorRate([t('A', 0, 10)], [], { collar: 0 }).der).to.equal(1);
  });

  it('scores overlapping reference speech per speaker', () => {
    const r = diarizationErrorRate([t('A', 0, 10), t('B', 5, 10)], [t('x', 0, 10)], { collar: 0 });
    expect(r.total).to.equal(15);
    expect(r.missed).to.equal(5);
    expect(r.confusion).to.equal(0);
    const skipped = diarizationErrorRate([t('A', 0, 10), t('B', 5, 10)], [t('x', 0, 10)], { collar: 0, skipOverlap: true });
    expect(skipped.total).to.equal(5);
    expect(skipped.der).to.equal(0);
  });

  it('maps speakers one to one, optimally', () => {
    // y overlaps A for 6 s and B for 4 s; x overlaps A for 4 s. Greedy x→A would lose.
    const ref = [t('A', 0, 10), t('B', 10, 14)];
    const hyp = [t('x', 0, 4), t('y', 4, 14)];
    const r = diarizationErrorRate(ref, hyp, { collar: 0 });
    expect(r.mapping).to.deep.equal({ x: 'A', y: 'B' });
    expect(r.confusion).to.equal(6);
  });

  it('evaluates only inside the UEM', () => {
    const r = diarizationErrorRate([t('A', 0, 10)], [t('x', 0, 5)], { collar: 0, uem: { start: 0, end: 5 } });
    expect(r.total).to.equal(5);
    expect(r.der).to.equal(0);
  });

  it('parses RTTM speaker lines', () => {
    const turns = parseRttm('SPEAKER meeting 1 0.500 3.963 <NA> <NA> A <NA> <NA>\n;; comment\nSPEAKER meeting 1 5.062 4.981 <NA> <NA> B <NA> <NA>\n');
    expect(turns).to.have.length(2);
    expect(turns[0]).to.deep.include({ speaker: 'A', start: 0.5 });
    expect(turns[1]!.end).to.be.closeTo(10.043, 1e-9);
    expect(() => parseRttm('SPEAKER x 1 abc 1 <NA> <NA> A')).to.throw(/bad onset/);
  });
});
