import { expect } from 'chai';
import type { Diarization } from '@spx/core';
import { groupTurns } from '../src/turns.js';

const diarization = (turns: Diarization['turns'], exclusiveTurns?: Diarization['turns']): Diarization => ({ format: 'spx-diarization', version: 1, engine: 't', speakers: [], turns, ...(exclusiveTurns ? { exclusiveTurns } : {}) });
const options = { maxGap: 1, minTurn: 1, maxDuration: 30, padding: 0.2, duration: 60 };

describe('turns', () => {
  it('joins consecutive turns of one speaker and pads the cut inside the audio', () => {
    const groups = groupTurns(diarization([{ speaker: 'A', start: 0, end: 4 }, { speaker: 'A', start: 4.5, end: 8 }, { speaker: 'B', start: 9, end: 12 }]), options);
    expect(groups.map((g) => [g.index, g.speaker, g.start, g.end, g.cutStart, g.cutEnd, g.turns])).to.deep.equal([
      [0, 'A', 0, 8, 0, 8.2, 2],
      [1, 'B', 9, 12, 8.8, 12.2, 1],
    ]);
  });

  it('folds a very short turn into the nearer neighbour, keeping its speaker', () => {
    const groups = groupTurns(diarization([{ speaker: 'A', start: 0, end: 4 }, { speaker: 'B', start: 4.2, end: 4.6 }, { speaker: 'A', start: 5.5, end: 9 }]), options);
    expect(groups.map((g) => [g.speaker, g.start, g.end])).to.deep.equal([['A', 0, 4.6], ['A', 5.5, 9]]);
  });

  it('splits a long monologue at maxDuration and prefers exclusive turns', () => {
    const long = groupTurns(diarization([{ speaker: 'A', start: 0, end: 20 }, { speaker: 'A', start: 20.5, end: 40 }]), options);
    expect(long).to.have.length(2);
    const monologue = groupTurns(diarization([{ speaker: 'A', start: 0, end: 75 }]), { ...options, duration: 80 });
    expect(monologue.map((g) => [g.start, g.end])).to.deep.equal([[0, 25], [25, 50], [50, 75]]);
    const exclusive = groupTurns(diarization([{ speaker: 'A', start: 0, end: 10 }, { speaker: 'B', start: 5, end: 12 }], [{ speaker: 'A', start: 0, end: 6 }, { speaker: 'B', start: 6, end: 12 }]), options);
    expect(exclusive.map((g) => [g.speaker, g.start, g.end])).to.deep.equal([['A', 0, 6], ['B', 6, 12]]);
  });
});
