import { expect } from 'chai';
import { dctMatrix, fft, hzToMel, melFilterbank, melToHz, MfccExtractor, powerSpectrum } from '../src/index.js';
import { rng } from './helpers/random.js';

describe('fft', () => {
  it('matches a direct DFT on random data', () => {
    const random = rng(1);
    const n = 64;
    const x = Array.from({ length: n }, () => random.uniform() - 0.5);
    const re = Float64Array.from(x);
    const im = new Float64Array(n);
    fft(re, im);
    for (const k of [0, 1, 5, 31, 32, 63]) {
      let dr = 0;
      let di = 0;
      for (let t = 0; t < n; t++) {
        dr += x[t]! * Math.cos((2 * Math.PI * k * t) / n);
        di -= x[t]! * Math.sin((2 * Math.PI * k * t) / n);
      }
      expect(re[k]).to.be.closeTo(dr, 1e-9);
      expect(im[k]).to.be.closeTo(di, 1e-9);
    }
  });

  it('rejects sizes that are not powers of two', () => {
    expect(() => fft(new Float64Array(12), new Float64Array(12))).to.throw(RangeError);
  });

  it('puts a sine’s power in its frequency bin', () => {
    const sr = 16000;
    const bin = 40; // 40 * 16000 / 512 = 1250 Hz
    const frame = Array.from({ length: 512 }, (_, i) => Math.sin((2 * Math.PI * bin * i) / 512));
    const p = powerSpectrum(frame, 512);
    const peak = p.indexOf(Math.max(...p));
    expect(peak).to.equal(bin);
    expect((peak * sr) / 512).to.equal(1250);
  });
});

describe('mel filterbank and DCT', () => {
  it('converts between hertz and mel both ways', () => {
    expect(hzToMel(1000)).to.be.closeTo(1000, 0.5);
    expect(melToHz(hzToMel(3456))).to.be.closeTo(3456, 1e-6);
  });

  it('builds triangles with peaks in rising order inside the band', () => {
    const filters = melFilterbank({ sampleRate: 16000, fftSize: 512, numFilters: 24, lowHz: 60, highHz: 7600 });
    expect(filters).to.have.length(24);
    const peaks = filters.map((f) => f.indexOf(Math.max(...f)));
    for (let i = 1; i < peaks.length; i++) expect(peaks[i]).to.be.greaterThan(peaks[i - 1]!);
    for (const f of filters) {
      expect(Math.max(...f)).to.be.within(0.3, 1);
      expect(Math.min(...f)).to.equal(0);
    }
    expect(filters[23]![Math.ceil((7600 * 512) / 16000) + 1]).to.equal(0);
  });

  it('makes an orthonormal DCT-II', () => {
    const m = dctMatrix(8, 8);
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) {
        const dot = m[i]!.reduce((a, v, k) => a + v * m[j]![k]!, 0);
        expect(dot).to.be.closeTo(i === j ? 1 : 0, 1e-12);
      }
    }
  });
});

describe('MfccExtractor', () => {
  const random = rng(7);
  const signal = Float32Array.from({ length: 16000 }, (_, i) => 0.3 * Math.sin(2 * Math.PI * 220 * (i / 16000)) + 0.05 * (random.uniform() - 0.5));

  it('gives 98 frames of 13 cepstra for one second at 25 ms / 10 ms', () => {
    const result = new MfccExtractor().compute(signal);
    expect(result.numFrames).to.equal(98);
    expect(result.ceps).to.have.length(98 * 13);
    expect(new MfccExtractor().frameCount(399)).to.equal(0);
  });

  it('keeps c1..c13 under a change of gain and moves only the energy', () => {
    const mfcc = new MfccExtractor();
    const a = mfcc.compute(signal);
    const b = mfcc.compute(signal.map((v) => v * 0.25));
    for (let i = 0; i < a.ceps.length; i++) expect(b.ceps[i]).to.be.closeTo(a.ceps[i]!, 1e-6);
    // log(g²) per filter, times the DCT's c0 weight sqrt(1/M) summed over M filters.
    const shift = 2 * Math.log(0.25) * Math.sqrt(24);
    expect(b.energy[10]! - a.energy[10]!).to.be.closeTo(shift, 1e-6);
  });

  it('tells a low tone from a high tone', () => {
    const tone = (hz: number) => Float32Array.from({ length: 4000 }, (_, i) => 0.5 * Math.sin(2 * Math.PI * hz * (i / 16000)));
    const mfcc = new MfccExtractor();
    const low = mfcc.compute(tone(300));
    const high = mfcc.compute(tone(3000));
    // c1 weighs low bands positively and high bands negatively.
    expect(low.ceps[0]).to.be.greaterThan(high.ceps[0]!);
  });
});
