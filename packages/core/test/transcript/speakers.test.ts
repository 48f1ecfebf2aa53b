// Speaker labels across uploads: labels of a diarizing engine are per request, so the same voice
// must be recognised where two chunks hear the same seconds, and every label ends up SPEAKER_nn
// in order of first appearance.
import { expect } from 'chai';
import { linkSpeakers, numberSpeakers, speakerLabel, type Segment, type SpeakerPiece } from '@spx/core';

const word = (start: number, end: number, speaker: string) => ({ start, end, text: 'w', speaker });

describe('linkSpeakers', () => {
  it('gives a chunk\'s label the shared label of whoever speaks with it in the overlap', () => {
    // Chunk 0 (0-20 s): "0" then "1". Chunk 1 (18-40 s) calls the same two voices the other way round.
    const pieces: SpeakerPiece[] = [
      { index: 0, start: 0, end: 20, segments: [{ start: 1, end: 10, speaker: '0' }, { start: 11, end: 20, speaker: '1' }] },
      { index: 1, start: 18, end: 40, segments: [{ start: 18, end: 25, speaker: '0' }, { start: 26, end: 35, speaker: '1' }] },
    ];
    const links = linkSpeakers(pieces);
    expect(links.get(1)!.get('0')).to.equal(links.get(0)!.get('1'));
    // Chunk 1's "1" speaks only after the overlap; chunk 0's "0" is the one voice left there.
    expect(links.get(1)!.get('1')).to.equal(links.get(0)!.get('0'));
    expect(new Set([...links.get(0)!.values(), ...links.get(1)!.values()]).size).to.equal(2);
  });

  it('gives a voice the earlier piece did not have a new shared label', () => {
    const links = linkSpeakers([
      { index: 0, start: 0, end: 20, segments: [{ start: 1, end: 19, speaker: '0' }] },
      { index: 1, start: 18, end: 40, segments: [{ start: 18, end: 25, speaker: '0' }, { start: 26, end: 35, speaker: '1' }] },
    ]);
    expect(links.get(1)!.get('0')).to.equal(links.get(0)!.get('0'));
    expect(links.get(1)!.get('1')).to.not.be.oneOf([...links.get(0)!.values()]);
  });

  it('reads word labels where the segments have none, and links across three chunks', () => {
    const pieces: SpeakerPiece[] = [
      { index: 0, start: 0, end: 10, segments: [{ start: 0, end: 10, words: [word(0, 4, 'A'), word(8, 10, 'B')] }] },
      { index: 1, start: 8, end: 20, segments: [{ start: 8, end: 20, words: [word(8, 10, 'X'), word(12, 20, 'Y')] }] },
      { index: 2, start: 18, end: 30, segments: [{ start: 18, end: 30, words: [word(18, 20, 'Q'), word(21, 30, 'R')] }] },
    ];
    const links = linkSpeakers(pieces);
    expect(links.get(1)!.get('X')).to.equal(links.get(0)!.get('B'));
    expect(links.get(2)!.get('Q')).to.equal(links.get(1)!.get('Y'));
    // Y and R speak only outside the overlaps, each the one voice left: A's and B's.
    expect(links.get(1)!.get('Y')).to.equal(links.get(0)!.get('A'));
    expect(links.get(2)!.get('R')).to.equal(links.get(0)!.get('B'));
  });

  it('links no one without an overlap or below the shared minimum, and never two labels to one', () => {
    const apart = linkSpeakers([
      { index: 0, start: 0, end: 10, segments: [{ start: 0, end: 10, speaker: '0' }] },
      { index: 1, start: 10, end: 20, segments: [{ start: 10, end: 20, speaker: '0' }] },
    ]);
    expect(apart.get(1)!.get('0')).to.not.equal(apart.get(0)!.get('0'));
    const brief = linkSpeakers([
      { index: 0, start: 0, end: 10, segments: [{ start: 0, end: 9.95, speaker: '0' }, { start: 9.95, end: 10, speaker: '1' }] },
      { index: 1, start: 9.9, end: 20, segments: [{ start: 9.9, end: 10, speaker: '0' }, { start: 10, end: 20, speaker: '1' }] },
    ]);
    expect(brief.get(1)!.get('0')).to.not.be.oneOf([...brief.get(0)!.values()]);
    // Both own labels speak with the earlier "0": only the one that shares most time takes it.
    const crowd = linkSpeakers([
      { index: 0, start: 0, end: 10, segments: [{ start: 0, end: 10, speaker: '0' }] },
      { index: 1, start: 5, end: 20, segments: [{ start: 5, end: 6, speaker: 'a' }, { start: 6, end: 10, speaker: 'b' }] },
    ]);
    expect(crowd.get(1)!.get('b')).to.equal(crowd.get(0)!.get('0'));
    expect(crowd.get(1)!.get('a')).to.not.equal(crowd.get(0)!.get('0'));
  });
});

describe('numberSpeakers', () => {
  it('renames segment and word labels SPEAKER_00… in order of first appearance, unlabelled ones untouched', () => {
    const segments: Segment[] = [
      { start: 0, end: 1, text: 'none' },
      { start: 1, end: 2, text: 'b', speaker: 'S7', words: [{ start: 1, end: 2, text: 'b', speaker: 'S7' }] },
      { start: 2, end: 3, text: 'a', speaker: 'S2' },
      { start: 3, end: 4, text: 'b again', speaker: 'S7' },
    ];
    const numbered = numberSpeakers(segments);
    expect(numbered.map((s) => s.speaker)).to.deep.equal([undefined, 'SPEAKER_00', 'SPEAKER_01', 'SPEAKER_00']);
    expect(numbered[1]!.words![0]!.speaker).to.equal('SPEAKER_00');
    expect(segments[1]!.speaker).to.equal('S7');
    expect(speakerLabel(12)).to.equal('SPEAKER_12');
  });
});
