// ffmpeg/convert on a 60-minute recording vs the same ffmpeg command run directly.
// Source: 44.1 kHz stereo MP3 (128k) of a lavfi pattern (220 Hz sine + pink noise, 9 s on,
// 3 s silence), made once per run from a 5-minute base and looped with -c copy.
// Each case alternates direct / stage runs and reports medians; the stage time includes its
// probes, the fsync + atomic rename and the sha256 of the output that checkpoints need.
//   node --import tsx bench/ffmpeg-convert.ts                 # 60 min, 3 runs per side
//   node --import tsx bench/ffmpeg-convert.ts --minutes 20 --runs 5
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../packages/core/src/index.js';
import { runStageForTest } from '../packages/core/src/testing/index.js';
import plugin, { convertAudio, findBinaries } from '../packages/plugin-ffmpeg/src/index.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const minutes = arg('minutes', 60);
const runs = arg('runs', 3);
const { ffmpeg } = findBinaries();
const convert = plugin.stages['ffmpeg/convert']!;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

function makeSource(dir: string): string {
  const base = join(dir, 'base.mp3');
  const source = join(dir, 'source.mp3');
  const pattern = 'aevalsrc=0.4*sin(2*PI*220*t)*lt(mod(t\\,12)\\,9):s=44100:d=300';
  execFileSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', pattern, '-f', 'lavfi', '-i', 'anoisesrc=c=pink:a=0.05:r=44100:d=300', '-filter_complex', '[0][1]amix=inputs=2:normalize=0,aformat=channel_layouts=stereo', '-c:a', 'libmp3lame', '-b:a', '128k', base]);
  execFileSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-y', '-stream_loop', String(Math.ceil(minutes / 5) - 1), '-i', base, '-c', 'copy', '-t', String(minutes * 60), source]);
  return source;
}

interface Case {
  label: string;
  params: Record<string, unknown>;
  direct: string[];
  ext: string;
}

const cases: Case[] = [
  { label: 'MP3 -> 16 kHz mono WAV (default)', params: {}, direct: ['-ar', '16000', '-ac', '1', '-c:a', 'pcm_s16le', '-f', 'wav'], ext: 'wav' },
  { label: 'MP3 -> 16 kHz mono MP3 64k', params: { format: 'mp3', bitrate: '64k' }, direct: ['-ar', '16000', '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'], ext: 'mp3' },
];

const dir = mkdtempSync(join(tmpdir(), 'spx-bench-convert-'));
try {
  let start = process.hrtime.bigint();
  const source = makeSource(dir);
  console.log(`source: ${minutes} min, 44.1 kHz stereo MP3 128k, ${(statSync(source).size / 1e6).toFixed(1)} MB (made in ${(ms(start) / 1000).toFixed(1)} s)`);
  console.log(`ffmpeg: ${ffmpeg}; runs per side: ${runs}; node ${process.version}`);
  const rows: string[][] = [];
  for (const c of cases) {
    const direct: number[] = [];
    const stage: number[] = [];
    const library: number[] = [];
    for (let r = 0; r < runs; r++) {
      const out = join(dir, `direct.${c.ext}`);
      start = process.hrtime.bigint();
      const result = spawnSync(ffmpeg, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-map', '0:a:0', ...c.direct, out], { stdio: 'inherit' });
      if (result.status !== 0) throw new Error('direct ffmpeg failed');
      direct.push(ms(start));
      rmSync(out);

      const stageDir = join(dir, `stage-${r}`);
      const store = await openStore({ url: 'memory://' });
      start = process.hrtime.bigint();
      await runStageForTest(convert, { params: { input: source, ...c.params }, dir: stageDir, store });
      stage.push(ms(start));
      rmSync(stageDir, { recursive: true, force: true });

      const libOut = join(dir, `lib.${c.ext}`);
      start = process.hrtime.bigint();
      await convertAudio({ input: source, output: libOut, sampleRate: 16000, channels: 1, ...(c.params as object) });
      library.push(ms(start));
      rmSync(libOut);
    }
    const d = median(direct);
    const s = median(stage);
    const l = median(library);
    rows.push([c.label, (d / 1000).toFixed(2), (l / 1000).toFixed(2), (s / 1000).toFixed(2), (l / d).toFixed(3), (s / d).toFixed(3)]);
    console.log(`${c.label}: direct ${direct.map((x) => (x / 1000).toFixed(2)).join('/')} s, convertAudio ${library.map((x) => (x / 1000).toFixed(2)).join('/')} s, stage ${stage.map((x) => (x / 1000).toFixed(2)).join('/')} s`);
  }
  console.log('');
  console.log('| case | direct ffmpeg (s) | convertAudio (s) | ffmpeg/convert stage (s) | library / direct | stage / direct |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
