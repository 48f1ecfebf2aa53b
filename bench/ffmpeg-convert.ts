// ffmpeg/convert on a 60-minute recording vs the same ffmpeg command run directly.
// Source: 44.1 kHz stereo MP3 (128k) of a lavfi pattern (220 Hz sine + pink noise, 9 s on,
// 3 s silence), made once per run from a 5-minute base and looped with -c copy.
// Each case alternates direct / library / stage runs and reports medians of wall time and of
// CPU time (this process plus the ffmpeg/ffprobe children it reaped, from /proc/self/stat), as
// CPU time stays meaningful when other jobs load the machine. The stage time includes its
// probes, the fsync + atomic rename and the sha256 of the output that checkpoints need.
//   node --import tsx bench/ffmpeg-convert.ts                 # 60 min, 3 runs per side
//   node --import tsx bench/ffmpeg-convert.ts --minutes 20 --runs 5 --only wav
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../packages/core/src/engine.js';
import { runStageForTest } from '../packages/core/src/testing/index.js';
import plugin, { convertAudio, findBinaries } from '../packages/plugin-ffmpeg/src/index.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const minutes = arg('minutes', 60);
const runs = arg('runs', 3);
const { ffmpeg } = findBinaries(process.env);
const convert = plugin.stages['ffmpeg/convert']!;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

/** CPU seconds of this process and of its reaped children (utime + stime + cutime + cstime). */
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0) / 100;
}

interface Sample {
  wall: number;
  cpu: number;
}

async function measure(fn: () => Promise<void> | void): Promise<Sample> {
  const cpu = cpuSeconds();
  const start = process.hrtime.bigint();
  await fn();
  return { wall: ms(start) / 1000, cpu: cpuSeconds() - cpu };
}

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

const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
if (only) cases.splice(0, cases.length, ...cases.filter((c) => c.ext === only));

const dir = mkdtempSync(join(tmpdir(), 'spx-bench-convert-'));
try {
  const start = process.hrtime.bigint();
  const source = makeSource(dir);
  console.log(`source: ${minutes} min, 44.1 kHz stereo MP3 128k, ${(statSync(source).size / 1e6).toFixed(1)} MB (made in ${(ms(start) / 1000).toFixed(1)} s)`);
  console.log(`ffmpeg: ${ffmpeg}; runs per side: ${runs}; node ${process.version}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const rows: string[][] = [];
  for (const c of cases) {
    const direct: Sample[] = [];
    const stage: Sample[] = [];
    const library: Sample[] = [];
    for (let r = 0; r < runs; r++) {
      const out = join(dir, `direct.${c.ext}`);
      direct.push(
        await measure(() => {
          const result = spawnSync(ffmpeg, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-map', '0:a:0', ...c.direct, out], { stdio: 'inherit' });
          if (result.status !== 0) throw new Error('direct ffmpeg failed');
        }),
      );
      rmSync(out);

      const libOut = join(dir, `lib.${c.ext}`);
      library.push(await measure(() => convertAudio({ input: source, output: libOut, env: process.env, sampleRate: 16000, channels: 1, ...(c.params as object) })));
      rmSync(libOut);

      const stageDir = join(dir, `stage-${r}`);
      const store = await openStore({ url: 'memory://' });
      stage.push(await measure(async () => void (await runStageForTest(convert, { env: process.env, params: { input: source, ...c.params }, dir: stageDir, store }))));
      rmSync(stageDir, { recursive: true, force: true });
    }
    const show = (xs: Sample[]) => xs.map((x) => `${x.wall.toFixed(2)}/${x.cpu.toFixed(2)}`).join(' ');
    console.log(`${c.label} (wall/cpu s): direct ${show(direct)} | convertAudio ${show(library)} | stage ${show(stage)}`);
    const dw = median(direct.map((x) => x.wall));
    const dc = median(direct.map((x) => x.cpu));
    const lw = median(library.map((x) => x.wall));
    const lc = median(library.map((x) => x.cpu));
    const sw = median(stage.map((x) => x.wall));
    const sc = median(stage.map((x) => x.cpu));
    rows.push([c.label, `${dw.toFixed(2)} / ${dc.toFixed(2)}`, `${lw.toFixed(2)} / ${lc.toFixed(2)}`, `${sw.toFixed(2)} / ${sc.toFixed(2)}`, `${(sw / dw).toFixed(3)} / ${(sc / dc).toFixed(3)}`]);
  }
  console.log('');
  console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} (2 cores)`);
  console.log('| case | direct ffmpeg wall / CPU (s) | convertAudio wall / CPU (s) | ffmpeg/convert stage wall / CPU (s) | stage ÷ direct wall / CPU |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
