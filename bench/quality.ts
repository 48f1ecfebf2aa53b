// Quality of the offline pipeline (pipelines/local.yaml), measured as a user gets it: for every
// recording, `spx run pipelines/local.yaml <file>` in a fresh store, then
//   WER of the exported VTT (cue text, speaker labels removed) against the reference, beside the
//       raw engine — pocketsphinx_continuous on the whole 16 kHz file, run here in the same run;
//   DER (0.25 s collar) of the exported RTTM and of local/diarize's own RTTM, and the number of
//       speakers found.
// WER uses @spx/core's one standard normalisation (numbers, contractions, titles, hyphens,
// hesitations), for the raw engine and the pipeline alike.
//
// Recordings: the synthetic samples (samples/meeting.wav, samples/panel.wav; espeak-ng voices)
// and the development set of real speech in SPX_DEV_SET (default: <repo>/../shared/data/real,
// see its SOURCES.md). Without the dev set the bench says so and scores the two real recordings
// shipped in samples/ (copies of two dev-set files) in its place.
//
// Targets, on every dev-set file: local WER ≤ raw WER, pooled local ≤ 0.95 × pooled raw;
// single-speaker files give one speaker and DER ≤ 5 %; conversations DER ≤ 10 %.
//   node --import tsx bench/quality.ts                  # samples + dev set
//   node --import tsx bench/quality.ts conv01 meeting   # recordings whose name starts so
//   node --import tsx bench/quality.ts --markdown       # also print the README table
// Exit code 1 when a target is missed.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpeakerTurn } from '@spx/core';
import { parseRttm } from '@spx/core/formats';
import { diarizationErrorRate, wordErrorRate, type DerResult, type WerResult } from '@spx/core/metrics';
import { recognizeFile, type SpeechSegments } from '@spx/plugin-local';

const root = fileURLToPath(new URL('..', import.meta.url));
const devDir = resolve(process.env.SPX_DEV_SET ?? join(root, '..', 'shared', 'data', 'real'));
const argv = process.argv.slice(2);
const markdown = argv.includes('--markdown');
const filters = argv.filter((a) => !a.startsWith('--'));

interface Recording {
  name: string;
  set: 'synthetic' | 'dev' | 'shipped';
  audio: string;
  reference: string;
  /** Reference speaker turns; undefined: one speaker, no segment reference. */
  rttm?: string;
  speakers: number;
}

interface Row {
  rec: Recording;
  seconds: number;
  local: WerResult;
  raw: WerResult;
  derExport: DerResult;
  derDiarize: DerResult;
  /** The DER reference is the detected speech as one speaker (no segment reference exists). */
  derConfusionOnly: boolean;
  speakersFound: number;
  runSeconds: number;
  /** CPU seconds of the run and everything it started (undefined without /usr/bin/time). */
  cpuSeconds?: number;
}

function recordings(): Recording[] {
  const sample = (name: string, file: string, set: Recording['set']): Recording => ({
    name,
    set,
    audio: join(root, 'samples', file),
    reference: join(root, 'samples', `${name}.ref.txt`),
    rttm: join(root, 'samples', `${name}.ref.rttm`),
    speakers: new Set(parseRttm(readFileSync(join(root, 'samples', `${name}.ref.rttm`), 'utf8')).map((t) => t.speaker)).size,
  });
  const list: Recording[] = [sample('meeting', 'meeting.wav', 'synthetic'), sample('panel', 'panel.wav', 'synthetic')];
  const manifest = join(devDir, 'manifest.json');
  if (!existsSync(manifest)) {
    console.log(`dev set not found at ${devDir} (set SPX_DEV_SET to the directory holding manifest.json); scoring the synthetic samples and the real recordings shipped in samples/`);
    list.push(sample('conversation', 'conversation.flac', 'shipped'), sample('monologue', 'monologue.flac', 'shipped'));
  } else {
    const items = JSON.parse(readFileSync(manifest, 'utf8')) as Array<{ name: string; rttm: string | null; speakers: string[] }>;
    for (const item of items) {
      list.push({
        name: item.name,
        set: 'dev',
        audio: join(devDir, `${item.name}_16k.wav`),
        reference: join(devDir, `${item.name}.txt`),
        ...(item.rttm ? { rttm: join(devDir, item.rttm) } : {}),
        speakers: item.speakers.length,
      });
    }
  }
  return filters.length === 0 ? list : list.filter((r) => filters.some((f) => r.name.startsWith(f)));
}

/** Runs the pipeline; wall seconds, and CPU seconds (user + system, children included) when /usr/bin/time exists. */
function runPipeline(input: string, dir: string): { wall: number; cpu?: number } {
  const args = [process.execPath, '--import', 'tsx', join(root, 'packages/cli/bin/run.js'), 'run', join(root, 'pipelines/local.yaml'), input, '--out', join(dir, 'out'), '--store', `sqlite://${join(dir, 'state.sqlite')}`, '--work-dir', join(dir, 'work')];
  const timed = existsSync('/usr/bin/time');
  const times = join(dir, 'time.txt');
  const started = Date.now();
  const result = spawnSync(timed ? '/usr/bin/time' : args[0]!, timed ? ['-f', '%U %S', '-o', times, ...args] : args.slice(1), { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const wall = (Date.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`spx run failed on ${input} (exit ${result.status})`);
  if (!timed) return { wall };
  const [user, system] = readFileSync(times, 'utf8').trim().split(/\s+/).slice(-2).map(Number);
  return { wall, cpu: user! + system! };
}

/** The artifact `name` a stage wrote under the run's work directory. */
function findArtifact(dir: string, name: string): string {
  const out = execFileSync('find', [join(dir, 'work'), '-name', name], { encoding: 'utf8' }).trim().split('\n')[0];
  if (!out) throw new Error(`the run wrote no ${name}`);
  return readFileSync(out, 'utf8');
}

/** The words of a WebVTT file: cue text without ids, timings, voice tags or "Name: " prefixes. */
function vttText(vtt: string): string {
  const words: string[] = [];
  for (const block of vtt.split(/\r?\n\r?\n/)) {
    const lines = block.split(/\r?\n/);
    const timing = lines.findIndex((l) => l.includes('-->'));
    if (timing < 0) continue;
    const text = lines.slice(timing + 1).join(' ');
    const voice = /<v(?:\.[^ >]*)? ([^>]+)>/.exec(text)?.[1];
    let plain = text.replace(/<[^>]+>/g, '').trim();
    if (voice && plain.startsWith(`${voice}: `)) plain = plain.slice(voice.length + 2);
    words.push(plain);
  }
  return words.join(' ');
}

async function measure(rec: Recording): Promise<Row> {
  const refText = readFileSync(rec.reference, 'utf8');
  const dir = mkdtempSync(join(tmpdir(), 'spx-quality-'));
  try {
    const run = runPipeline(rec.audio, dir);
    const stem = basename(rec.audio).replace(/\.[^.]+$/, '');
    const hypText = vttText(readFileSync(join(dir, 'out', `${stem}.vtt`), 'utf8'));
    const exportTurns = parseRttm(readFileSync(join(dir, 'out', `${stem}.rttm`), 'utf8'));
    const diarizeTurns = parseRttm(findArtifact(dir, 'diarization.rttm'));
    const speech = JSON.parse(findArtifact(dir, 'segments.json')) as SpeechSegments;
    const raw = (await recognizeFile(rec.audio, { env: process.env })).flatMap((u) => u.words.map((w) => w.text)).join(' ');
    const refTurns: SpeakerTurn[] = rec.rttm ? parseRttm(readFileSync(rec.rttm, 'utf8')) : speech.speech.map((r) => ({ speaker: 'ONE', start: r.start, end: r.end }));
    return {
      rec,
      seconds: speech.duration,
      local: wordErrorRate(refText, hypText),
      raw: wordErrorRate(refText, raw),
      derExport: diarizationErrorRate(refTurns, exportTurns),
      derDiarize: diarizationErrorRate(refTurns, diarizeTurns),
      derConfusionOnly: !rec.rttm,
      speakersFound: new Set(diarizeTurns.map((t) => t.speaker)).size,
      runSeconds: run.wall,
      ...(run.cpu !== undefined ? { cpuSeconds: run.cpu } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const errors = (w: WerResult): number => w.substitutions + w.deletions + w.insertions;
const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

const rows: Row[] = [];
for (const rec of recordings()) rows.push(await measure(rec));

console.log(`local pipeline quality (${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(1)}; DER collar 0.25 s)`);
const header = ['recording', 'set', 'audio', 'speakers', 'WER local', 'WER raw', 'DER export', 'DER diarize', 'speaker error', 'speakers found', 'run', 'CPU'];
const star = (r: Row): string => (r.derConfusionOnly ? '*' : '');
const cells = rows.map((r) => [
  r.rec.name,
  r.rec.set,
  `${r.seconds.toFixed(1)} s`,
  String(r.rec.speakers),
  pct(r.local.wer),
  pct(r.raw.wer),
  `${pct(r.derExport.der)}${star(r)}`,
  `${pct(r.derDiarize.der)}${star(r)}`,
  pct(r.derDiarize.total > 0 ? r.derDiarize.confusion / r.derDiarize.total : 0),
  String(r.speakersFound),
  `${r.runSeconds.toFixed(1)} s`,
  r.cpuSeconds === undefined ? '-' : `${r.cpuSeconds.toFixed(1)} s`,
]);
const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
const line = (c: string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ');
console.log(line(header));
for (const row of cells) console.log(line(row));
console.log('* no segment reference: DER against the detected speech as one speaker (speaker errors only)');
console.log('DER export: the exported RTTM (turns rebuilt from the merged words); DER diarize: local/diarize\'s own turns; speaker error: its confusion share');

/** "missed 1.8 s, false alarm 0.7 s, speaker error 0.0 s". */
const breakdown = (d: DerResult): string => `missed ${d.missed.toFixed(1)} s, false alarm ${d.falseAlarm.toFixed(1)} s, speaker error ${d.confusion.toFixed(1)} s of ${d.total.toFixed(1)} s`;

let failed = false;
for (const set of ['synthetic', 'shipped', 'dev'] as const) {
  const part = rows.filter((r) => r.rec.set === set);
  if (part.length === 0) continue;
  const words = part.reduce((a, r) => a + r.local.referenceWords, 0);
  const local = part.reduce((a, r) => a + errors(r.local), 0);
  const raw = part.reduce((a, r) => a + errors(r.raw), 0);
  const audio = part.reduce((a, r) => a + r.seconds, 0);
  const run = part.reduce((a, r) => a + r.runSeconds, 0);
  const cpu = part.every((r) => r.cpuSeconds !== undefined) ? part.reduce((a, r) => a + r.cpuSeconds!, 0) : undefined;
  console.log(`${set}: pooled WER local ${pct(local / words)}, raw ${pct(raw / words)} (ratio ${(local / raw).toFixed(3)}, ${words} words); ${audio.toFixed(0)} s of audio in ${run.toFixed(0)} s (real-time factor ${(run / audio).toFixed(2)}${cpu === undefined ? '' : `; CPU ${cpu.toFixed(0)} s, ${(cpu / audio).toFixed(2)} CPU-s per audio s`})`);
  if (set === 'synthetic') continue;
  if (set === 'dev' && local > 0.95 * raw) {
    console.log(`dev: pooled WER MISSES the target (local ≤ 0.95 × raw)`);
    failed = true;
  }
  for (const r of part) {
    const misses: string[] = [];
    if (errors(r.local) > errors(r.raw)) misses.push(`WER ${pct(r.local.wer)} > raw ${pct(r.raw.wer)}`);
    if (r.rec.speakers === 1 && r.speakersFound !== 1) misses.push(`single speaker: ${r.speakersFound} speakers found`);
    if (r.rec.speakers === 1 && r.derExport.der > 0.05) misses.push(`single speaker: DER export ${pct(r.derExport.der)} > 5 % (${breakdown(r.derExport)}; diarize ${pct(r.derDiarize.der)}: ${breakdown(r.derDiarize)})`);
    if (r.rec.speakers > 1 && r.derExport.der > 0.1) misses.push(`conversation: DER export ${pct(r.derExport.der)} > 10 % (${breakdown(r.derExport)})`);
    if (misses.length > 0) {
      console.log(`${r.rec.name}: MISSES ${misses.join('; ')}`);
      failed = true;
    }
  }
}

if (markdown) {
  console.log('\n| recording | audio | speakers | WER local | WER raw pocketsphinx | DER export | DER local/diarize | speakers found |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.rec.name}${r.rec.set === 'synthetic' ? ' (synthetic)' : ''} | ${r.seconds.toFixed(1)} s | ${r.rec.speakers} | ${pct(r.local.wer)} | ${pct(r.raw.wer)} | ${pct(r.derExport.der)}${star(r)} | ${pct(r.derDiarize.der)}${star(r)} | ${r.speakersFound} |`);
}
process.exitCode = failed ? 1 : 0;
