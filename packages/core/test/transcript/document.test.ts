// transcriptDocument: every engine's Transcript has its fields in one order, so the same content
// is written as the same bytes, and an empty language or an unknown duration is left out.
import { expect } from 'chai';
import { TRANSCRIPT, checkDocument, transcriptDocument } from '../../src/index.js';

describe('transcriptDocument', () => {
  const segments = [{ start: 0, end: 1, text: 'hi' }];

  it('writes format, version, engine, model, language, timestamps, duration, segments, then the rest, in that order', () => {
    const document = transcriptDocument({ chunks: [{ index: 0, start: 0, end: 1 }], segments, duration: 1.5, timestamps: 'segment', language: 'en', model: 'm', engine: 'e' });
    expect(Object.keys(document)).to.deep.equal(['format', 'version', 'engine', 'model', 'language', 'timestamps', 'duration', 'segments', 'chunks']);
    expect(document).to.deep.include({ format: 'spx-transcript', version: 1, language: 'en', duration: 1.5 });
    expect(() => checkDocument(TRANSCRIPT, document, 'the test transcript')).to.not.throw();
  });

  it('leaves out an empty or missing language and a missing duration, but keeps a duration of 0', () => {
    expect(transcriptDocument({ engine: 'e', model: 'm', language: '', timestamps: 'word', segments })).to.not.have.any.keys('language', 'duration');
    expect(Object.keys(transcriptDocument({ engine: 'e', model: 'm', language: undefined, timestamps: 'word', duration: undefined, segments }))).to.deep.equal(['format', 'version', 'engine', 'model', 'timestamps', 'segments']);
    expect(transcriptDocument({ engine: 'e', model: 'm', timestamps: 'none', duration: 0, segments: [] })).to.have.property('duration', 0);
  });
});
