import { expect } from 'chai';
import { addStats, clusterBic, deltaBic, detectChanges, meanLogLikelihood, PrefixStats, statsOf, type GaussStats } from '../src/index.js';
import { logDet, BIC_DEFAULTS } from '../src/diarize/gaussian.js';
import { mergeWithinVariation, speakerVariation } from '../src/diarize/variation.js';
import { gaussianFrames, rng } from './helpers/random.js';

const D = 4;
const CENTRES = [
  [0, 0, 0, 0],
  [4, -3, 2, 0],
  [-4, 3, -2, 5],
];
const SCALE = [1, 0.8, 1.2, 1];

/** `perCluster` pieces of 150 frames from each of the given centres, interleaved. */
function pieces(centres: number[][], perCluster: number, seed = 3) {
  const random = rng(seed);
  const items: GaussStats[] = [];
  const truth: number[] = [];
  for (let p = 0; p < perCluster; p++) {
    centres.forEach((c, k) => {
      items.push(statsOf(gaussianFrames(random, 150, c, SCALE), D));
      truth.push(k);
    });
  }
  return { items, truth };
}

describe('Gaussian statistics', () => {
  it('adds exactly: the stats of two halves equal the stats of the whole', () => {
    const frames = gaussianFrames(rng(1), 100, [1, 2, 3, 4], SCALE);
    const whole = statsOf(frames, D);
    const sum = addStats(statsOf(frames, D, 0, 40), statsOf(frames, D, 40, 100));
    expect(sum.n).to.equal(100);
    sum.sq.forEach((v, i) => expect(v).to.be.closeTo(whole.sq[i]!, 1e-9));
    sum.sum.forEach((v, i) => expect(v).to.be.closeTo(whole.sum[i]!, 1e-9));
  });

  it('computes the log-determinant of a diagonal matrix', () => {
    const m = Float64Array.from([2, 0, 0, 0, 3, 0, 0, 0, 4]);
    expect(logDet(m, 3)).to.be.closeTo(Math.log(24), 1e-12);
  });

  it('gives a negative ΔBIC for one source and a positive one for two', () => {
    const random = rng(5);
    const a = statsOf(gaussianFrames(random, 300, CENTRES[0]!, SCALE), D);
    const b = statsOf(gaussianFrames(random, 300, CENTRES[0]!, SCALE), D);
    const c = statsOf(gaussianFrames(random, 300, CENTRES[1]!, SCALE), D);
    expect(deltaBic(a, b)).to.be.lessThan(0);
    expect(deltaBic(a, c)).to.be.greaterThan(0);
  });

  it('scores frames higher under their own Gaussian', () => {
    const random = rng(9);
    const own = statsOf(gaussianFrames(random, 400, CENTRES[1]!, SCALE), D);
    const other = statsOf(gaussianFrames(random, 400, CENTRES[2]!, SCALE), D);
    const test = statsOf(gaussianFrames(random, 50, CENTRES[1]!, SCALE), D);
    expect(meanLogLikelihood(test, own, BIC_DEFAULTS)).to.be.greaterThan(meanLogLikelihood(test, other, BIC_DEFAULTS));
  });
});

describe('clusterBic', () => {
  it('finds three well-separated sources without being told how many', () => {
    const { items, truth } = pieces(CENTRES, 4);
    const result = clusterBic(items);
    expect(result.clusters).to.have.length(3);
    // Same partition as the truth (labels ordered by first item, like the truth here).
    expect(result.labels).to.deep.equal(truth);
  });

  it('keeps one cluster when every piece comes from one source', () => {
    const { items } = pieces([CENTRES[0]!], 8);
    expect(clusterBic(items).clusters).to.have.length(1);
  });

  it('honours numSpeakers, minSpeakers and maxSpeakers', () => {
    const { items } = pieces(CENTRES, 3);
    expect(clusterBic(items, { numSpeakers: 2 }).clusters).to.have.length(2);
    expect(clusterBic(items, { maxSpeakers: 2 }).clusters).to.have.length(2);
    expect(clusterBic(items, { minSpeakers: 5 }).clusters.length).to.be.at.least(5);
    const one = pieces([CENTRES[0]!], 6);
    expect(clusterBic(one.items, { minSpeakers: 2 }).clusters).to.have.length(2);
  });

  it('returns nothing for no items', () => {
    expect(clusterBic([])).to.deep.equal({ labels: [], clusters: [], merges: [] });
  });
});

describe('detectChanges', () => {
  it('finds the change between two sources near the true frame', () => {
    const random = rng(11);
    const frames = new Float64Array([...gaussianFrames(random, 230, CENTRES[0]!, SCALE), ...gaussianFrames(random, 200, CENTRES[1]!, SCALE)]);
    const prefix = new PrefixStats(frames, D, 430);
    const changes = detectChanges(prefix, { window: 100, step: 5, minSegment: 50, bic: { ...BIC_DEFAULTS, lambda: 3 } });
    expect(changes).to.have.length(1);
    expect(Math.abs(changes[0]! - 230)).to.be.at.most(5);
  });

  it('finds no change inside one source', () => {
    const frames = gaussianFrames(rng(12), 400, CENTRES[2]!, SCALE);
    expect(detectChanges(new PrefixStats(frames, D, 400), { window: 100, step: 5, minSegment: 50, bic: { ...BIC_DEFAULTS, lambda: 3 } })).to.deep.equal([]);
  });
});

describe('one voice stays one speaker', () => {
  const SPREAD = [1, 1, 1, 1];
  /** A cluster of `parts` pieces, each 200 frames around the given centre, in time order. */
  const cluster = (random: ReturnType<typeof rng>, centres: number[][]) => centres.map((c) => statsOf(gaussianFrames(random, 200, c, SPREAD), D));
  const near = [0.8, -0.6, 0.4, 0];

  it('merges two clusters of a voice that drifts, and keeps a different voice apart', () => {
    const random = rng(11);
    // One person: the earlier half of each cluster in one manner, the later half in another.
    const a = speakerVariation({ parts: cluster(random, [[0, 0, 0, 0], [0, 0, 0, 0], near, near]) });
    const b = speakerVariation({ parts: cluster(random, [[0, 0, 0, 0], near, near, near]) });
    // Another person, steady.
    const c = speakerVariation({ parts: cluster(random, [CENTRES[1]!, CENTRES[1]!, CENTRES[1]!, CENTRES[1]!]) });
    expect(a.own).to.be.greaterThan(0);
    expect(mergeWithinVariation([a, b, c])).to.deep.equal([0, 0, 2]);
    // Never below the minimum count.
    expect(mergeWithinVariation([a, b, c], 3)).to.deep.equal([0, 1, 2]);
  });

  it('keeps two steady voices apart however close, when neither varies as much', () => {
    const random = rng(12);
    const a = speakerVariation({ parts: cluster(random, [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]) });
    const b = speakerVariation({ parts: cluster(random, [near, near, near, near]) });
    expect(mergeWithinVariation([a, b])).to.deep.equal([0, 1]);
  });

  it('says nothing about a voice with too little speech to measure', () => {
    const tiny = speakerVariation({ parts: [statsOf(gaussianFrames(rng(13), 150, [0, 0, 0, 0], SPREAD), D)] });
    expect(tiny.own).to.equal(0);
    expect(mergeWithinVariation([tiny, tiny])).to.deep.equal([0, 1]);
  });
});
