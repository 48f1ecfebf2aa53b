// spx ui benchmark, in Debian's chromium (playwright-core) against the real server:
//  1. runs list with 10,000 runs in a SQLite store: the server's index build (first answer), a
//     warm answer, a filtered search, and the browser's first render of the list;
//  2. transcript page of a 3-hour meeting (~30,000 words, 3 speakers): API answer, load until the
//     first utterances show, then frame times while scrolling the whole list and while playing
//     with the highlight following (a virtualised list keeps both near the display rate).
//   node --import tsx bench/ui.ts [runs=10000] [hours=3]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { sha256File } from '@spx/core';
import { openStore, type RunState } from '@spx/core/engine';
import { toJson, type MergedTranscript } from '@spx/core/formats';
import { startUiServer } from '../packages/ui/src/index.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/support/browser.js';

const RUNS = Number(process.argv[2] ?? 10_000);
const HOURS = Number(process.argv[3] ?? 3);
const WORK = fileURLToPath(new URL('./.work/ui/', import.meta.url));
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
const store = await openStore({ url: `sqlite://${join(WORK, 'state.sqlite')}`, ttlMs: 0 });
const STAGES = ['convert', 'diarize', 'transcribe', 'merge', 'export'];

/** A run state shaped like a standard-pipeline run's (five stages, artifacts, history). */
function runState(id: string, i: number, at: number, extra: Partial<RunState> = {}): RunState {
  const iso = new Date(at).toISOString();
  const stages = Object.fromEntries(
    STAGES.map((stage, k) => [
      stage,
      {
        stage, uses: `x/${stage}`, plugin: '@spx/plugin-x', pluginVersion: '0.1.0', fingerprint: `${k}`.repeat(64), params: { input: '${{ inputs.audio }}', option: k },
        upstream: {}, inputs: {}, status: 'completed' as const, outputs: {}, outputDigest: 'd'.repeat(64),
        artifacts: [{ name: `${stage}.json`, path: join(WORK, 'runs', id, stage, 'aaaaaaaaaaaa', `${stage}.json`), bytes: 1000 + i, sha256: 'e'.repeat(64) }],
        startedAt: iso, finishedAt: iso, durationMs: 100 * (k + 1), usage: k === 2 ? 30 : 0, paidCalls: k === 2 ? 12 : k === 1 ? 1 : 0,
      },
    ]),
  );
  return {
    schema: 'spx-run-state', schemaVersion: 1, id, input_file: `/recordings/${i % 7 === 0 ? 'board' : 'standup'}-${i}.wav`, input_hashes: { audio: 'a'.repeat(64) }, pipeline_id: i % 3 ? 'standard' : 'local',
    pipeline: { name: i % 3 ? 'standard' : 'local', version: '1.0.0', file: '/pipelines/standard.yaml', stages: STAGES }, created_at: iso, last_updated: iso,
    status: i % 17 === 0 ? 'failed' : i % 29 === 0 ? 'in_progress' : 'completed', completed_stages: STAGES, current_stage: null, failed_stage: null, error_message: null, out_dir: '/out',
    checkpoints: [], stages, metadata: { spx_version: '0.1.0', history: [{ at: iso, pipelineVersion: '1.0.0', status: 'completed', ran: STAGES, reused: [], durationMs: 4000 }, { at: iso, pipelineVersion: '1.0.0', status: 'completed', ran: ['export'], reused: STAGES.slice(0, 4), durationMs: 900 }] },
    ...extra,
  } as RunState;
}

console.log(`spx ui bench: ${RUNS} runs, a ${HOURS}-hour transcript; ${WORK}`);
let t = Date.now();
const now = Date.now();
for (let i = 0; i < RUNS; i++) {
  const id = i.toString(16).padStart(12, '0');
  await store.set(`run:${id}`, runState(id, i, now - i * 60_000));
  for (let k = 0; k < 3; k++) await store.set(`step:${id}:transcribe:${'1'.repeat(16)}:chunks/${k}`, { value: { text: 'chunk text' }, at: new Date(now).toISOString() });
}
console.log(`  store filled with ${RUNS} runs and ${RUNS * 3} sub-steps in ${((Date.now() - t) / 1000).toFixed(1)} s`);

// The long meeting: a merged transcript, its audio (3 h of near-silent 8 kbps MP3) as the input.
const words = Math.round(HOURS * 3600 * 2.8);
const speakers = ['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_02'];
const utterances: MergedTranscript['utterances'] = [];
const VOCAB = ['the', 'budget', 'for', 'next', 'quarter', 'is', 'on', 'track', 'and', 'we', 'should', 'ship', 'it', 'soon.'];
let clock = 0;
for (let w = 0, u = 0; w < words; u++) {
  const n = Math.min(words - w, 6 + ((u * 7) % 15));
  const ws = Array.from({ length: n }, (_, k) => ({ text: VOCAB[(w + k) % VOCAB.length]!, start: clock + k * 0.36, end: clock + k * 0.36 + 0.3, confidence: ((w + k) % 11) / 10 }));
  utterances.push({ speaker: speakers[u % 3]!, name: speakers[u % 3]!, start: clock, end: ws.at(-1)!.end, text: ws.map((x) => x.text).join(' '), words: ws, overlapped: false });
  clock = ws.at(-1)!.end + 0.5;
  w += n;
}
const scale = (HOURS * 3600 - 5) / clock;
for (const u of utterances) {
  u.start *= scale;
  u.end *= scale;
  for (const w of u.words) (w.start *= scale), (w.end *= scale);
}
const merged: MergedTranscript = { format: 'spx-merged', version: 1, language: 'en', duration: HOURS * 3600, speakers: speakers.map((id) => ({ id, name: id })), utterances, source: { transcriptEngine: 'bench', timestamps: 'word', assignment: 'word', smoothing: true } };
const longId = 'ffffffffffff';
const mergeDir = join(WORK, 'runs', longId, 'merge', 'bbbbbbbbbbbb');
mkdirSync(mergeDir, { recursive: true });
const mergedPath = join(mergeDir, 'merged.json');
writeFileSync(mergedPath, toJson(merged));
const audio = join(WORK, 'meeting-3h.mp3');
t = Date.now();
// One minute encoded, then repeated without re-encoding.
const minute = join(WORK, 'minute.mp3');
execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=8000:duration=60', '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '8k', minute]);
execFileSync('ffmpeg', ['-v', 'error', '-y', '-stream_loop', String(HOURS * 60 - 1), '-i', minute, '-c', 'copy', audio]);
console.log(`  ${HOURS} h audio made in ${((Date.now() - t) / 1000).toFixed(1)} s; ${utterances.length} utterances, ${words} words`);
const mergedRef = { kind: 'file', path: mergedPath, bytes: Buffer.byteLength(toJson(merged)), sha256: await sha256File(mergedPath) };
const long = runState(longId, 1, now + 60_000, { input_file: audio, input_hashes: { audio: await sha256File(audio) } });
long.stages.merge = { ...long.stages.merge!, uses: 'core/merge', outputs: { transcript: mergedRef }, artifacts: [{ name: 'merged.json', path: mergedPath, bytes: mergedRef.bytes, sha256: mergedRef.sha256 }] };
long.stages.export = { ...long.stages.export!, uses: 'core/export', params: { transcript: '${{ stages.merge.outputs.transcript }}' }, destination: { outDir: '/out', stem: 'meeting-3h' }, artifacts: [] };
await store.set(`run:${longId}`, long);

const server = await startUiServer({ store, storeUrl: store.url, workDir: WORK, port: 0, opener: { open: () => Promise.reject(new Error('no plans in the bench')), isShipped: () => false }, spx: { command: process.execPath, args: [] } });
const base = new URL(server.url).origin;
const headers = { Authorization: `Bearer ${server.token}` };
const timed = async (path: string) => {
  const started = performance.now();
  const res = await fetch(`${base}${path}`, { headers });
  const body = await res.arrayBuffer();
  return { ms: performance.now() - started, bytes: body.byteLength };
};
const cold = await timed('/api/runs?limit=100');
const warm: number[] = [];
for (let i = 0; i < 20; i++) warm.push((await timed('/api/runs?limit=100')).ms);
const search: number[] = [];
for (let i = 0; i < 10; i++) search.push((await timed('/api/runs?q=board&status=completed&limit=100')).ms);
console.log(`\nRuns list, ${RUNS + 1} runs:`);
console.log(`  first answer (index built from the store)   ${ms(cold.ms)}`);
console.log(`  warm answer, 100 rows (median of 20)        ${ms(median(warm))} (${(cold.bytes / 1024).toFixed(0)} KiB)`);
console.log(`  search + status filter (median of 10)       ${ms(median(search))}`);

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
await page.goto(server.url);
await page.locator('table.list tbody tr').first().waitFor();
const renders: number[] = [];
for (let i = 0; i < 5; i++) {
  const started = performance.now();
  await page.reload();
  await page.locator('table.list tbody tr').nth(99).waitFor();
  renders.push(performance.now() - started);
}
const paint = await page.evaluate(() => performance.getEntriesByType('paint').map((p) => `${p.name} ${p.startTime.toFixed(0)} ms`).join(', '));
console.log(`  page load to 100 rows drawn (median of 5)   ${ms(median(renders))}  (${paint})`);

const apiTranscript = await timed(`/api/runs/${longId}/transcript`);
console.log(`\nTranscript page, ${HOURS} h, ${utterances.length} utterances, ${words} words:`);
console.log(`  API answer                                  ${ms(apiTranscript.ms)} (${(apiTranscript.bytes / 1024 / 1024).toFixed(1)} MiB)`);
const loads: number[] = [];
for (let i = 0; i < 3; i++) {
  const started = performance.now();
  await page.goto(`${base}/#/runs/${longId}/transcript`);
  await page.reload();
  await page.locator('.utt').first().waitFor();
  loads.push(performance.now() - started);
}
console.log(`  page load to first utterances (median of 3) ${ms(median(loads))}`);
console.log(`  rows in the DOM (virtualised)               ${await page.locator('.utt').count()} of ${utterances.length}`);

/** Frame intervals while `action` runs in the page for `seconds` (a string: no bundler helpers in the page). */
const FRAMES = `async ({ action, seconds, pxPerSecond }) => {
  const list = document.querySelector('.vlist');
  const gaps = [];
  let last = performance.now();
  const end = last + seconds * 1000;
  await new Promise((resolve) => {
    function step(now) {
      gaps.push(now - last);
      last = now;
      if (action === 'scroll') list.scrollTop += (pxPerSecond || list.scrollHeight / seconds) / 60;
      if (now < end) requestAnimationFrame(step);
      else resolve();
    }
    requestAnimationFrame(step);
  });
  gaps.sort((a, b) => a - b);
  return { p50: gaps[Math.floor(gaps.length / 2)], p95: gaps[Math.floor(gaps.length * 0.95)], max: gaps[gaps.length - 1], long: gaps.filter((g) => g > 50).length, n: gaps.length };
}`;
type Frames = { p50: number; p95: number; max: number; long: number; n: number };
const frames = (p: Page, action: string, seconds: number, pxPerSecond = 0): Promise<Frames> => p.evaluate(`(${FRAMES})(${JSON.stringify({ action, seconds, pxPerSecond })})`) as Promise<Frames>;
const frameLine = (f: Frames) => `frame p50 ${ms(f.p50)}, p95 ${ms(f.p95)}, max ${ms(f.max)}, ${f.long} of ${f.n} frames over 50 ms`;
const flick = await frames(page, 'scroll', 4, 3000);
console.log(`  scrolling at 3,000 px/s for 4 s:             ${frameLine(flick)}`);
const sweep = await frames(page, 'scroll', 4);
console.log(`  scrolling the whole list in 4 s:             ${frameLine(sweep)}`);
await page.evaluate('(() => { const a = document.querySelector("audio"); a.currentTime = 5400; return a.play(); })()');
await page.waitForFunction(() => document.querySelector('.w.now') !== null, undefined, { timeout: 20_000 });
const first = await page.evaluate(() => document.querySelector('.w.now')?.getAttribute('data-w'));
const play = await frames(page, 'play', 4);
const then = (await page.evaluate('({ w: document.querySelector(".w.now")?.getAttribute("data-w"), t: document.querySelector("audio").currentTime })')) as { w: string; t: number };
console.log(`  playing from 1:30:00, highlight following:   ${frameLine(play)}; highlight ${first} → ${then.w} at ${then.t.toFixed(1)} s`);
await browser.close();
await server.close();
await store.close();
rmSync(WORK, { recursive: true, force: true });
