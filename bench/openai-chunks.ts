// openai/transcribe on a 2-hour file against the fake OpenAI server with a fixed
// per-request latency: wall time with concurrency 1 vs 4, and bytes uploaded vs the WAV.
// The audio is a lavfi pattern (220 Hz sine + pink noise, 9 s on / 3 s digital silence),
// 16 kHz mono 16-bit WAV, so the silence detector finds cut points like in speech.
//   node --import tsx bench/openai-chunks.ts                     # 2 h, 8000 ms latency
//   node --import tsx bench/openai-chunks.ts --hours 0.5 --latency 2000 --runs flac-c1,flac-c4,opus-c4
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStageContext } from '../packages/core/src/runner/context.js';
import { openStore } from '../packages/core/src/engine.js';
import { prepareParams } from '../packages/core/src/testing/index.js';
import { transcribeStage, type TranscribeParams } from '../packages/plugin-openai/src/index.js';
import { startFakeOpenAI } from '../packages/plugin-openai/src/testing/index.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const hours = arg('hours', 2);
const latencyMs = arg('latency', 8000);
const runsArg = process.argv.indexOf('--runs');
const chosen = (runsArg >= 0 ? process.argv[runsArg + 1]! : 'flac-c1,flac-c4,mp3-c4').split(',');
const maxDuration = arg('max-duration', 600);

interface Measure {
  label: string;
  totalMs: number;
  uploadMs: number;
  chunks: number;
  uploadedBytes: number;
}

async function runOnce(label: string, audio: string, baseURL: string, apiKey: string, params: Record<string, unknown>, dir: string): Promise<Measure> {
  const store = await openStore({ url: 'memory://' });
  let uploadsFrom = 0;
  const { ctx } = createStageContext({
    store,
    run: { id: `bench-${label}`, outDir: join(dir, 'out'), inputStem: 'bench', pipeline: { name: 'bench', version: '0', file: join(dir, 'p.yaml') } },
    stageId: 'transcribe',
    pluginName: '@spx/plugin-openai',
    fingerprint: `bench-${label}`,
    params: prepareParams(transcribeStage, { audio, baseURL, maxDuration, ...params }) as unknown as TranscribeParams,
    artifactsDir: join(dir, label),
    signal: new AbortController().signal,
    env: { ...process.env, OPENAI_API_KEY: apiKey },
    // The first progress event comes right after planning (probe + silence detection).
    emit: (event) => {
      if (event.type === 'stage-progress' && event.progress.done === 0) uploadsFrom = performance.now();
    },
  });
  const t0 = performance.now();
  const result = await transcribeStage.run(ctx);
  const t1 = performance.now();
  await store.close();
  const meta = result.metadata as { pieces: number; uploadedBytes: number };
  return { label, totalMs: t1 - t0, uploadMs: t1 - uploadsFrom, chunks: meta.pieces, uploadedBytes: meta.uploadedBytes };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spx-bench-openai-'));
  try {
    const seconds = Math.round(hours * 3600);
    const wav = join(dir, 'long.wav');
    const g0 = performance.now();
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `sine=f=220:r=16000:d=${seconds}`, '-f', 'lavfi', '-i', `anoisesrc=c=pink:r=16000:a=0.05:d=${seconds}`, '-filter_complex', "[0][1]amix=inputs=2,volume='if(lt(mod(t,12),9),1,0)':eval=frame", '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', wav]);
    const wavBytes = statSync(wav).size;
    console.log(`generated ${hours} h 16 kHz mono WAV (${mb(wavBytes)} MB) in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
    const fake = await startFakeOpenAI({ latencyMs });
    const runs: Measure[] = [];
    try {
      const known: Record<string, Record<string, unknown>> = {
        'flac-c1': { concurrency: 1 },
        'flac-c4': { concurrency: 4 },
        'mp3-c4': { concurrency: 4, chunkFormat: 'mp3' },
        'opus-c4': { concurrency: 4, chunkFormat: 'opus' },
      };
      for (const label of chosen) {
        const params = known[label];
        if (!params) throw new Error(`unknown run "${label}"; use ${Object.keys(known).join(', ')}`);
        const m = await runOnce(label, wav, fake.baseURL, fake.apiKey, params, dir);
        runs.push(m);
        console.log(`${label.padEnd(8)} chunks ${m.chunks}  total ${(m.totalMs / 1000).toFixed(1)} s  uploads ${(m.uploadMs / 1000).toFixed(1)} s  uploaded ${mb(m.uploadedBytes)} MB (${((100 * m.uploadedBytes) / wavBytes).toFixed(1)} % of the WAV)`);
      }
    } finally {
      await fake.close();
    }
    console.log(`\nlatency ${latencyMs} ms per request, maxDuration ${maxDuration} s`);
    const c1 = runs.find((r) => r.label === 'flac-c1');
    const c4 = runs.find((r) => r.label === 'flac-c4');
    if (c1 && c4) console.log(`speed-up concurrency 4 vs 1: total ${(c1.totalMs / c4.totalMs).toFixed(2)}x, upload phase ${(c1.uploadMs / c4.uploadMs).toFixed(2)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

await main();
