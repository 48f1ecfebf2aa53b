import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openStore } from '../../src/checkpoints/store.js';
import { pluginConformanceTests, runStageForTest } from '../../src/testing/index.js';
import { corePlugin } from '../../src/stages/index.js';
import { mergeStage } from '../../src/stages/merge-stage.js';
import type { MergedTranscript } from '../../src/stages/merged.js';
import { exportStage } from '../../src/stages/export-stage.js';
import type { Diarization, Transcript } from '../../src/transcript/types.js';

const transcript: Transcript = {
  format: 'spx-transcript',
  version: 1,
  engine: 'openai',
  model: 'whisper-1',
  language: 'en',
  timestamps: 'word',
  duration: 6,
  segments: [
    { start: 0, end: 2.2, text: ' Good morning, everyone.', words: [{ text: 'Good', start: 0.1, end: 0.4 }, { text: 'morning', start: 0.45, end: 0.9 }, { text: 'everyone', start: 1, end: 1.6 }] },
    { start: 2.5, end: 5, text: ' Thank you.', words: [{ text: 'Thank', start: 2.6, end: 2.9 }, { text: 'you', start: 2.95, end: 3.2 }] },
  ],
};
const diarization: Diarization = {
  format: 'spx-diarization',
  version: 1,
  engine: 'pyannote',
  turns: [
    { speaker: 'SPEAKER_00', start: 0, end: 1.8 },
    { speaker: 'SPEAKER_01', start: 2.4, end: 3.5 },
  ],
  speakers: ['SPEAKER_00', 'SPEAKER_01'],
  names: { SPEAKER_00: 'Anna' },
};

describe('stages/merge-stage', () => {
  let dir: string;
  let transcriptPath: string;
  let speakersPath: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-merge-'));
    transcriptPath = join(dir, 'transcript.json');
    speakersPath = join(dir, 'speakers.json');
    await writeFile(transcriptPath, JSON.stringify(transcript));
    await writeFile(speakersPath, JSON.stringify(diarization));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the merged transcript file and reports speakers and counts', async () => {
    const { result } = await runStageForTest(mergeStage, { dir, params: { transcript: transcriptPath, speakers: speakersPath, names: { SPEAKER_01: 'Ben' } } });
    const merged = JSON.parse(await readFile(result.outputs.transcript.path, 'utf8')) as MergedTranscript;
    expect(merged.format).to.equal('spx-merged');
    expect(merged.utterances.map((u) => `${u.name}: ${u.text}`)).to.deep.equal(['Anna: Good morning, everyone.', 'Ben: Thank you.']);
    expect(merged.source).to.deep.include({ transcriptEngine: 'openai', transcriptModel: 'whisper-1', diarizationEngine: 'pyannote', timestamps: 'word', assignment: 'word' });
    expect(result.outputs.speakers).to.deep.equal([
      { id: 'SPEAKER_00', name: 'Anna' },
      { id: 'SPEAKER_01', name: 'Ben' },
    ]);
    expect(result.outputs.stats).to.include({ words: 5, utterances: 2, unknown: 0 });
    expect(result.outputs.transcript.bytes).to.be.greaterThan(0);
  });

  it('produces byte-identical output for the same inputs', async () => {
    const a = await runStageForTest(mergeStage, { dir, params: { transcript: transcriptPath, speakers: speakersPath } });
    const b = await runStageForTest(mergeStage, { dir, params: { transcript: transcriptPath, speakers: speakersPath } });
    expect(a.result.outputs.transcript.sha256).to.equal(b.result.outputs.transcript.sha256);
  });

  it('fails clearly on a missing file and on a file of the wrong kind', async () => {
    const attempt = async (params: Record<string, unknown>) => {
      try {
        await runStageForTest(mergeStage, { dir, params });
      } catch (error) {
        return error as { code: string; hint?: string; message: string };
      }
      throw new Error('expected a failure');
    };
    const missing = await attempt({ transcript: join(dir, 'none.json'), speakers: speakersPath });
    expect(missing.code).to.equal('INPUT_MISSING');
    expect(missing.message).to.include('none.json');
    const swapped = await attempt({ transcript: speakersPath, speakers: speakersPath });
    expect(swapped.code).to.equal('INPUT_INVALID');
    expect(swapped.hint).to.be.a('string');
    await writeFile(join(dir, 'broken.json'), '{"format":');
    expect((await attempt({ transcript: join(dir, 'broken.json') })).code).to.equal('INPUT_INVALID');
    expect((await attempt({ transcript: transcriptPath })).code).to.equal('INPUT_INVALID');
  });

  it('feeds core/export through the real SQLite store', async () => {
    const store = await openStore({ url: `sqlite://${join(dir, 'store.sqlite')}` });
    try {
      const merged = await runStageForTest(mergeStage, { dir, store, params: { transcript: transcriptPath, speakers: speakersPath } });
      const exported = await runStageForTest(exportStage, { dir, store, outDir: join(dir, 'out'), inputStem: 'call', params: { transcript: merged.result.outputs.transcript.path, formats: ['txt'] } });
      expect(await readFile(exported.result.outputs.files.txt!.path, 'utf8')).to.equal('[00:00:00] Anna: Good morning, everyone.\n[00:00:02] SPEAKER_01: Thank you.\n');
    } finally {
      await store.close();
    }
  });
});

describe('corePlugin', () => {
  pluginConformanceTests(it, corePlugin, { stages: { 'core/merge': { params: { transcript: '/nonexistent/transcript.json' } }, 'core/export': { params: { transcript: '/nonexistent/merged.json' } } } });

  it('registers core/merge and core/export under @spx/core with the package version', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(corePlugin).to.include({ name: '@spx/core', apiVersion: 1, version: pkg.version });
    expect(Object.keys(corePlugin.stages)).to.deep.equal(['core/merge', 'core/export']);
  });
});
