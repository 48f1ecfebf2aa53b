// Transcript edits applied by core/export: a renamed speaker appears in every format, an
// utterance moves to another speaker or gets new text, the merged file is never touched, and an
// edit whose utterance is gone is dropped with a warning.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runStageForTest } from '../../src/testing/index.js';
import { exportStage } from '../../src/stages/export-stage.js';
import { applyEdits, combineEdits } from '../../src/stages/edits.js';
import { toJson } from '../../src/stages/export/formats.js';
import type { MergedTranscript } from '../../src/stages/merged.js';

const run = promisify(execFile);

function sample(): MergedTranscript {
  const words = (text: string, start: number) => text.split(' ').map((t, i) => ({ text: t, start: start + i * 0.5, end: start + i * 0.5 + 0.4, confidence: 0.9 }));
  const u = (speaker: string, start: number, text: string) => {
    const w = words(text, start);
    return { speaker, name: speaker, start, end: w[w.length - 1]!.end, text, words: w, overlapped: false, confidence: 0.9 };
  };
  return {
    format: 'spx-merged',
    version: 1,
    language: 'en',
    speakers: [
      { id: 'SPEAKER_00', name: 'SPEAKER_00' },
      { id: 'SPEAKER_01', name: 'SPEAKER_01' },
    ],
    utterances: [u('SPEAKER_00', 0, 'Good morning everyone.'), u('SPEAKER_01', 3, 'Thanks for coming here.'), u('SPEAKER_00', 6, 'Let us begin now.')],
    source: { transcriptEngine: 'test', timestamps: 'word', assignment: 'word', smoothing: true },
  };
}

describe('stages/edits', () => {
  it('renames a speaker in the speaker list and every utterance', () => {
    const { merged, applied, dropped } = applyEdits(sample(), { speakers: { SPEAKER_00: 'Anna' } });
    expect(merged.speakers).to.deep.equal([{ id: 'SPEAKER_00', name: 'Anna' }, { id: 'SPEAKER_01', name: 'SPEAKER_01' }]);
    expect(merged.utterances.map((u) => u.name)).to.deep.equal(['Anna', 'SPEAKER_01', 'Anna']);
    expect(applied).to.deep.equal({ speakers: 1, utterances: 0 });
    expect(dropped).to.deep.equal([]);
  });

  it('gives one utterance to another speaker, who takes that speaker\'s name', () => {
    const original = sample();
    const target = original.utterances[2]!;
    const { merged } = applyEdits(original, { speakers: { SPEAKER_01: 'Ben' }, utterances: [{ speaker: 'SPEAKER_00', start: target.start, end: target.end, assign: 'SPEAKER_01' }] });
    expect(merged.utterances.map((u) => `${u.speaker}:${u.name}`)).to.deep.equal(['SPEAKER_00:SPEAKER_00', 'SPEAKER_01:Ben', 'SPEAKER_01:Ben']);
    expect(original.utterances[2]!.speaker, 'the input is left as it is').to.equal('SPEAKER_00');
  });

  it('keeps word timings when a fix has as many words, and drops the changed words\' confidence', () => {
    const original = sample();
    const u = original.utterances[1]!;
    const { merged } = applyEdits(original, { utterances: [{ speaker: u.speaker, start: u.start, end: u.end, text: 'Thanks for coming, Anna.' }] });
    const edited = merged.utterances[1]!;
    expect(edited.text).to.equal('Thanks for coming, Anna.');
    expect(edited.words.map((w) => [w.text, w.start])).to.deep.equal([['Thanks', 3], ['for', 3.5], ['coming,', 4], ['Anna.', 4.5]]);
    expect(edited.words[0]!.confidence).to.equal(0.9);
    expect(edited.words[2]!.confidence).to.equal(undefined);
  });

  it('keeps only the span when the fix has another number of words', () => {
    const u = sample().utterances[0]!;
    const { merged } = applyEdits(sample(), { utterances: [{ speaker: u.speaker, start: u.start, end: u.end, text: 'Morning.' }] });
    expect(merged.utterances[0]!).to.include({ text: 'Morning.', start: u.start, end: u.end });
    expect(merged.utterances[0]!.words).to.deep.equal([]);
    expect(merged.utterances[0]!.confidence).to.equal(undefined);
  });

  it('still applies an edit when an upstream rerun moved the utterance a little, and drops one whose utterance is gone', () => {
    const moved = sample();
    moved.utterances[1]!.start += 0.2;
    moved.utterances[1]!.end -= 0.1;
    const { merged, applied, dropped } = applyEdits(moved, {
      utterances: [
        { speaker: 'SPEAKER_01', start: 3, end: 4.9, text: 'Thanks for coming there.' },
        { speaker: 'SPEAKER_01', start: 6, end: 7.9, text: 'Nobody said this.' },
      ],
    });
    expect(merged.utterances[1]!.text).to.equal('Thanks for coming there.');
    expect(applied.utterances).to.equal(1);
    expect(dropped).to.have.length(1);
    expect(dropped[0]!.edit).to.match(/6\.00–7\.90 s of SPEAKER_01/);
  });

  it('combines edits: later names and later edits of the same utterance win', () => {
    const e = { speaker: 'SPEAKER_00', start: 0, end: 1 };
    const combined = combineEdits({ speakers: { SPEAKER_00: 'Ann', SPEAKER_01: 'Ben' }, utterances: [{ ...e, text: 'a' }] }, { speakers: { SPEAKER_00: 'Anna' }, utterances: [{ ...e, assign: 'SPEAKER_01' }] });
    expect(combined).to.deep.equal({ speakers: { SPEAKER_00: 'Anna', SPEAKER_01: 'Ben' }, utterances: [{ ...e, text: 'a', assign: 'SPEAKER_01' }] });
  });

  describe('core/export with edits', () => {
    let dir: string;
    let mergedPath: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'spx-edits-'));
      mergedPath = join(dir, 'merged.json');
      await writeFile(mergedPath, toJson(sample()));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('writes the new name into every format and leaves the merged file as it was', async () => {
      const before = await readFile(mergedPath, 'utf8');
      const { result } = await runStageForTest(exportStage, {
        dir,
        inputStem: 'meeting',
        params: { transcript: mergedPath, formats: ['srt', 'vtt', 'json', 'txt', 'md', 'tsv', 'docx'], edits: { speakers: { SPEAKER_00: 'Anna Berg' } } },
      });
      const files = result.outputs.files;
      for (const format of ['srt', 'vtt', 'txt', 'md', 'tsv'] as const) {
        const text = await readFile(files[format]!.path, 'utf8');
        expect(text, format).to.contain('Anna Berg');
        expect(text, format).not.to.contain('SPEAKER_00:');
      }
      expect(await readFile(files.vtt!.path, 'utf8')).to.contain('<v Anna Berg>');
      const json = JSON.parse(await readFile(files.json!.path, 'utf8')) as MergedTranscript;
      expect(json.speakers[0]).to.deep.equal({ id: 'SPEAKER_00', name: 'Anna Berg' });
      const { stdout } = await run('unzip', ['-p', files.docx!.path, 'word/document.xml']);
      expect(stdout).to.contain('Anna Berg');
      expect(await readFile(mergedPath, 'utf8')).to.equal(before);
      expect(result.metadata).to.deep.include({ edits: { speakers: 1, utterances: 0, dropped: 0 } });
    });

    it('warns about an edit it drops', async () => {
      const { events } = await runStageForTest(exportStage, { dir, params: { transcript: mergedPath, formats: ['txt'], edits: { utterances: [{ speaker: 'SPEAKER_09', start: 1, end: 2, text: 'x' }] } } });
      const warnings = events.filter((e) => e.type === 'stage-log' && e.level === 'warn').map((e) => (e as { message: string }).message);
      expect(warnings.join('\n')).to.match(/Edit dropped: utterance 1\.00–2\.00 s of SPEAKER_09/);
    });
  });
});
