import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runStageForTest } from '../../src/testing/index.js';
import { exportStage } from '../../src/stages/export-stage.js';
import { buildCues, wrapLines } from '../../src/stages/export/cues.js';
import { toJson } from '../../src/stages/export/formats.js';
import { mergeTranscript } from '../../src/stages/merge.js';
import type { MergedTranscript } from '../../src/stages/merged.js';
import { parseRttm } from '../../src/formats/rttm.js';
import { verifyFile } from '../../src/artifacts/atomic.js';
import type { Segment, Transcript } from '../../src/transcript/types.js';

const run = promisify(execFile);

/** A three-speaker meeting: long sentences (several cues), a reply, and a name needing escapes. */
function sample(): MergedTranscript {
  const words = (text: string, start: number) => text.split(' ').map((t, i) => ({ text: t, start: start + i * 0.4, end: start + i * 0.4 + 0.35 }));
  const a = 'Good morning everyone. Let us start the weekly planning meeting, and please keep your updates short today.';
  const b = 'Thank you. The new website went live on Monday & the traffic looks <good>.';
  const c = 'Great news.';
  const segments: Segment[] = [
    { start: 0, end: 8, text: a, words: words(a, 0) },
    { start: 8.5, end: 14, text: b, words: words(b, 8.5) },
    { start: 15, end: 16, text: c, words: words(c, 15) },
  ];
  const transcript: Transcript = { format: 'spx-transcript', version: 1, engine: 'test', language: 'en', timestamps: 'word', segments };
  const { merged } = mergeTranscript(
    transcript,
    { format: 'spx-diarization', version: 1, engine: 'test', turns: [{ speaker: 'SPEAKER_00', start: 0, end: 8.2 }, { speaker: 'SPEAKER_01', start: 8.4, end: 14.5 }, { speaker: 'SPEAKER_02', start: 14.8, end: 16 }], speakers: ['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_02'] },
    { names: { SPEAKER_00: 'Anna', SPEAKER_01: 'Ben <B&B>' } },
  );
  return merged;
}

interface ParsedCue {
  start: number;
  end: number;
  lines: string[];
}

/** Minimal SRT/VTT cue parser: blocks of "index / a --> b / text lines". */
function parseCues(text: string, kind: 'srt' | 'vtt'): ParsedCue[] {
  const time = kind === 'srt' ? /^(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)$/ : /^(\d\d):(\d\d):(\d\d)\.(\d\d\d) --> (\d\d):(\d\d):(\d\d)\.(\d\d\d)$/;
  let body = text;
  if (kind === 'vtt') {
    expect(text.startsWith('WEBVTT\n\n')).to.equal(true);
    body = text.slice('WEBVTT\n\n'.length);
  }
  const cues: ParsedCue[] = [];
  body
    .trim()
    .split(/\n\n/)
    .forEach((block, i) => {
      const lines = block.split('\n');
      expect(lines[0]).to.equal(String(i + 1));
      const m = time.exec(lines[1]!);
      expect(m, `time line of cue ${i + 1}: ${lines[1]}`).to.not.equal(null);
      const n = m!.slice(1).map(Number);
      cues.push({ start: n[0]! * 3600 + n[1]! * 60 + n[2]! + n[3]! / 1000, end: n[4]! * 3600 + n[5]! * 60 + n[6]! + n[7]! / 1000, lines: lines.slice(2) });
      expect(lines.length).to.be.greaterThan(2);
    });
  return cues;
}

const unescapeXml = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

describe('stages/export', () => {
  let dir: string;
  let mergedPath: string;
  let merged: MergedTranscript;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-export-'));
    merged = sample();
    mergedPath = join(dir, 'merged.json');
    await writeFile(mergedPath, toJson(merged));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const exportAll = (params: Record<string, unknown> = {}, published?: ReadonlyMap<string, string>) =>
    runStageForTest(exportStage, { dir, outDir: join(dir, 'out'), inputStem: 'meeting', published, params: { transcript: mergedPath, formats: ['srt', 'vtt', 'json', 'txt', 'md', 'rttm', 'tsv', 'docx'], ...params } });
  const writtenBy = (files: Record<string, { path: string; sha256: string } | undefined>) => new Map(Object.values(files).map((f) => [f!.path, f!.sha256]));

  it('writes every format next to each other, named after the input, with verifiable FileRefs', async () => {
    const { result } = await exportAll();
    const files = result.outputs.files;
    expect(Object.keys(files).sort()).to.deep.equal(['docx', 'json', 'md', 'rttm', 'srt', 'tsv', 'txt', 'vtt']);
    for (const [format, ref] of Object.entries(files)) {
      expect(ref!.path).to.equal(join(dir, 'out', `meeting.${format}`));
      expect(await verifyFile(ref!)).to.deep.equal({ ok: true });
    }
  });

  it('replaces the files it wrote atomically and leaves no temp files', async () => {
    const first = await exportAll({ formats: ['txt'] });
    merged.utterances[0]!.name = 'Anne';
    await writeFile(mergedPath, toJson(merged));
    const { result } = await exportAll({ formats: ['txt'] }, writtenBy(first.result.outputs.files));
    expect(await readFile(result.outputs.files.txt!.path, 'utf8')).to.match(/^\[00:00:00\] Anne: /);
    expect(await readdir(join(dir, 'out'))).to.deep.equal(['meeting.txt']);
  });

  it('keeps an export the user edited (or a file it never wrote) as a backup instead of overwriting it', async () => {
    const first = await exportAll({ formats: ['txt', 'srt'] });
    const txt = first.result.outputs.files.txt!.path;
    await writeFile(txt, 'my corrected transcript\n');
    const { result, events } = await exportAll({ formats: ['txt', 'srt'] }, writtenBy(first.result.outputs.files));
    const names = (await readdir(join(dir, 'out'))).sort();
    const backup = names.find((n) => /^meeting\.backup-\d{8}-\d{6}\.txt$/.test(n));
    expect(backup, names.join(', ')).to.be.a('string');
    expect(await readFile(join(dir, 'out', backup!), 'utf8')).to.equal('my corrected transcript\n');
    expect(await verifyFile(result.outputs.files.txt!)).to.deep.equal({ ok: true });
    expect(names.filter((n) => n.includes('backup')), 'the unchanged srt needs no backup').to.have.length(1);
    expect(events.some((e) => e.type === 'stage-log' && e.level === 'warn' && e.message.includes(backup!))).to.equal(true);
  });

  it('SRT parses back into subtitle-sized cues that each show the speaker', async () => {
    const { result } = await exportAll({ formats: ['srt'] });
    const cues = parseCues(await readFile(result.outputs.files.srt!.path, 'utf8'), 'srt');
    expect(cues.length).to.be.greaterThan(merged.utterances.length);
    const names = ['Anna', 'Ben <B&B>', 'SPEAKER_02'];
    let text = '';
    for (const cue of cues) {
      expect(cue.lines.length).to.be.at.most(2);
      for (const line of cue.lines) expect(line.length).to.be.at.most(42);
      expect(cue.end).to.be.greaterThan(cue.start);
      expect(cue.end - cue.start).to.be.at.most(6);
      const joined = cue.lines.join(' ');
      const name = names.find((n) => joined.startsWith(`${n}: `));
      expect(name, joined).to.not.equal(undefined);
      text += ' ' + joined.slice(name!.length + 2);
    }
    expect(text.trim()).to.equal(merged.utterances.map((u) => u.text).join(' '));
    for (let i = 1; i < cues.length; i++) expect(cues[i]!.start).to.be.at.least(cues[i - 1]!.end - 1e-9);
  });

  it('VTT parses back with <v Name> voice tags and escaped text', async () => {
    const { result } = await exportAll({ formats: ['vtt'] });
    const cues = parseCues(await readFile(result.outputs.files.vtt!.path, 'utf8'), 'vtt');
    const voices = new Set<string>();
    let text = '';
    for (const cue of cues) {
      const body = cue.lines.join(' ');
      const m = /^<v ([^>]+)>(.*)<\/v>$/.exec(body);
      expect(m, body).to.not.equal(null);
      expect(m![2]).to.not.include('<');
      const voice = unescapeXml(m![1]!);
      voices.add(voice);
      const shown = unescapeXml(m![2]!);
      expect(shown.startsWith(`${voice}: `)).to.equal(true);
      text += ' ' + shown.slice(voice.length + 2);
    }
    expect([...voices]).to.deep.equal(['Anna', 'Ben <B&B>', 'SPEAKER_02']);
    expect(text.trim()).to.equal(merged.utterances.map((u) => u.text).join(' '));
  });

  it('JSON is the canonical merged transcript', async () => {
    const { result } = await exportAll({ formats: ['json'] });
    const text = await readFile(result.outputs.files.json!.path, 'utf8');
    expect(JSON.parse(text)).to.deep.equal(merged);
    expect(text).to.equal(toJson(merged));
    // One utterance per line after the header.
    expect(text.trimEnd().split('\n')).to.have.length(merged.utterances.length + 2);
  });

  it('TXT has one "[hh:mm:ss] Name: text" line per utterance', async () => {
    const { result } = await exportAll({ formats: ['txt'] });
    const lines = (await readFile(result.outputs.files.txt!.path, 'utf8')).trimEnd().split('\n');
    expect(lines.map((l) => /^\[(\d\d:\d\d:\d\d)\] (.+?): (.*)$/.exec(l)!.slice(1))).to.deep.equal(merged.utterances.map((u) => [`00:00:${String(Math.floor(u.start)).padStart(2, '0')}`, u.name, u.text]));
  });

  it('Markdown has a heading with name and times per speaker turn', async () => {
    const { result } = await exportAll({ formats: ['md'] });
    const md = await readFile(result.outputs.files.md!.path, 'utf8');
    expect(md.startsWith('# meeting\n')).to.equal(true);
    const headings = md.split('\n').filter((l) => l.startsWith('### '));
    expect(headings).to.deep.equal(['### Anna · 00:00:00–00:00:06', '### Ben &lt;B&B> · 00:00:08–00:00:14', '### SPEAKER_02 · 00:00:15–00:00:15']);
    expect(md).to.include('Thank you. The new website went live on Monday & the traffic looks &lt;good>.');
  });

  it('RTTM lines have the ten NIST columns and parse back to the utterance turns', async () => {
    const { result } = await exportAll({ formats: ['rttm'] });
    const text = await readFile(result.outputs.files.rttm!.path, 'utf8');
    for (const line of text.trimEnd().split('\n')) expect(line.split(' ')).to.have.length(10);
    const turns = parseRttm(text, { file: 'meeting' });
    expect(turns.map((t) => t.speaker)).to.deep.equal(merged.utterances.map((u) => u.speaker));
    turns.forEach((t, i) => {
      expect(t.start).to.be.closeTo(merged.utterances[i]!.start, 0.0005);
      expect(t.end).to.be.closeTo(merged.utterances[i]!.end, 0.001);
    });
  });

  it('TSV has a header and five columns per utterance', async () => {
    const { result } = await exportAll({ formats: ['tsv'] });
    const rows = (await readFile(result.outputs.files.tsv!.path, 'utf8')).trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows[0]).to.deep.equal(['start', 'end', 'speaker', 'name', 'text']);
    expect(rows.slice(1).map((r) => [r[2], r[3], r[4]])).to.deep.equal(merged.utterances.map((u) => [u.speaker, u.name, u.text]));
  });

  it('DOCX opens as a zip whose document has bold speaker names and all the text', async () => {
    const { result } = await exportAll({ formats: ['docx'] });
    const { stdout } = await run('unzip', ['-p', result.outputs.files.docx!.path, 'word/document.xml'], { maxBuffer: 16 << 20 });
    const xml = stdout;
    for (const u of merged.utterances) {
      const name = u.name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      // The name sits in a bold run.
      expect(xml).to.match(new RegExp(`<w:r><w:rPr><w:b/><w:bCs/></w:rPr><w:t xml:space="preserve">${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</w:t></w:r>`));
    }
    const runs = [...xml.matchAll(/<w:t[^>]*>([^<]*)<\/w:t>/g)].map((m) => unescapeXml(m[1]!));
    for (const u of merged.utterances) expect(runs).to.include(u.text);
    expect(runs).to.include('  [00:00:08]');
  });

  it('fails with INPUT_MISSING and INPUT_INVALID for bad inputs', async () => {
    let error: unknown;
    try {
      await runStageForTest(exportStage, { dir, params: { transcript: join(dir, 'nope.json') } });
    } catch (e) {
      error = e;
    }
    expect(error).to.have.property('code', 'INPUT_MISSING');
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ format: 'spx-transcript', segments: [] }));
    error = undefined;
    try {
      await runStageForTest(exportStage, { dir, params: { transcript: join(dir, 'bad.json') } });
    } catch (e) {
      error = e;
    }
    expect(error).to.have.property('code', 'INPUT_INVALID');
    expect(error).to.have.property('hint').that.matches(/core\/merge/);
  });

  it('refuses to replace the merged transcript it reads', async () => {
    let error: unknown;
    try {
      await runStageForTest(exportStage, { dir, outDir: dir, inputStem: 'merged', params: { transcript: mergedPath, formats: ['json'] } });
    } catch (e) {
      error = e;
    }
    expect(error).to.have.property('code', 'INPUT_INVALID');
    expect(JSON.parse(await readFile(mergedPath, 'utf8'))).to.deep.equal(merged);
  });

  it('writes every format for a transcript without utterances', async () => {
    const empty: MergedTranscript = { ...merged, speakers: [], utterances: [] };
    await writeFile(mergedPath, toJson(empty));
    const { result } = await exportAll();
    expect(await readFile(result.outputs.files.txt!.path, 'utf8')).to.equal('');
    expect(await readFile(result.outputs.files.rttm!.path, 'utf8')).to.equal('');
    expect(await readFile(result.outputs.files.vtt!.path, 'utf8')).to.equal('WEBVTT\n');
    expect(JSON.parse(await readFile(result.outputs.files.json!.path, 'utf8'))).to.deep.equal(empty);
    const { stdout } = await run('unzip', ['-p', result.outputs.files.docx!.path, 'word/document.xml']);
    expect(stdout).to.include('>meeting</w:t>');
  });

  it('rejects unknown formats in params', async () => {
    let error: unknown;
    try {
      await runStageForTest(exportStage, { dir, params: { transcript: mergedPath, formats: ['pdf'] } });
    } catch (e) {
      error = e;
    }
    expect(error).to.have.property('code', 'PARAMS_INVALID');
  });
});

describe('stages/export/formats toJson', () => {
  it('round-trips text that looks like an utterance boundary', () => {
    const merged = sample();
    merged.utterances[0]!.text = 'odd },{"speaker": text';
    const text = toJson(merged);
    expect(JSON.parse(text)).to.deep.equal(merged);
    expect(text.trimEnd().split('\n')).to.have.length(merged.utterances.length + 2);
  });
});

describe('stages/export/cues', () => {
  it('never puts two speakers in one cue and respects the size limits', () => {
    const cues = buildCues(sample(), { maxLineChars: 30, maxLines: 2, maxCueSeconds: 3 });
    for (const c of cues) {
      expect(c.text.length + c.name.length + 2).to.be.at.most(60);
      expect(c.end - c.start).to.be.at.most(3 + 1e-9);
    }
    expect(cues.filter((c) => c.first).length).to.equal(sample().utterances.length);
  });

  it('divides segment-level utterances by character share', () => {
    const merged: MergedTranscript = {
      format: 'spx-merged',
      version: 1,
      speakers: [{ id: 'A', name: 'A' }],
      utterances: [{ speaker: 'A', name: 'A', start: 0, end: 10, text: 'aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll', words: [], overlapped: false }],
      source: { transcriptEngine: 't', timestamps: 'segment', assignment: 'segment', smoothing: false },
    };
    const cues = buildCues(merged, { maxLineChars: 20, maxLines: 1, maxCueSeconds: 10 });
    expect(cues.map((c) => c.text)).to.deep.equal(['aaaa bbbb cccc', 'dddd eeee ffff', 'gggg hhhh iiii', 'jjjj kkkk llll']);
    expect(cues[0]!.start).to.equal(0);
    expect(cues[3]!.end).to.be.closeTo(10, 1e-9);
    expect(cues[1]!.start).to.be.closeTo(2.5, 1e-9);
  });

  it('wraps text into balanced lines', () => {
    expect(wrapLines('Anna: one two three four five six seven', 30, 2)).to.deep.equal(['Anna: one two three', 'four five six seven']);
    expect(wrapLines('short', 30, 2)).to.deep.equal(['short']);
  });
});
