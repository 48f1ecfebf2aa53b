// ffmpeg/chunk on a 3-hour recording: wall time, chunk count, where the cuts fell, and peak
// memory of this Node process (sampled RSS and getrusage maxRSS) and of the ffmpeg children.
// The audio never passes through Node: ffmpeg reads the file, Node reads only ffmpeg's text.
// Source: 16 kHz mono WAV of a lavfi pattern (220 Hz sine + pink noise; 10 s on, 1.5 s digital
// silence), a 10-minute base looped with -c copy.
//   node --import tsx bench/ffmpeg-chunk.ts                   # 3 h, default limits (600 s / 24 MB)
//   node --import tsx bench/ffmpeg-chunk.ts --hours 1 --max-duration 300 --concurrency 2
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../packages/core/src/engine.js';
import { runStageForTest } from '../packages/core/src/testing/index.js';
import plugin, { findBinaries } from '../packages/plugin-ffmpeg/src/index.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const hours = arg('hours', 3);
const maxDuration = arg('max-duration', 600);
const concurrency = arg('concurrency', 1);
const { ffmpeg } = findBinaries(process.env);
const chunk = plugin.stages['ffmpeg/chunk']!;
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

function makeSource(dir: string): string {
  const base = join(dir, 'base.wav');
  const source = join(dir, 'source.wav');
  const pattern = 'aevalsrc=0.4*sin(2*PI*220*t)*lt(mod(t\\,11.5)\\,10):s=16000:d=600';
  execFileSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', pattern, '-f', 'lavfi', '-i', 'anoisesrc=c=pink:a=0.05:r=16000:d=600', '-filter_complex', '[0][1]amix=inputs=2:normalize=0,volume=enable=\'gte(mod(t,11.5),10)\':volume=0', '-ac', '1', '-c:a', 'pcm_s16le', base]);
  execFileSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-y', '-stream_loop', String(Math.ceil((hours * 60) / 10) - 1), '-i', base, '-c', 'copy', '-t', String(hours * 3600), source]);
  return source;
}

/** Samples this process's RSS and the summed RSS of ffmpeg children working in `dir`. */
function memorySampler(dir: string) {
  let nodePeak = process.memoryUsage().rss;
  let ffmpegPeak = 0;
  const timer = setInterval(() => {
    nodePeak = Math.max(nodePeak, process.memoryUsage().rss);
    let sum = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) continue;
        const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        if (rss && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(process.execPath)) sum += Number(rss[1]) * 1024;
      } catch {
        // gone
      }
    }
    ffmpegPeak = Math.max(ffmpegPeak, sum);
  }, 25);
  return {
    stop() {
      clearInterval(timer);
      return { nodePeak, ffmpegPeak };
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'spx-bench-chunk-'));
try {
  let t = performance.now();
  const source = makeSource(dir);
  const bytes = statSync(source).size;
  console.log(`source: ${hours} h, 16 kHz mono WAV, ${mb(bytes)} MiB (made in ${((performance.now() - t) / 1000).toFixed(1)} s); node ${process.version}`);
  const store = await openStore({ url: 'memory://' });
  const params = { input: source, maxDuration, concurrency };
  const rssBefore = process.memoryUsage().rss;

  const sampler = memorySampler(dir);
  t = performance.now();
  const first = await runStageForTest(chunk, { env: process.env, params, dir: join(dir, 'stage'), store });
  const firstMs = performance.now() - t;
  const peaks = sampler.stop();
  const chunks = first.result.outputs.chunks as Array<{ start: number; end: number; file: { bytes: number } }>;
  const meta = first.result.metadata ?? {};

  t = performance.now();
  const second = await runStageForTest(chunk, { env: process.env, params, dir: join(dir, 'stage'), store });
  const resumeMs = performance.now() - t;
  const reused = second.events.filter((e) => e.type === 'step-reused').length;

  const maxRss = process.resourceUsage().maxRSS * 1024;
  const lengths = chunks.map((c) => c.end - c.start);
  console.log('');
  console.log('| figure | value |');
  console.log('|---|---|');
  console.log(`| input | ${hours} h, ${mb(bytes)} MiB WAV |`);
  console.log(`| chunk limit | ${maxDuration} s / 24 000 000 B; concurrency ${concurrency} |`);
  console.log(`| chunks | ${chunks.length} (${String(meta.cutsInSilence)} cuts in silence, ${String(meta.hardCuts)} hard) |`);
  console.log(`| chunk length | ${Math.min(...lengths).toFixed(3)}–${Math.max(...lengths).toFixed(3)} s; sum ${lengths.reduce((a, b) => a + b, 0).toFixed(3)} s |`);
  console.log(`| largest chunk file | ${mb(Math.max(...chunks.map((c) => c.file.bytes)))} MiB |`);
  console.log(`| first run (probe + silencedetect + cut + hash) | ${(firstMs / 1000).toFixed(2)} s |`);
  console.log(`| rerun, all chunks verified and reused | ${(resumeMs / 1000).toFixed(2)} s (${reused} sub-steps reused) |`);
  console.log(`| Node RSS before / peak during run | ${mb(rssBefore)} / ${mb(peaks.nodePeak)} MiB |`);
  console.log(`| Node maxRSS (getrusage, whole bench) | ${mb(maxRss)} MiB |`);
  console.log(`| ffmpeg children peak RSS | ${mb(peaks.ffmpegPeak)} MiB |`);
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
