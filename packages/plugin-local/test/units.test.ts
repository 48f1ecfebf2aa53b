import { expect } from 'chai';
import { batchChunks, parsePocketsphinx, planRecognitionChunks, speechRegions } from '../src/index.js';

const FS = 0.032;
/** Probabilities: `spec` is a list of [value, frames]. */
const probs = (spec: Array<[number, number]>): number[] => spec.flatMap(([v, n]) => new Array<number>(n).fill(v));

describe('speechRegions', () => {
  const base = { frameSeconds: FS, padSeconds: 0, minSpeechSeconds: 0.25, minSilenceSeconds: 0.1, maxSpeechSeconds: 30 };

  it('opens at the threshold and closes after the minimum silence', () => {
    const p = probs([[0.1, 10], [0.9, 20], [0.1, 10]]);
    const r = speechRegions(p, p.length * FS, base);
    expect(r).to.have.length(1);
    expect(r[0]!.start).to.be.closeTo(10 * FS, 1e-9);
    expect(r[0]!.end).to.be.closeTo(30 * FS, 1e-9);
  });

  it('bridges a pause shorter than minSilence and drops a blip shorter than minSpeech', () => {
    const p = probs([[0.9, 20], [0.1, 2], [0.9, 20], [0.1, 20], [0.9, 3], [0.1, 20]]);
    const r = speechRegions(p, p.length * FS, base);
    expect(r).to.have.length(1);
    expect(r[0]!.end).to.be.closeTo(42 * FS, 1e-9);
  });

  it('keeps hysteresis: dips between the two thresholds do not end speech', () => {
    const p = probs([[0.9, 10], [0.4, 30], [0.9, 10], [0.1, 10]]);
    expect(speechRegions(p, p.length * FS, base)).to.have.length(1);
  });

  it('pads regions without overlapping the neighbours or the ends', () => {
    const p = probs([[0.9, 20], [0.1, 5], [0.9, 20]]);
    const r = speechRegions(p, p.length * FS, { ...base, padSeconds: 0.1 });
    expect(r).to.have.length(2);
    expect(r[0]!.start).to.equal(0);
    expect(r[0]!.end).to.be.at.most(r[1]!.start);
    expect(r[1]!.end).to.be.at.most(p.length * FS);
  });

  it('splits an over-long region at its least speech-like frame', () => {
    const p = probs([[0.9, 100], [0.55, 1], [0.95, 150]]);
    const r = speechRegions(p, p.length * FS, { ...base, maxSpeechSeconds: 6 });
    expect(r).to.have.length(2);
    expect(r[0]!.end).to.be.closeTo(100 * FS, 1e-9);
  });
});

describe('recognition chunk planning', () => {
  const speech = [
    { start: 1, end: 5 },
    { start: 6, end: 12 },
    { start: 12.4, end: 20 },
    { start: 25, end: 40 },
  ];

  it('groups whole regions into chunks no longer than the limit, padded into pauses', () => {
    const chunks = planRecognitionChunks(speech, 45, 15, 0.5);
    expect(chunks.map((c) => [c.start, c.end])).to.deep.equal([
      [0.5, 12.4],
      [12, 20.5],
      [24.5, 40.5],
    ]);
    // No chunk boundary falls inside a speech region.
    for (const c of chunks) for (const r of speech) expect(c.start <= r.start || c.start >= r.end).to.equal(true);
  });

  it('batches chunks by audio length', () => {
    const chunks = planRecognitionChunks(speech, 45, 15, 0.5);
    expect(batchChunks(chunks, 21).map((b) => b.length)).to.deep.equal([2, 1]);
    expect(batchChunks(chunks, 5).map((b) => b.length)).to.deep.equal([1, 1, 1]);
    expect(batchChunks(chunks, 1000).map((b) => b.length)).to.deep.equal([3]);
  });
});

describe('parsePocketsphinx', () => {
  const out = [
    'good morning',
    '<s> 0.000 0.510 0.999300',
    'good 0.520 0.670 0.302087',
    '<sil> 0.680 0.900 1.000000',
    'morning(2) 0.910 1.270 1.000850',
    '[NOISE] 1.280 1.300 0.5',
    '</s> 1.300 1.500 1.000000',
    'yes',
    '<s> 2.000 2.100 0.99',
    'yes 2.110 2.400 0.8',
    '</s> 2.400 2.500 1.0',
  ].join('\n');

  it('keeps words, strips alternates and fillers, clamps confidences and shifts times', () => {
    const u = parsePocketsphinx(out, 10);
    expect(u).to.have.length(2);
    expect(u[0]!.words).to.deep.equal([
      { text: 'good', start: 10.52, end: 10.67, confidence: 0.302 },
      { text: 'morning', start: 10.91, end: 11.27, confidence: 1 },
    ]);
    expect(u[1]!.words.map((w) => w.text)).to.deep.equal(['yes']);
  });
});
