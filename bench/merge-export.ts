// Merge/export benchmark on synthetic meetings of 1 h, 10 h and 100 h (2.8 words/s,
// one speaker turn per ~6 s, 4 speakers, jittered diarization with some overlap).
// Each size runs in its own process so peak RSS is per size. Prints a table and the
// scaling ratios (10 h / 1 h, 100 h / 10 h: ~10 means linear), then the DER of the
// merged speaker turns with and without sentence smoothing.
//   node --import tsx bench/merge-export.ts            # 1, 10, 100 h
//   node --import tsx bench/merge-export.ts 1 10       # chosen sizes
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../packages/core/src/artifacts/atomic.js';
import { diarizationErrorRate } from '../packages/core/src/metrics/der.js';
import { parseRttm } from '../packages/core/src/formats/rttm.js';
import { EXPORT_FORMATS, render, toJson, type ExportFormat } from '../packages/core/src/stages/export/formats.js';
import { mergeTranscript } from '../packages/core/src/stages/merge.js';
import { mergedToTurns, type MergedTranscript } from '../packages/core/src/stages/merged.js';
import type { Diarization, Segment, SpeakerTurn, Transcript, Word } from '../packages/core/src/transcript/types.js';

interface Synthetic {
  transcript: Transcript;
  diarization: Diarization;
  truth: SpeakerTurn[];
}

const VOCAB = ['the', 'project', 'we', 'should', 'plan', 'next', 'week', 'budget', 'team', 'agree', 'customer', 'report', 'meeting', 'update', 'release', 'that', 'is', 'good', 'question', 'time'];

/** Deterministic meeting of `hours`: truth turns, words inside them, a jittered diarization. */
export function synthesize(hours: number, seed = 1): Synthetic {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const speakers = ['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_02', 'SPEAKER_03'];
  const total = hours * 3600;
  const truth: SpeakerTurn[] = [];
  const turns: SpeakerTurn[] = [];
  const exclusive: SpeakerTurn[] = [];
  const segments: Segment[] = [];
  let t = 0.5;
  let prev = -1;
  let words: Word[] = [];
  let texts: string[] = [];
  let sentenceLength = 0;
  const flushSegment = () => {
    if (words.length === 0) return;
    segments.push({ start: words[0]!.start, end: words[words.length - 1]!.end, text: ' ' + texts.join(' '), words });
    words = [];
    texts = [];
  };
  while (t < total) {
    let who = Math.floor(rand() * speakers.length);
    if (who === prev) who = (who + 1) % speakers.length;
    prev = who;
    const speaker = speakers[who]!;
    const duration = 1.5 + rand() * 9;
    const end = Math.min(total, t + duration);
    truth.push({ speaker, start: t, end });
    // Diarization: boundaries off by up to ±0.4 s; 1 turn in 8 has a 0.2–0.7 s blip of another
    // speaker (the kind of error sentence smoothing is for), cut out of the exclusive turns.
    const js = Math.max(exclusive.length ? exclusive[exclusive.length - 1]!.end : 0, t + (rand() - 0.5) * 0.8);
    const je = Math.max(js + 0.1, end + (rand() - 0.5) * 0.8);
    turns.push({ speaker, start: js, end: je });
    if (rand() < 0.125 && je - js > 3) {
      const bs = js + 1 + rand() * (je - js - 2.5);
      const blip = { speaker: speakers[(who + 1) % speakers.length]!, start: bs, end: bs + 0.2 + rand() * 0.5 };
      turns.push(blip);
      exclusive.push({ speaker, start: js, end: blip.start }, blip, { speaker, start: blip.end, end: je });
    } else exclusive.push({ speaker, start: js, end: je });
    // Words: 0.27 s each with 0.05 s gaps (~3 words/s in turns); a sentence every ~10 words; segments of ≤ 14 words.
    for (let w = t + 0.05; w + 0.27 <= end - 0.05; w += 0.32) {
      const word = VOCAB[Math.floor(rand() * VOCAB.length)]!;
      sentenceLength++;
      const endOfSentence = sentenceLength >= 6 + rand() * 8 || w + 0.59 > end - 0.05;
      words.push({ text: word, start: w, end: w + 0.27, confidence: Math.round((0.6 + rand() * 0.4) * 100) / 100 });
      texts.push(sentenceLength === 1 ? word[0]!.toUpperCase() + word.slice(1) + (endOfSentence ? '.' : '') : endOfSentence ? word + '.' : word);
      if (endOfSentence) sentenceLength = 0;
      if (words.length >= 14 || endOfSentence) flushSegment();
    }
    flushSegment();
    t = end + 0.2 + rand() * 0.8;
  }
  // Exclusive turns must not overlap; blips are overlap-only (in `turns`).
  turns.sort((a, b) => a.start - b.start);
  const transcript: Transcript = { format: 'spx-transcript', version: 1, engine: 'synthetic', language: 'en', timestamps: 'word', duration: total, segments };
  const diarization: Diarization = { format: 'spx-diarization', version: 1, engine: 'synthetic', turns, exclusiveTurns: exclusive, speakers, names: { SPEAKER_00: 'Anna', SPEAKER_01: 'Ben' } };
  return { transcript, diarization, truth };
}

interface Row {
  hours: number;
  words: number;
  turns: number;
  mergeMs: number;
  exportMs: Record<ExportFormat, number>;
  /** CPU time (user + system) of the merge part and of the whole process's work. */
  cpuMergeMs: number;
  cpuMs: number;
  rssMb: number;
}

/** Writes the synthetic inputs for `hours` into `dir`; returns word and turn counts. */
function prepare(hours: number, dir: string): { words: number; turns: number } {
  const { transcript, diarization } = synthesize(hours);
  writeFileSync(join(dir, 'transcript.json'), JSON.stringify(transcript));
  writeFileSync(join(dir, 'speakers.json'), JSON.stringify(diarization));
  return { words: transcript.segments.reduce((n, s) => n + (s.words?.length ?? 0), 0), turns: diarization.turns.length };
}

/** Runs in a fresh process: merge then export as the two stages do, timing each part. */
async function child(hours: number, dir: string, words: number, turns: number): Promise<void> {
  const cpu0 = process.cpuUsage();
  // Merge as the stage does: read, parse, merge, serialize, write atomically.
  let t0 = performance.now();
  let merged: MergedTranscript | undefined = mergeTranscript(JSON.parse(readFileSync(join(dir, 'transcript.json'), 'utf8')) as Transcript, JSON.parse(readFileSync(join(dir, 'speakers.json'), 'utf8')) as Diarization).merged;
  const mergedPath = join(dir, 'merged.json');
  await writeFileAtomic(mergedPath, toJson(merged));
  const mergeMs = performance.now() - t0;
  merged = undefined;
  const cpuMerge = process.cpuUsage(cpu0);

  // Export as the stage does: parse the merged file once, then render + atomic write per format.
  const text = readFileSync(mergedPath, 'utf8');
  const loaded = JSON.parse(text) as MergedTranscript;
  const exportMs = {} as Record<ExportFormat, number>;
  for (const format of EXPORT_FORMATS) {
    t0 = performance.now();
    await writeFileAtomic(join(dir, `meeting.${format}`), format === 'json' ? text : await render(format, loaded, { title: 'meeting' }));
    exportMs[format] = performance.now() - t0;
  }
  const cpu = process.cpuUsage(cpu0);
  const row: Row = { hours, words, turns, mergeMs, exportMs, cpuMergeMs: (cpuMerge.user + cpuMerge.system) / 1000, cpuMs: (cpu.user + cpu.system) / 1000, rssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(JSON.stringify(row) + '\n');
}

function smoothingDer(hours: number): { off: number; on: number; diarization: number } {
  const { transcript, diarization, truth } = synthesize(hours, 7);
  const der = (m: MergedTranscript) => diarizationErrorRate(truth, mergedToTurns(m)).der;
  return {
    diarization: diarizationErrorRate(truth, diarization.exclusiveTurns!).der,
    off: der(mergeTranscript(transcript, diarization, { smoothing: false }).merged),
    on: der(mergeTranscript(transcript, diarization, { smoothing: true }).merged),
  };
}

/** DER of merged turns on the shipped sample: pocketsphinx word times + reference turns, with and without errors. */
function sampleDer(): string[] {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const transcript = JSON.parse(readFileSync(join(root, 'packages/core/test/stages/fixtures/meeting.pocketsphinx.json'), 'utf8')) as Transcript;
  const reference = parseRttm(readFileSync(join(root, 'samples/meeting.ref.rttm'), 'utf8'));
  const shifts = [0.4, -0.35, 0.3, -0.4, 0.25, -0.3, 0.35, -0.25];
  const shifted = reference.map((t, i) => ({ ...t, start: t.start + shifts[i % 8]!, end: t.end + shifts[(i + 3) % 8]! }));
  const blips = (turns: SpeakerTurn[]) =>
    turns.flatMap((t) => {
      const mid = (t.start + t.end) / 2;
      return [{ ...t, end: mid - 0.2 }, { speaker: t.speaker === 'A' ? 'B' : 'A', start: mid - 0.2, end: mid + 0.3 }, { ...t, start: mid + 0.3 }];
    });
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  const lines: string[] = [];
  for (const [name, turns] of [['reference turns', reference], ['boundaries moved ≤ 0.4 s', shifted], ['0.5 s wrong-speaker blips', blips(reference)], ['moved + blips', blips(shifted)]] as const) {
    const diarization: Diarization = { format: 'spx-diarization', version: 1, engine: 'sample', turns, speakers: ['A', 'B'] };
    const der = (smoothing: boolean) => diarizationErrorRate(reference, mergedToTurns(mergeTranscript(transcript, diarization, { smoothing }).merged)).der;
    lines.push(`  ${name.padEnd(26)} turns ${pct(diarizationErrorRate(reference, turns).der).padStart(7)}   merged, smoothing off ${pct(der(false)).padStart(7)}   on ${pct(der(true)).padStart(7)}`);
  }
  return lines;
}

function main(): void {
  const args = process.argv.slice(2);
  if (args[0] === '--child') {
    void child(Number(args[1]), args[2]!, Number(args[3]), Number(args[4]));
    return;
  }
  const sizes = args.length > 0 ? args.map(Number) : [1, 10, 100];
  const self = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  for (const hours of sizes) {
    const dir = mkdtempSync(join(tmpdir(), 'spx-bench-'));
    try {
      const { words, turns } = prepare(hours, dir);
      const out = execFileSync(process.execPath, ['--import', 'tsx', '--max-old-space-size=8192', self, '--child', String(hours), dir, String(words), String(turns)], { encoding: 'utf8', maxBuffer: 1 << 20 });
      rows.push(JSON.parse(out.trim().split('\n').pop()!) as Row);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const fmt = (n: number) => (n < 10 ? n.toFixed(1) : Math.round(n).toString());
  const header = ['hours', 'words', 'turns', 'merge ms', ...EXPORT_FORMATS.map((f) => `${f} ms`), 'total ms', 'merge CPU ms', 'all CPU ms', 'RSS MB'];
  const total = (r: Row) => r.mergeMs + Object.values(r.exportMs).reduce((a, b) => a + b, 0);
  const lines = rows.map((r) => [String(r.hours), String(r.words), String(r.turns), fmt(r.mergeMs), ...EXPORT_FORMATS.map((f) => fmt(r.exportMs[f])), fmt(total(r)), fmt(r.cpuMergeMs), fmt(r.cpuMs), fmt(r.rssMb)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const print = (cells: string[]) => console.log(cells.map((c, i) => c.padStart(widths[i]!)).join('  '));
  console.log(`merge = read + parse + merge + write merged JSON; each format = render + atomic write (after one read + parse of the merged file, counted in "all CPU ms"; json copies the merged file's bytes). Wall times are from a machine with load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} CPUs; CPU ms (user + system) is less affected by other work.`);
  print(header);
  for (const l of lines) print(l);
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1]!;
    const b = rows[i]!;
    const ratio = (x: number, y: number) => (y / x).toFixed(1);
    console.log(`scaling ${b.hours} h / ${a.hours} h (words ×${ratio(a.words, b.words)}): merge ×${ratio(a.mergeMs, b.mergeMs)}, total ×${ratio(total(a), total(b))}, CPU ×${ratio(a.cpuMs, b.cpuMs)}, RSS ×${ratio(a.rssMb, b.rssMb)}`);
  }
  const d = smoothingDer(1);
  console.log(`DER vs synthetic truth (1 h, collar 0.25 s): exclusive diarization turns ${(d.diarization * 100).toFixed(2)} %, merged without smoothing ${(d.off * 100).toFixed(2)} %, with smoothing ${(d.on * 100).toFixed(2)} %`);
  console.log('DER on the shipped sample (samples/meeting.wav, pocketsphinx word times, collar 0.25 s):');
  for (const line of sampleDer()) console.log(line);
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly) main();
