import { expect } from 'chai';
// Joining per-upload results into one transcript: offsets, overlaps heard twice, speakers per upload.
import { pieceResult, shiftSegments, stitch, type PieceResult } from '@spx/core';

const word = (text: string, start: number, end: number) => ({ text, start, end });

describe('stitch', () => {
  it('shifts upload times by the chunk offset and clamps them to the chunk', () => {
    const [segment] = shiftSegments([{ start: 0.5, end: 9, text: 'a b', words: [word('a', 0.5, 1), word('b', 1.2, 9)] }], 10, 15);
    expect(segment).to.deep.include({ start: 10.5, end: 15 });
    expect(segment!.words!.map((w) => [w.start, w.end])).to.deep.equal([[10.5, 11], [11.2, 15]]);
  });

  it('stores an upload as its provenance and the answer shifted to its span, nothing else of the upload', () => {
    const upload = { index: 2, start: 30, end: 40, sha256: 'c', bytes: 7, path: '/tmp/chunk-2.wav', clip: { start: 31, end: 39 } };
    const answer = { text: 'a b', segments: [{ start: 1, end: 12, text: 'a b', words: [word('a', 1, 2), word('b', 2.5, 12)] }] };
    expect(pieceResult(upload, answer)).to.deep.equal({
      index: 2,
      start: 30,
      end: 40,
      sha256: 'c',
      bytes: 7,
      text: 'a b',
      segments: [{ start: 31, end: 40, text: 'a b', words: [word('a', 31, 32), word('b', 32.5, 40)] }],
    });
    const turn = pieceResult({ ...upload, speaker: 'SPEAKER_01' }, { ...answer, language: 'de', segments: [] });
    expect(turn).to.deep.include({ language: 'de', speaker: 'SPEAKER_01', segments: [] });
    expect(pieceResult(upload, { ...answer, language: '' })).to.not.have.property('language');
  });

  it('keeps each word of an overlap once, split at the overlap midpoint', () => {
    // Chunks [0,10] and [9,20] share [9,10]; midpoint 9.5.
    const a: PieceResult = { index: 0, start: 0, end: 10, sha256: 'a', bytes: 1, text: 'one two three', segments: [{ start: 8, end: 10, text: 'one two three', words: [word('one', 8, 8.8), word('two', 9.0, 9.3), word('three', 9.6, 9.9)] }] };
    const b: PieceResult = { index: 1, start: 9, end: 20, sha256: 'b', bytes: 1, text: 'two three four', segments: [{ start: 9.05, end: 11, text: 'two three four', words: [word('two', 9.05, 9.35), word('three', 9.55, 9.95), word('four', 10.2, 10.8)] }] };
    const t = stitch([b, a], { engine: 'openai', model: 'whisper-1', timestamps: 'word', mode: 'chunks' });
    expect(t.segments.flatMap((s) => s.words!.map((w) => w.text))).to.deep.equal(['one', 'two', 'three', 'four']);
    expect(t.segments.map((s) => [s.chunk, s.text])).to.deep.equal([[0, 'one two'], [1, 'three four']]);
    expect(t.chunks!.map((c) => c.index)).to.deep.equal([0, 1]);
  });

  it('never lets a word start before the previous one ends across a chunk boundary', () => {
    const a: PieceResult = { index: 0, start: 0, end: 10, sha256: 'a', bytes: 1, text: 'x', segments: [{ start: 9, end: 9.6, text: 'x', words: [word('x', 9.0, 9.6)] }] };
    const b: PieceResult = { index: 1, start: 9, end: 20, sha256: 'b', bytes: 1, text: 'y', segments: [{ start: 9.4, end: 10, text: 'y', words: [word('y', 9.4, 10)] }] };
    const all = stitch([a, b], { engine: 'openai', model: 'whisper-1', timestamps: 'word', mode: 'chunks' }).segments.flatMap((s) => s.words!);
    expect(all.map((w) => [w.text, w.start, w.end])).to.deep.equal([['x', 9, 9.6], ['y', 9.6, 10]]);
  });

  it('gives text-only chunks one segment per chunk and prefixes per-chunk speaker labels', () => {
    const t = stitch(
      [
        { index: 0, start: 0, end: 5, sha256: 'a', bytes: 1, text: 'hello', segments: [] },
        { index: 1, start: 5, end: 9, sha256: 'b', bytes: 1, text: 'hi', segments: [{ start: 5, end: 6, text: 'hi', speaker: 'A' }] },
      ],
      { engine: 'openai', model: 'm', timestamps: 'none', mode: 'chunks' },
    );
    expect(t.segments.map((s) => [s.start, s.end, s.text, s.speaker])).to.deep.equal([[0, 5, 'hello', undefined], [5, 6, 'hi', 'c1-A']]);
  });

  it('links per-upload speaker labels through the overlap and numbers them SPEAKER_00… in order of appearance', () => {
    // Chunk 1 calls chunk 0's second voice "0": both hear it in the shared [18, 20]; its "1" is
    // then the one voice left, chunk 0's "1".
    const speaking = (speaker: string, start: number, end: number) => ({ start, end, text: speaker, speaker, words: [{ text: speaker, start, end, speaker }] });
    const a: PieceResult = { index: 0, start: 0, end: 20, sha256: 'a', bytes: 1, text: '', segments: [speaking('1', 1, 9), speaking('0', 11, 19.5)] };
    const b: PieceResult = { index: 1, start: 18, end: 40, sha256: 'b', bytes: 1, text: '', segments: [speaking('0', 18.2, 19.5), speaking('1', 21, 30), speaking('0', 31, 39)] };
    const linked = stitch([a, b], { engine: 'e', model: 'm', timestamps: 'word', mode: 'chunks', speakers: 'link' });
    expect(linked.segments.map((s) => [s.start, s.speaker])).to.deep.equal([[1, 'SPEAKER_00'], [11, 'SPEAKER_01'], [21, 'SPEAKER_00'], [31, 'SPEAKER_01']]);
    expect(linked.segments.flatMap((s) => s.words!.map((w) => w.speaker))).to.deep.equal(['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_00', 'SPEAKER_01']);
    const prefixed = stitch([a, b], { engine: 'e', model: 'm', timestamps: 'word', mode: 'chunks' });
    expect(prefixed.segments.map((s) => s.speaker)).to.deep.equal(['c0-1', 'c0-0', 'c1-1', 'c1-0']);
  });
});
