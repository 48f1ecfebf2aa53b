// Kill -9 campaign, full mode: the standard pipeline through the CLI against the fake API
// servers, SIGKILLed at random moments (up to 3 times per trial), rerun until it completes; the
// exports are compared byte for byte with an uninterrupted run, the fake servers count paid
// requests repeated after their checkpoint was saved, and the store is checked after every kill.
// With --pipeline local, the offline pipeline (pocketsphinx is deterministic too; no API, so no
// paid calls to count). Each of its runs takes tens of seconds: use a few trials. --pipeline
// pyannote-stt, deepgram, assemblyai or elevenlabs runs that vendor's pipeline against its fake
// server (test/support/campaigns.ts says how each counts duplicate paid calls).
// The kill moment is uniform over [0, window]; the window defaults to the reference run's wall
// time (pass --window MS when the machine's load differs from the reference run's).
// With --pause MS, each killed run is first paused (SIGSTOP) for MS, with the lease stale timeout set
// to a third of it, while a second `spx run` of the same input starts; it must refuse (the paused
// holder lives) or find the work done, and then the holder continues (SIGCONT) until its kill.
// With --rerun "ARGS", each trial continues once its run completed (and pruned its cheap files):
// the same command plus ARGS (e.g. "--from-stage transcribe": the pruned audio is made again and
// every paid sub-step reused) is killed the same way until it completes too.
// Run: node --import tsx bench/fault-kill9.ts [--trials 200] [--parallel 2] [--kills 3] [--store redis] [--pipeline local|pyannote-stt|deepgram|assemblyai|elevenlabs] [--window MS] [--pause MS] [--rerun ARGS]
// Target: every trial identical, 0 duplicate paid calls, 0 corrupt states.
import { mapPool } from '@spx/core';
import { CAMPAIGNS } from '../test/support/campaigns.js';
import { killTrial, referenceRun, type CampaignPipeline } from '../test/support/kill9.js';
import { redisAvailable, startRedis, type RedisServer } from '../test/support/redis.js';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const trials = Number(flag('trials', '200'));
const parallel = Number(flag('parallel', '2'));
const maxKills = Number(flag('kills', '3'));
const backend = flag('store', 'sqlite');
const pipeline = flag('pipeline', 'standard') as CampaignPipeline;
if (!Object.hasOwn(CAMPAIGNS, pipeline)) throw new Error(`--pipeline must be one of ${Object.keys(CAMPAIGNS).join(', ')}`);
const pauseMs = Number(flag('pause', '0'));
const rerun = flag('rerun', '').split(' ').filter(Boolean);

const started = Date.now();
const reference = await referenceRun(pipeline);
const windowMs = Number(flag('window', String(reference.wallMs)));
console.log(`reference run of ${pipeline}: ${reference.outputs.size} exports in ${(reference.wallMs / 1000).toFixed(1)} s; ${trials} trials, ${backend === 'redis' ? 1 : parallel} at a time (${backend === 'redis' ? 'one Redis server, flushed between trials' : 'a fresh SQLite store per trial'}), up to ${maxKills} kills each within ${(windowMs / 1000).toFixed(1)} s${rerun.length ? `, then again with ${rerun.join(' ')} (as many kills)` : ''}`);

let redis: RedisServer | undefined;
if (backend === 'redis') {
  if (!redisAvailable()) throw new Error('redis-server is not installed (scripts/setup.sh installs it)');
  redis = await startRedis();
}

let done = 0;
const totals = { identical: 0, kills: 0, runs: 0, pauses: 0, duplicatePaid: 0, corrupt: 0, failures: 0 };
const notes: string[] = [];
try {
  await mapPool(Array.from({ length: trials }, (_, i) => i), redis ? 1 : parallel, async (i) => {
    redis?.flush();
    const r = await killTrial({ pipeline, reference: reference.outputs, windowMs, maxKills, ...(pauseMs ? { pauseMs } : {}), ...(rerun.length ? { rerun } : {}), ...(redis ? { storeUrl: redis.url } : {}) });
    done++;
    totals.identical += r.identical ? 1 : 0;
    totals.kills += r.kills;
    totals.runs += r.runs;
    totals.pauses += r.pauses;
    totals.duplicatePaid += r.duplicatePaid;
    totals.corrupt += r.corrupt.length;
    totals.failures += r.failures.length;
    if (!r.identical || r.duplicatePaid > 0 || r.corrupt.length > 0) {
      notes.push(`trial ${i}: identical=${r.identical} differing=[${r.differing.join(',')}] duplicatePaid=${r.duplicatePaid} corrupt=${r.corrupt.join('; ')} failures=${r.failures.join('; ')}`);
      console.log(notes.at(-1));
    }
    if (done % 10 === 0 || done === trials) console.log(`  ${done}/${trials}: ${totals.identical} identical, ${totals.kills} kills, ${totals.duplicatePaid} duplicate paid calls, ${totals.corrupt} corrupt states`);
  });
} finally {
  await redis?.stop();
}

console.log('');
console.log(`trials:               ${trials}`);
console.log(`kills:                ${totals.kills} (${totals.runs} runs)`);
if (pauseMs) console.log(`pauses:               ${totals.pauses} of ${pauseMs} ms, each with a second run meanwhile`);
console.log(`identical outputs:    ${totals.identical}/${trials}`);
console.log(`duplicate paid calls: ${totals.duplicatePaid}`);
console.log(`corrupt states found: ${totals.corrupt}`);
console.log(`unexpected failures:  ${totals.failures}`);
console.log(`wall time:            ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exitCode = totals.identical === trials && totals.duplicatePaid === 0 && totals.corrupt === 0 ? 0 : 1;
