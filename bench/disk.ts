// Disk a run leaves behind, as a share of its input: MP3 128k, FLAC and WAV inputs (the shipped
// two-voice sample looped to --minutes, 44.1 kHz stereo) through pipelines/local.yaml and
// pipelines/standard.yaml (the latter against the fake OpenAI and pyannoteAI servers on
// 127.0.0.1), each with `spx run` in a fresh directory. Printed: the bytes of the store (SQLite
// file and its journal) and of the work dir (.spx/runs) after the run completed, as % of the input,
// and the peak of both together while it ran (sampled every 20 ms). Exports are not counted.
//   node --import tsx bench/disk.ts                          # 3 minutes, both pipelines, all inputs
//   node --import tsx bench/disk.ts --minutes 10 --pipelines standard --inputs mp3 --set convert.format=flac
//   node --import tsx bench/disk.ts --keep-intermediates     # what a run kept before pruning
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinaries } from '../packages/plugin-ffmpeg/src/index.js';
import { REPO, startSpx } from '../test/support/cli.js';
import { SAMPLE, startFakes } from '../test/support/standard.js';

const option = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const minutes = Number(option('minutes', '3'));
const pipelines = option('pipelines', 'local,standard').split(',');
const inputs = option('inputs', 'mp3,flac,wav').split(',');
const extra = [...(process.argv.includes('--keep-intermediates') ? ['--keep-intermediates'] : []), ...(process.argv.includes('--set') ? ['--set', option('set', '')] : [])];
const ENCODINGS: Record<string, string[]> = { mp3: ['-c:a', 'libmp3lame', '-b:a', '128k'], flac: ['-c:a', 'flac'], wav: ['-c:a', 'pcm_s16le'] };
// Fast polling for the fake diarization server: an execution param, it changes no stored byte.
const PIPELINE_SETS: Record<string, string[]> = { local: [], standard: ['--set', 'diarize.pollIntervalMs=20', '--set', 'diarize.maxPollIntervalMs=50'] };

/** Bytes of the regular files below `path` (0 when it does not exist). */
async function bytesIn(path: string): Promise<number> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) return 0;
  if (info.isFile()) return info.size;
  if (!info.isDirectory()) return 0;
  let total = 0;
  for (const name of await readdir(path).catch(() => [] as string[])) total += await bytesIn(join(path, name));
  return total;
}

async function storeBytes(dir: string): Promise<number> {
  const names = (await readdir(join(dir, '.spx')).catch(() => [] as string[])).filter((n) => n.startsWith('state.sqlite'));
  let total = 0;
  for (const name of names) total += await bytesIn(join(dir, '.spx', name));
  return total;
}

interface Row {
  pipeline: string;
  input: string;
  inputBytes: number;
  store: number;
  work: number;
  peak: number;
  seconds: number;
}

async function measure(pipeline: string, input: string, source: string, env: NodeJS.ProcessEnv): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'spx-bench-disk-'));
  try {
    const started = Date.now();
    const { done } = startSpx(['run', join(REPO, 'pipelines', `${pipeline}.yaml`), source, '--out', join(dir, 'out'), ...PIPELINE_SETS[pipeline]!, ...extra], { cwd: dir, env });
    let peak = 0;
    let finished = false;
    const sampling = (async () => {
      while (!finished) {
        peak = Math.max(peak, (await storeBytes(dir)) + (await bytesIn(join(dir, '.spx', 'runs'))));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const result = await done;
    finished = true;
    await sampling;
    if (result.code !== 0) throw new Error(`${pipeline} on ${input} exited ${result.code}: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    const store = await storeBytes(dir);
    const work = await bytesIn(join(dir, '.spx', 'runs'));
    return { pipeline, input, inputBytes: statSync(source).size, store, work, peak: Math.max(peak, store + work), seconds: (Date.now() - started) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sources = mkdtempSync(join(tmpdir(), 'spx-bench-disk-src-'));
const fakes = await startFakes();
try {
  const { ffmpeg } = findBinaries(process.env);
  const files = new Map<string, string>();
  for (const input of inputs) {
    const file = join(sources, `talk.${input}`);
    execFileSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-y', '-stream_loop', '-1', '-i', SAMPLE, '-t', String(minutes * 60), '-ar', '44100', '-ac', '2', ...ENCODINGS[input]!, file]);
    files.set(input, file);
  }
  console.log(`${minutes} min of the two-voice sample, 44.1 kHz stereo; ${extra.length ? `spx run ${extra.join(' ')}` : 'spx run with defaults'}; exports not counted`);
  console.log('');
  const header = `${'pipeline'.padEnd(10)} ${'input'.padEnd(10)} ${'size'.padStart(9)} ${'store'.padStart(9)} ${'work dir'.padStart(9)} ${'after'.padStart(8)} ${'peak'.padStart(8)} ${'time'.padStart(7)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;
  const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} %`;
  for (const pipeline of pipelines) {
    for (const input of inputs) {
      const r = await measure(pipeline, input, files.get(input)!, fakes.env);
      const label = input === 'mp3' ? 'MP3 128k' : input.toUpperCase();
      console.log(`${r.pipeline.padEnd(10)} ${label.padEnd(10)} ${kb(r.inputBytes).padStart(9)} ${kb(r.store).padStart(9)} ${kb(r.work).padStart(9)} ${pct(r.store + r.work, r.inputBytes).padStart(8)} ${pct(r.peak, r.inputBytes).padStart(8)} ${`${r.seconds.toFixed(0)} s`.padStart(7)}`);
    }
  }
  console.log('');
  console.log('after: store + work dir once the run completed, as % of the input; peak: the largest store + work dir seen while it ran.');
} finally {
  await fakes.close();
  rmSync(sources, { recursive: true, force: true });
}
