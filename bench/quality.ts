// Quality of the offline pipeline (pipelines/local.yaml) on the shipped samples, measured as a
// user gets it: `spx run pipelines/local.yaml <sample>` in a fresh store, then
//   WER of the exported transcript against samples/<name>.ref.txt, beside pocketsphinx run
//       directly on the whole file and the empty transcript;
//   DER (0.25 s collar) against samples/<name>.ref.rttm of local/diarize's RTTM (the speaker
//       turns) and of the exported RTTM (turns rebuilt from the merged words, so it also
//       depends on what the recogniser found), beside everything-one-speaker over the whole
//       file and over the detected speech.
// Targets on the two-speaker sample: WER ≤ pocketsphinx on the whole file; DER < ½ one-speaker.
//   node --import tsx bench/quality.ts                 # meeting and panel
//   node --import tsx bench/quality.ts meeting         # chosen samples
// Exit code 1 when a target is missed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SpeakerTurn } from '@spx/core';
import { parseRttm } from '@spx/core/formats';
import { diarizationErrorRate, wordErrorRate } from '@spx/core/metrics';
import { recognizeFile, type SpeechSegments } from '@spx/plugin-local';

const root = fileURLToPath(new URL('..', import.meta.url));
const samples = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['meeting', 'panel'];

interface Row {
  sample: string;
  seconds: number;
  werLocal: number;
  werWhole: number;
  werEmpty: number;
  derLocal: number;
  derExport: number;
  derOneWhole: number;
  derOneSpeech: number;
  speakers: string;
  runSeconds: number;
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function runPipeline(input: string, dir: string): number {
  const started = Date.now();
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'packages/cli/bin/run.js'), 'run', join(root, 'pipelines/local.yaml'), input, '--out', join(dir, 'out'), '--store', `sqlite://${join(dir, 'state.sqlite')}`, '--work-dir', join(dir, 'work')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return (Date.now() - started) / 1000;
}

/** The artifact `name` a stage wrote under the run's work directory. */
function findArtifact(dir: string, name: string): string {
  const out = execFileSync('find', [join(dir, 'work'), '-name', name], { encoding: 'utf8' }).trim().split('\n')[0];
  if (!out) throw new Error(`the run wrote no ${name}`);
  return readFileSync(out, 'utf8');
}

async function measure(name: string): Promise<Row> {
  const input = join(root, 'samples', `${name}.wav`);
  const refText = readFileSync(join(root, 'samples', `${name}.ref.txt`), 'utf8');
  const refTurns = parseRttm(readFileSync(join(root, 'samples', `${name}.ref.rttm`), 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'spx-quality-'));
  try {
    const runSeconds = runPipeline(input, dir);
    const merged = JSON.parse(readFileSync(join(dir, 'out', `${name}.json`), 'utf8')) as { utterances: Array<{ text: string }>; duration?: number };
    const hypText = merged.utterances.map((u) => u.text).join(' ');
    const exportTurns = parseRttm(readFileSync(join(dir, 'out', `${name}.rttm`), 'utf8'));
    const hypTurns = parseRttm(findArtifact(dir, 'diarization.rttm'));
    const speech = JSON.parse(findArtifact(dir, 'segments.json')) as SpeechSegments;
    const whole = (await recognizeFile(input, { env: process.env })).flatMap((u) => u.words.map((w) => w.text)).join(' ');
    const one = (turns: Array<{ start: number; end: number }>): SpeakerTurn[] => turns.map((t) => ({ speaker: 'ONE', start: t.start, end: t.end }));
    const refSpeakers = new Set(refTurns.map((t) => t.speaker)).size;
    const hypSpeakers = new Set(hypTurns.map((t) => t.speaker)).size;
    return {
      sample: name,
      seconds: speech.duration,
      werLocal: wordErrorRate(refText, hypText).wer,
      werWhole: wordErrorRate(refText, whole).wer,
      werEmpty: wordErrorRate(refText, '').wer,
      derLocal: diarizationErrorRate(refTurns, hypTurns).der,
      derExport: diarizationErrorRate(refTurns, exportTurns).der,
      derOneWhole: diarizationErrorRate(refTurns, one([{ start: 0, end: speech.duration }])).der,
      derOneSpeech: diarizationErrorRate(refTurns, one(speech.speech)).der,
      speakers: `${hypSpeakers}/${refSpeakers}`,
      runSeconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const name of samples) rows.push(await measure(name));

console.log(`local pipeline quality (load average ${loadavg()[0]!.toFixed(1)}; DER collar 0.25 s)`);
const header = ['sample', 'audio', 'WER local', 'WER ps whole file', 'WER empty', 'DER local/diarize', 'DER export', 'DER one spk (file)', 'DER one spk (speech)', 'speakers', 'run'];
const table = rows.map((r) => [r.sample, `${r.seconds.toFixed(1)} s`, pct(r.werLocal), pct(r.werWhole), pct(r.werEmpty), pct(r.derLocal), pct(r.derExport), pct(r.derOneWhole), pct(r.derOneSpeech), r.speakers, `${r.runSeconds.toFixed(1)} s`]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(line(header));
for (const row of table) console.log(line(row));

let failed = false;
for (const r of rows) {
  const werOk = r.werLocal <= r.werWhole;
  const derOk = r.derLocal < Math.min(r.derOneWhole, r.derOneSpeech) / 2;
  console.log(`${r.sample}: WER ${werOk ? 'meets' : 'MISSES'} target (≤ pocketsphinx on the whole file); DER ${derOk ? 'meets' : 'MISSES'} target (< half the one-speaker baseline)`);
  if (r.sample === 'meeting' && (!werOk || !derOk)) failed = true;
}
process.exitCode = failed ? 1 : 0;
