// Sentence smoothing measured by DER on the shipped sample (samples/meeting.wav).
// fixtures/meeting.pocketsphinx.json holds the words and times pocketsphinx_continuous
// (Debian pocketsphinx-en-us) gave for that file, so the word timing is a real ASR's.
// Speaker turns: the reference RTTM, and the reference with diarization-like errors.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { diarizationErrorRate } from '../../src/metrics/der.js';
import { parseRttm } from '../../src/formats/rttm.js';
import { mergeTranscript } from '../../src/stages/merge.js';
import { mergedToTurns } from '../../src/stages/merged.js';
import type { Diarization, SpeakerTurn, Transcript } from '../../src/transcript/types.js';

const transcript = JSON.parse(readFileSync(new URL('./fixtures/meeting.pocketsphinx.json', import.meta.url), 'utf8')) as Transcript;
const reference = parseRttm(readFileSync(new URL('../../../../samples/meeting.ref.rttm', import.meta.url), 'utf8'));

const diarization = (turns: SpeakerTurn[]): Diarization => ({ format: 'spx-diarization', version: 1, engine: 'test', turns, speakers: ['A', 'B'] });
/** A 0.5 s turn of the other speaker in the middle of every turn (a common clustering error). */
const withBlips = (turns: SpeakerTurn[]): SpeakerTurn[] =>
  turns.flatMap((t) => {
    const mid = (t.start + t.end) / 2;
    return [{ ...t, end: mid - 0.2 }, { speaker: t.speaker === 'A' ? 'B' : 'A', start: mid - 0.2, end: mid + 0.3 }, { ...t, start: mid + 0.3 }];
  });
/** Every boundary moved by up to 0.4 s. */
const shifts = [0.4, -0.35, 0.3, -0.4, 0.25, -0.3, 0.35, -0.25];
const shifted = reference.map((t, i) => ({ ...t, start: t.start + shifts[i % 8]!, end: t.end + shifts[(i + 3) % 8]! }));

const der = (turns: SpeakerTurn[], smoothing: boolean) => diarizationErrorRate(reference, mergedToTurns(mergeTranscript(transcript, diarization(turns), { smoothing }).merged)).der;

describe('stages/merge smoothing on the shipped sample', () => {
  it('does not change a merge of the reference turns', () => {
    expect(der(reference, true)).to.equal(der(reference, false));
    expect(der(reference, true)).to.be.below(0.03);
  });

  it('does not hurt with shifted boundaries', () => {
    expect(der(shifted, true)).to.be.at.most(der(shifted, false));
  });

  it('removes most of the error of short wrong-speaker turns', () => {
    const off = der(withBlips(reference), false);
    const on = der(withBlips(reference), true);
    expect(off).to.be.above(0.15);
    expect(on).to.be.below(0.03);
    expect(der(withBlips(shifted), true)).to.be.below(der(withBlips(shifted), false) / 3);
  });
});
