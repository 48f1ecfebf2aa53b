// writeTranscriptFiles: a whole-file transcription stage's outputs, written through the stage's
// own artifacts, with the speakers in order of first appearance and the stage reported done.
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { Type, defineStage, writeTranscriptFiles, type Transcript } from '../../src/index.js';
import { runStageForTest } from '../../src/testing/index.js';

const transcript = (language?: string): Transcript => ({
  format: 'spx-transcript',
  version: 1,
  engine: 'fake',
  model: 'm',
  ...(language ? { language } : {}),
  timestamps: 'segment',
  segments: [
    { start: 0, end: 1, text: 'a', speaker: 'SPEAKER_01' },
    { start: 1, end: 2, text: 'b' },
    { start: 2, end: 3, text: 'c', speaker: 'SPEAKER_00' },
    { start: 3, end: 4, text: 'd', speaker: 'SPEAKER_01' },
  ],
});

const stage = (language?: string) =>
  defineStage({
    description: 'Writes a transcript and its answer.',
    params: Type.Object({}),
    outputs: { files: { kind: 'json', description: 'what was written' } },
    run: async (ctx) => ({ outputs: { files: await writeTranscriptFiles(ctx, transcript(language), { name: 'vendor-answer.json', answer: { id: 'job-1', words: [] } }) } }),
  });

describe('writeTranscriptFiles', () => {
  it('writes the transcript and the answer as JSON files and lists the speakers in order of first appearance', async () => {
    const { result, events } = await runStageForTest(stage('de'));
    const files = result.outputs.files;
    expect(JSON.parse(await readFile(files.transcript.path, 'utf8'))).to.deep.equal(transcript('de'));
    expect(files.raw.path).to.match(/vendor-answer\.json$/);
    expect(JSON.parse(await readFile(files.raw.path, 'utf8'))).to.deep.equal({ id: 'job-1', words: [] });
    expect(files.speakers).to.deep.equal(['SPEAKER_01', 'SPEAKER_00']);
    expect(files.language).to.equal('de');
    const progress = events.flatMap((e) => (e.type === 'stage-progress' ? [e.progress] : []));
    expect(progress.at(-1)).to.deep.include({ done: 1, total: 1, message: '4 turns, 2 speakers' });
  });

  it('gives language null when the transcript has none', async () => {
    const { result } = await runStageForTest(stage());
    expect(result.outputs.files.language).to.equal(null);
  });
});
