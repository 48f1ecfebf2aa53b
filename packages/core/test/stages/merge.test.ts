import { expect } from 'chai';
import { mergeTranscript } from '../../src/stages/merge.js';
import { TurnSweep, sortTurns } from '../../src/stages/sweep.js';
import { joinWords, restorePunctuation } from '../../src/stages/text.js';
import type { Diarization, Segment, SpeakerTurn, Transcript, Word } from '../../src/transcript/types.js';

const w = (text: string, start: number, end: number, extra: Partial<Word> = {}): Word => ({ text, start, end, ...extra });
const turn = (speaker: string, start: number, end: number): SpeakerTurn => ({ speaker, start, end });

function transcript(segments: Segment[], extra: Partial<Transcript> = {}): Transcript {
  return { format: 'spx-transcript', version: 1, engine: 'test', timestamps: segments.some((s) => s.words) ? 'word' : 'segment', segments, ...extra };
}
function diarization(turns: SpeakerTurn[], extra: Partial<Diarization> = {}): Diarization {
  return { format: 'spx-diarization', version: 1, engine: 'test-diar', turns, speakers: [...new Set(turns.map((t) => t.speaker))], ...extra };
}
/** Words "w0 w1 …" of 0.4 s each with 0.1 s gaps starting at `start`. */
function words(n: number, start: number, prefix = 'w'): Word[] {
  return Array.from({ length: n }, (_, i) => w(`${prefix}${i}`, start + i * 0.5, start + i * 0.5 + 0.4));
}
const noSmooth = { smoothing: false };

describe('stages/merge', () => {
  it('assigns each word, not each segment, to the turn it overlaps most', () => {
    // One segment spanning a speaker change at 2.0 s; "two" straddles it (0.3 s in A, 0.1 s in B).
    const seg: Segment = { start: 0, end: 4, text: 'one two three four', words: [w('one', 0.2, 1.2), w('two', 1.7, 2.1), w('three', 2.4, 3), w('four', 3.1, 3.8)] };
    const { merged } = mergeTranscript(transcript([seg]), diarization([turn('A', 0, 2), turn('B', 2, 4)]), noSmooth);
    expect(merged.utterances.map((u) => [u.speaker, u.text])).to.deep.equal([
      ['A', 'one two'],
      ['B', 'three four'],
    ]);
    expect(merged.source.assignment).to.equal('word');
  });

  it('gives a word outside every turn the nearest turn within the tolerance, else "unknown"', () => {
    const seg: Segment = { start: 0, end: 10, text: 'a b c', words: [w('a', 0.5, 0.9), w('b', 2.3, 2.6), w('c', 8, 8.5)] };
    const { merged, stats } = mergeTranscript(transcript([seg]), diarization([turn('A', 0, 1), turn('B', 3, 4)]), { ...noSmooth, tolerance: 1 });
    // "b" is 0.4 s before B and 1.3 s after A; "c" is 4 s from B.
    expect(merged.utterances.map((u) => [u.speaker, u.text])).to.deep.equal([
      ['A', 'a'],
      ['B', 'b'],
      ['unknown', 'c'],
    ]);
    expect(merged.speakers.find((s) => s.id === 'unknown')?.name).to.equal('Unknown');
    expect(stats.unknown).to.equal(1);
  });

  it('picks the larger overlap between overlapping turns and marks the utterance overlapped', () => {
    const seg: Segment = { start: 0, end: 6, text: 'x y z', words: [w('x', 0.5, 1), w('y', 3, 4), w('z', 5, 5.5)] };
    // B overlaps A from 3.2 s: "y" has 0.4 s of A... no: A ends 3.4 → 0.4 s; B 0.8 s.
    const d = diarization([turn('A', 0, 3.4), turn('B', 3.2, 6)]);
    const { merged, stats } = mergeTranscript(transcript([seg]), d, noSmooth);
    expect(merged.utterances.map((u) => [u.speaker, u.text, u.overlapped])).to.deep.equal([
      ['A', 'x', false],
      ['B', 'y z', true],
    ]);
    expect(merged.utterances[1]!.words[0]!.overlapped).to.equal(true);
    expect(stats.overlapped).to.equal(1);
  });

  it('prefers exclusive turns for assignment and still flags overlap from all turns', () => {
    const seg: Segment = { start: 0, end: 6, text: 'x y', words: [w('x', 0.5, 1), w('y', 3, 4)] };
    const d = diarization([turn('A', 0, 4), turn('B', 2.5, 6)], { exclusiveTurns: [turn('A', 0, 2.5), turn('B', 2.5, 6)] });
    const { merged } = mergeTranscript(transcript([seg]), d, noSmooth);
    expect(merged.utterances.map((u) => [u.speaker, u.overlapped])).to.deep.equal([
      ['A', false],
      ['B', true],
    ]);
  });

  it('starts a new utterance after a pause longer than the threshold', () => {
    const seg: Segment = { start: 0, end: 10, text: 'a b c', words: [w('a', 0, 0.5), w('b', 0.7, 1), w('c', 3, 3.5)] };
    const d = diarization([turn('A', 0, 10)]);
    expect(mergeTranscript(transcript([seg]), d, { pauseThreshold: 1.5 }).merged.utterances.map((u) => u.text)).to.deep.equal(['a b', 'c']);
    expect(mergeTranscript(transcript([seg]), d, { pauseThreshold: 3 }).merged.utterances.map((u) => u.text)).to.deep.equal(['a b c']);
  });

  it('smoothing gives a short speaker blip inside a sentence to the sentence majority', () => {
    // A sentence of 8 words by A; diarization puts one word (0.4 s) in B.
    const ws = words(8, 0);
    ws[7]!.text = 'w7.';
    const seg: Segment = { start: 0, end: 4, text: ws.map((x) => x.text).join(' '), words: ws };
    const d = diarization([turn('A', 0, 1.45), turn('B', 1.45, 1.95), turn('A', 1.95, 4)]);
    const off = mergeTranscript(transcript([seg]), d, noSmooth).merged;
    expect(off.utterances.map((u) => u.speaker)).to.deep.equal(['A', 'B', 'A']);
    const { merged: on, stats } = mergeTranscript(transcript([seg]), d, { smoothing: true });
    expect(on.utterances.map((u) => [u.speaker, u.words.length])).to.deep.equal([['A', 8]]);
    expect(stats.smoothed).to.equal(1);
  });

  it('smoothing keeps a change inside a sentence when both sides last at least minTurn', () => {
    const ws = words(10, 0); // A speaks 0–2.9 (6 words), B 3–4.9 (4 words, 1.9 s), one sentence
    const seg: Segment = { start: 0, end: 5, text: ws.map((x) => x.text).join(' '), words: ws };
    const d = diarization([turn('A', 0, 2.95), turn('B', 2.95, 5)]);
    expect(mergeTranscript(transcript([seg]), d, { smoothing: true, minTurn: 1 }).merged.utterances.map((u) => u.speaker)).to.deep.equal(['A', 'B']);
    expect(mergeTranscript(transcript([seg]), d, { smoothing: true, minTurn: 2 }).merged.utterances.map((u) => u.speaker)).to.deep.equal(['A']);
  });

  it('smoothing absorbs only short runs, so a blip next to a real change does not erase a long turn', () => {
    // One unpunctuated sentence: A 0–2.9, a 0.4 s blip of B, A again for 0.9 s, then B for 3.4 s.
    // Both changes around the last A run are "short" on one side; only the blip may be relabelled.
    const ws = words(16, 0);
    const seg: Segment = { start: 0, end: 8, text: ws.map((x) => x.text).join(' '), words: ws };
    const d = diarization([turn('A', 0, 2.95), turn('B', 2.95, 3.45), turn('A', 3.45, 4.45), turn('B', 4.45, 8)]);
    const { merged, stats } = mergeTranscript(transcript([seg]), d, { smoothing: true });
    expect(merged.utterances.map((u) => [u.speaker, u.words.length])).to.deep.equal([
      ['A', 9],
      ['B', 7],
    ]);
    expect(stats.smoothed).to.equal(1);
  });

  it('smoothing never crosses a sentence end', () => {
    const ws = [w('Yes.', 0, 0.3), w('I', 0.4, 0.5), w('agree', 0.6, 0.9), w('with', 1, 1.2), w('that.', 1.3, 1.6)];
    const seg: Segment = { start: 0, end: 2, text: 'Yes. I agree with that.', words: ws };
    const d = diarization([turn('B', 0, 0.35), turn('A', 0.35, 2)]);
    expect(mergeTranscript(transcript([seg]), d, { smoothing: true }).merged.utterances.map((u) => [u.speaker, u.text])).to.deep.equal([
      ['B', 'Yes.'],
      ['A', 'I agree with that.'],
    ]);
  });

  it('restores punctuation and casing from the segment text onto bare words', () => {
    const seg: Segment = { start: 0, end: 3, text: " Hello, world! Don't stop—now.", words: [w('Hello', 0, 0.4), w('world', 0.5, 0.9), w('Don', 1, 1.2), w("'t", 1.2, 1.3), w('stop—now', 1.4, 2)] };
    const { merged } = mergeTranscript(transcript([seg]), diarization([turn('A', 0, 3)]));
    expect(merged.utterances[0]!.text).to.equal("Hello, world! Don't stop—now.");
    expect(merged.utterances[0]!.words.map((x) => x.text)).to.deep.equal(['Hello,', 'world!', 'Don', "'t", 'stop—now.']);
  });

  it('applies names from the diarization and lets the names parameter win', () => {
    const seg: Segment = { start: 0, end: 4, text: 'a b', words: [w('a', 0, 1), w('b', 2.5, 3)] };
    const d = diarization([turn('SPEAKER_00', 0, 2), turn('SPEAKER_01', 2, 4)], { names: { SPEAKER_00: 'Anna', SPEAKER_01: 'Ben' } });
    const { merged } = mergeTranscript(transcript([seg]), d, { ...noSmooth, names: { SPEAKER_01: 'Bob' } });
    expect(merged.speakers).to.deep.equal([
      { id: 'SPEAKER_00', name: 'Anna' },
      { id: 'SPEAKER_01', name: 'Bob' },
    ]);
    expect(merged.utterances.map((u) => u.name)).to.deep.equal(['Anna', 'Bob']);
  });

  it('works per segment without word timestamps, splitting only when asked', () => {
    const segs: Segment[] = [
      { start: 0, end: 4, text: 'one two three four five six seven eight' },
      { start: 5, end: 7, text: 'nine ten' },
    ];
    const t = transcript(segs);
    const d = diarization([turn('A', 0, 1), turn('B', 1, 6), turn('A', 6, 7)]);
    const whole = mergeTranscript(t, d).merged;
    expect(whole.source.assignment).to.equal('segment');
    // First segment: B overlaps 3 s of 4; second: 1 s each, B first by tie order → B.
    expect(whole.utterances.map((u) => [u.speaker, u.text])).to.deep.equal([['B', 'one two three four five six seven eight nine ten']]);
    expect(whole.utterances[0]!.words).to.deep.equal([]);
    const split = mergeTranscript(t, d, { splitSegments: true }).merged;
    expect(split.source.assignment).to.equal('segment-split');
    expect(split.utterances.map((u) => [u.speaker, u.text])).to.deep.equal([
      ['A', 'one two'],
      ['B', 'three four five six seven eight nine'],
      ['A', 'ten'],
    ]);
  });

  it('uses speakers the transcript already carries when no turns are given', () => {
    const seg: Segment = { start: 0, end: 3, text: 'hi there', speaker: 'S1', words: [w('hi', 0, 0.5), w('there', 1, 1.5, { speaker: 'S2' })] };
    const { merged } = mergeTranscript(transcript([seg]), undefined, noSmooth);
    expect(merged.source.assignment).to.equal('transcript');
    expect(merged.utterances.map((u) => u.speaker)).to.deep.equal(['S1', 'S2']);
  });

  it('refuses a transcript without speakers when no turns are given', () => {
    const seg: Segment = { start: 0, end: 3, text: 'hi', words: [w('hi', 0, 0.5)] };
    expect(() => mergeTranscript(transcript([seg]), undefined)).to.throw().with.property('code', 'INPUT_INVALID');
  });

  it('merges an empty transcript into an empty merged transcript', () => {
    for (const d of [undefined, diarization([turn('A', 0, 3)])]) {
      const { merged } = mergeTranscript(transcript([{ start: 0, end: 3, text: '  ' }]), d);
      expect(merged.utterances).to.deep.equal([]);
      expect(merged.speakers).to.deep.equal([]);
    }
  });

  it('keeps confidences and gives utterances their mean', () => {
    const seg: Segment = { start: 0, end: 3, text: 'a b', words: [w('a', 0, 0.5, { confidence: 0.9 }), w('b', 0.6, 1, { confidence: 0.5 })] };
    const { merged } = mergeTranscript(transcript([seg], { language: 'en', duration: 3 }), diarization([turn('A', 0, 3)]));
    expect(merged.utterances[0]!.confidence).to.equal(0.7);
    expect(merged.utterances[0]!.words[1]).to.deep.equal({ text: 'b', start: 0.6, end: 1, confidence: 0.5 });
    expect(merged).to.include({ language: 'en', duration: 3 });
  });

  it('places words without times at the previous word end', () => {
    const seg: Segment = { start: 1, end: 3, text: 'a 42 b', words: [w('a', 1, 1.5), { text: '42' } as Word, w('b', 2, 2.5)] };
    const { merged } = mergeTranscript(transcript([seg]), diarization([turn('A', 0, 3)]));
    expect(merged.utterances[0]!.words[1]).to.deep.include({ text: '42', start: 1.5, end: 1.5 });
  });
});

describe('stages/sweep', () => {
  it('finds overlapping, previous and next turns in one forward pass', () => {
    const s = new TurnSweep(sortTurns([turn('B', 5, 6), turn('A', 0, 10), turn('C', 12, 13)]));
    expect(s.query(1, 2).overlapping.map((t) => t.speaker)).to.deep.equal(['A']);
    const q = s.query(5.5, 5.8);
    expect(q.overlapping.map((t) => t.speaker)).to.deep.equal(['A', 'B']);
    const gap = s.query(10.5, 11);
    expect(gap.overlapping).to.deep.equal([]);
    expect(gap.before?.speaker).to.equal('A');
    expect(gap.after?.speaker).to.equal('C');
    expect(() => s.query(1, 2)).to.throw(/back in time/);
  });

  it('drops invalid turns when sorting', () => {
    expect(sortTurns([turn('A', 2, 1), turn('B', Number.NaN, 1), turn('C', 0, 1)]).map((t) => t.speaker)).to.deep.equal(['C']);
  });
});

describe('stages/text', () => {
  it('does not repeat punctuation given both as its own word and in the segment text', () => {
    expect(restorePunctuation('Up 10% (roughly).', ['Up', '10', '%', '(', 'roughly', ')', '.'])).to.deep.equal(['Up', '10%', '', '', '(roughly).', '', '']);
    expect(joinWords(restorePunctuation('Up 10% (roughly).', ['Up', '10', '%', '(', 'roughly', ')', '.']))).to.equal('Up 10% (roughly).');
  });

  it('leaves words that match no token alone and resyncs after them', () => {
    expect(restorePunctuation('Hello, big world.', ['hello', 'bigg', 'world'])).to.deep.equal(['Hello,', 'bigg', 'world.']);
  });

  it('joins words with spaces except before closing punctuation and in unspaced languages', () => {
    expect(joinWords(['Hello', ',', 'world', "'s", 'end'])).to.equal("Hello, world's end");
    expect(joinWords(['你好', '世界'], 'zh')).to.equal('你好世界');
  });
});
