// The one RTTM writer: ten fields a line whatever the labels hold, and what it writes reads back
// (parseRttm) as the same turns, scored DER 0 against the originals.
import { expect } from 'chai';
import { parseRttm, rttmField, writeRttm } from '../../src/formats/rttm.js';
import { diarizationErrorRate } from '../../src/metrics/der.js';
import { toRttm } from '../../src/stages/export/formats.js';
import type { MergedTranscript } from '../../src/stages/merged.js';

const turns = [
  { speaker: 'Anna Smith', start: 0, end: 2.5 },
  { speaker: 'Bob\tJones', start: 2.75, end: 4.125 },
  { speaker: '', start: 4.5, end: 6 },
  { speaker: 'Anna Smith', start: 6.2, end: 9.8765 },
  { speaker: 'C\u00a0D\nE', start: 10, end: 10.5 },
];

describe('RTTM', () => {
  it('writes ten white-space-free fields per turn, whatever the labels and file id hold', () => {
    const text = writeRttm(turns, 'board meeting 2024');
    const lines = text.split('\n');
    expect(lines.pop()).to.equal('');
    expect(lines).to.have.length(turns.length);
    for (const line of lines) expect(line.split(' ')).to.have.length(10);
    expect(lines[0]).to.equal('SPEAKER board_meeting_2024 1 0.000 2.500 <NA> <NA> Anna_Smith <NA> <NA>');
    expect(lines[1]).to.contain(' Bob_Jones ');
    expect(lines[2]).to.contain(' <NA> <NA> _ <NA> <NA>');
    expect(lines[4]).to.contain(' C_D_E ');
    expect(rttmField('   ')).to.equal('_');
  });

  it('reads back as the same turns: DER 0 against the originals, times to the millisecond', () => {
    const back = parseRttm(writeRttm(turns, 'meeting'), { file: 'meeting' });
    expect(back.map((t) => t.speaker)).to.deep.equal(['Anna_Smith', 'Bob_Jones', '_', 'Anna_Smith', 'C_D_E']);
    back.forEach((t, i) => {
      expect(t.start).to.be.closeTo(turns[i]!.start, 0.0005);
      expect(t.end).to.be.closeTo(turns[i]!.end, 0.001);
    });
    const score = diarizationErrorRate(turns, back, { collar: 0 });
    expect(score.der).to.be.below(1e-3);
    expect(score.confusion).to.be.below(1e-3);
  });

  it('never writes a negative onset or duration', () => {
    expect(writeRttm([{ speaker: 'A', start: -0.2, end: 1 }, { speaker: 'A', start: 3, end: 2 }], 'x')).to.equal(
      'SPEAKER x 1 0.000 1.200 <NA> <NA> A <NA> <NA>\nSPEAKER x 1 3.000 0.000 <NA> <NA> A <NA> <NA>\n',
    );
  });

  it('is what core/export writes for the rttm format', () => {
    const merged = { utterances: turns.map((t) => ({ ...t, name: t.speaker, text: 'x', words: [] })) } as unknown as MergedTranscript;
    expect(toRttm(merged, { title: 'board meeting' })).to.equal(writeRttm(turns, 'board meeting'));
    expect(toRttm({ utterances: [] } as unknown as MergedTranscript)).to.equal('');
  });
});
