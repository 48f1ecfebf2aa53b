// The pieces that let the acoustic model choose between two recognitions: aligning them into
// agreeing words and choices, the grammar that holds both, reading a decoded path back, and
// pocketsphinx_batch's segmentation output, and finding pocketsphinx_batch.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SpxError } from '@spx/core';
import { alignVersions, choiceGrammar, decodeBatch, findPocketsphinxBatch, parseHypseg, readPath } from '../src/index.js';

describe('choice between two recognitions', () => {
  const chunks = ['she', 'had', 'an', 'awkward', 'thing'];
  const whole = ['she', 'had', 'a', 'thin', 'awkward', 'figure', 'too'];

  it('aligns the versions into agreeing words and choices', () => {
    expect(alignVersions(chunks, whole)).to.deep.equal([
      { kind: 'same', word: 'she', whole: 0 },
      { kind: 'same', word: 'had', whole: 1 },
      { kind: 'choice', chunks: ['an'], whole: ['a', 'thin'], wholeIndex: [2, 3] },
      { kind: 'same', word: 'awkward', whole: 4 },
      { kind: 'choice', chunks: ['thing'], whole: ['figure', 'too'], wholeIndex: [5, 6] },
    ]);
  });

  it('writes a grammar with one path per agreeing word and both versions of every choice', () => {
    const blocks = alignVersions(['go', 'forward'], ['go', 'forward', 'ten']);
    const fsg = choiceGrammar('g', blocks).split('\n');
    expect(fsg).to.include.members(['FSG_BEGIN g', 'START_STATE 0', 'FINAL_STATE 3', 'TRANSITION 0 1 1 go', 'TRANSITION 1 2 1 forward', 'TRANSITION 2 3 0.5', 'TRANSITION 2 3 0.5 ten', 'FSG_END']);
    expect(fsg).to.include('NUM_STATES 4');
  });

  it('reads a decoded path back choice by choice, and rejects words that are not a path', () => {
    const blocks = alignVersions(chunks, whole);
    const path = readPath(blocks, ['she', 'had', 'a', 'thin', 'awkward', 'thing']);
    expect(path!.map((p) => p.source)).to.deep.equal(['both', 'both', 'whole', 'whole', 'both', 'chunks']);
    expect(path!.map((p) => p.offset)).to.deep.equal([0, 0, 0, 1, 0, 0]);
    expect(readPath(blocks, ['she', 'had', 'awkward', 'thing'])).to.equal(undefined);
    expect(readPath(blocks, [...chunks, 'extra'])).to.equal(undefined);
    expect(readPath([], [])).to.deep.equal([]);
  });
});

describe('parseHypseg', () => {
  it('reads words and times of each utterance, dropping fillers and null transitions', () => {
    const text = [
      'c0 S 0 T -2608 A -1934 L -674 0 -341 -337 <sil> 46 -132 0 go 64 -395 0 forward(2) 117 -299 0 (NULL) 120 -10 0 ten 153 -605 0 meters 212 -162 -337 <sil> 277',
      'c1 S 0 T 0 A 0 L 0 0 -5 0 <s> 3 -9 0 [NOISE] 10',
      'unknown S 0 T 0 A 0 L 0 0 -5 0 hello 9',
    ].join('\n');
    const [first, second] = parseHypseg(text, ['c0', 'c1']);
    expect(first).to.deep.equal([
      { text: 'go', start: 0.46, end: 0.64 },
      { text: 'forward', start: 0.64, end: 1.17 },
      { text: 'ten', start: 1.2, end: 1.53 },
      { text: 'meters', start: 1.53, end: 2.12 },
    ]);
    expect(second).to.deep.equal([]);
  });
});

describe('findPocketsphinxBatch', () => {
  it('takes POCKETSPHINX_BATCH_PATH, then the directory of POCKETSPHINX_PATH, then PATH', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spx-ps-'));
    try {
      const continuous = join(dir, 'pocketsphinx_continuous');
      const batch = join(dir, 'pocketsphinx_batch');
      for (const f of [continuous, batch]) await writeFile(f, '#!/bin/sh\n', { mode: 0o755 });
      expect(findPocketsphinxBatch({ POCKETSPHINX_BATCH_PATH: batch })).to.equal(batch);
      expect(findPocketsphinxBatch({ POCKETSPHINX_PATH: continuous, PATH: '' })).to.equal(batch);
      expect(findPocketsphinxBatch({ PATH: dir })).to.equal(batch);
      expect(() => findPocketsphinxBatch({ POCKETSPHINX_BATCH_PATH: join(dir, 'missing') })).to.throw(SpxError).with.property('code', 'BINARY_NOT_FOUND');
      expect(() => findPocketsphinxBatch({ PATH: join(dir, 'nowhere') })).to.throw(/pocketsphinx_batch was not found/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('decodeBatch', () => {
  it('reports a failing decoder as STAGE_FAILED with the error from its log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spx-psb-'));
    try {
      const fake = join(dir, 'pocketsphinx_batch');
      await writeFile(fake, '#!/bin/sh\nwhile [ $# -gt 0 ]; do [ "$1" = -logfn ] && echo \'ERROR: "acmod.c", line 83: Folder does not contain acoustic model\' > "$2"; shift; done\nexit 1\n', { mode: 0o755 });
      const error = await decodeBatch([join(dir, 'c0.wav')], { dir, name: 'chunks', env: { POCKETSPHINX_BATCH_PATH: fake } }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(SpxError).with.property('code', 'STAGE_FAILED');
      expect((error as SpxError).message).to.match(/does not contain acoustic model/);
      expect((error as SpxError).hint).to.match(/pocketsphinx-en-us/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
