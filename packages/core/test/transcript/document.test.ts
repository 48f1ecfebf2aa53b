// transcriptDocument, diarizationDocument: every engine's documents have their fields in one order,
// so the same content is written as the same bytes, and what is unknown is left out.
import { expect } from 'chai';
import { DIARIZATION, TRANSCRIPT, checkDocument, diarizationDocument, transcriptDocument } from '../../src/index.js';

describe('canonical documents (transcriptDocument, diarizationDocument)', () => {
  const segments = [{ start: 0, end: 1, text: 'hi' }];

  it('writes format, version, engine, model, language, timestamps, duration, segments, then the rest, in that order', () => {
    const document = transcriptDocument({ chunks: [{ index: 0, start: 0, end: 1 }], segments, duration: 1.5, timestamps: 'segment', language: 'en', model: 'm', engine: 'e' });
    expect(Object.keys(document)).to.deep.equal(['format', 'version', 'engine', 'model', 'language', 'timestamps', 'duration', 'segments', 'chunks']);
    expect(document).to.deep.include({ format: 'spx-transcript', version: 1, language: 'en', duration: 1.5 });
    expect(() => checkDocument(TRANSCRIPT, document, 'the test transcript')).to.not.throw();
  });

  it('leaves out an empty or missing model and language and a missing duration, but keeps a duration of 0', () => {
    expect(transcriptDocument({ engine: 'e', model: '', language: '', timestamps: 'word', segments })).to.not.have.any.keys('model', 'language', 'duration');
    expect(Object.keys(transcriptDocument({ engine: 'e', model: 'm', language: undefined, timestamps: 'word', duration: undefined, segments }))).to.deep.equal(['format', 'version', 'engine', 'model', 'timestamps', 'segments']);
    expect(transcriptDocument({ engine: 'e', model: 'm', timestamps: 'none', duration: 0, segments: [] })).to.have.property('duration', 0);
  });

  it('builds a Diarization in one field order, leaving out exclusive turns, names and duration when undefined', () => {
    const turns = [{ speaker: 'SPEAKER_00', start: 0, end: 1 }];
    const full = diarizationDocument({ duration: 2, names: { SPEAKER_00: 'Ann' }, speakers: ['SPEAKER_00'], exclusiveTurns: turns, turns, model: 'm', engine: 'e' });
    expect(Object.keys(full)).to.deep.equal(['format', 'version', 'engine', 'model', 'turns', 'exclusiveTurns', 'speakers', 'names', 'duration']);
    expect(() => checkDocument(DIARIZATION, full, 'the test diarization')).to.not.throw();
    const bare = diarizationDocument({ engine: 'e', model: 'm', turns: [], exclusiveTurns: undefined, speakers: [], names: undefined, duration: undefined });
    expect(bare).to.deep.equal({ format: 'spx-diarization', version: 1, engine: 'e', model: 'm', turns: [], speakers: [] });
  });
});
