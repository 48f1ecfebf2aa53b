// Runs the quick benchmarks one after another (`pnpm bench`), each in its own process so their
// figures do not disturb each other, and says which failed. The long campaigns (fault-kill9,
// fault-report, quality, disk on the local pipeline) take minutes to tens of minutes: add --all to include them.
//   node --import tsx bench/run-all.ts [--all]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const QUICK = ['core-engine.ts', 'cli-startup.ts', 'merge-export.ts 1 10', 'ffmpeg-convert.ts', 'ffmpeg-chunk.ts', 'openai-chunks.ts', 'redact.ts', 'disk.ts --pipelines standard'];
const LONG = ['fault-report.ts', 'fault-kill9.ts --trials 20', 'quality.ts', 'ui.ts', 'disk.ts --pipelines local'];
const benches = process.argv.includes('--all') ? [...QUICK, ...LONG] : QUICK;
const dir = fileURLToPath(new URL('.', import.meta.url));
const failed: string[] = [];
for (const bench of benches) {
  const [file, ...args] = bench.split(' ');
  console.log(`\n=== bench/${bench}\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${file}`, ...args], { stdio: 'inherit' });
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s, exit ${result.status ?? result.signal})`);
  if (result.status !== 0) failed.push(bench);
}
console.log(failed.length ? `\n${failed.length} of ${benches.length} benchmarks failed: ${failed.join(', ')}` : `\nall ${benches.length} benchmarks ran`);
process.exitCode = failed.length ? 1 : 0;
