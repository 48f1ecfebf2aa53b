// One kill -9 trial of a pipeline through the CLI: start `spx run`, SIGKILL it at a random
// moment, rerun, repeat until a run completes; then compare the exports with a reference run
// byte for byte. Paid calls are counted on the fake servers (campaigns.ts): paid work answered
// again after its checkpoint was saved is a duplicate; a response the process received but had
// not saved when it was killed may legitimately be requested again and is not counted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSpx, type CliResult } from './cli.js';
import { CAMPAIGNS, type CampaignPipeline } from './campaigns.js';
import { diffOutputs, readOutputs, stateProblems, sqliteUrl } from './standard.js';

export type { CampaignPipeline } from './campaigns.js';

export interface KillTrialOptions {
  /** Reference exports of an uninterrupted run (see referenceRun). */
  reference: Map<string, Buffer>;
  /** Upper bound of the random kill delay, ms (about one uninterrupted run). */
  windowMs: number;
  /** Kills at most this many times before the final uninterrupted run (default 3). */
  maxKills?: number;
  /** Store URL; default a fresh SQLite file in the trial directory. Redis stores are flushed first. */
  storeUrl?: string;
  /** Which pipeline (default standard; see campaigns.ts). */
  pipeline?: CampaignPipeline;
  /** Fake server latency per paid answer, ms (default 80). */
  latencyMs?: number;
  /**
   * Pause each killed run (SIGSTOP) at a random moment before its kill for this long — set the
   * stale timeout below it — while a second `spx run` of the same input is started; then SIGCONT.
   */
  pauseMs?: number;
  /**
   * Once the run completed (and pruned its cheap files), run it again with these extra arguments
   * (e.g. `--from-stage transcribe`, which makes the pruned audio again and reuses every paid
   * sub-step), killed the same way, until that run completes too.
   */
  rerun?: string[];
  random?: () => number;
}

export interface KillTrialResult {
  kills: number;
  runs: number;
  /** Pauses, and second runs started meanwhile that did not refuse (exit 4) or finish (exit 0). */
  pauses: number;
  identical: boolean;
  differing: string[];
  /** Paid requests answered again after their checkpoint was saved. */
  duplicatePaid: number;
  /** Problems found in the saved state after each kill. */
  corrupt: string[];
  /** Unexpected failures (exit code other than 0 or a kill). */
  failures: string[];
  /** Exit code and the last lines of the last run's output, for diagnosis. */
  last: string;
}

const argsFor = (pipeline: CampaignPipeline) => CAMPAIGNS[pipeline].args;

const cachedReference = new Map<CampaignPipeline, ReturnType<typeof uncachedReferenceRun>>();

/** The exports of one uninterrupted run, made once per process and shared by the test files. */
export function referenceRun(pipeline: CampaignPipeline = 'standard'): ReturnType<typeof uncachedReferenceRun> {
  if (!cachedReference.has(pipeline)) cachedReference.set(pipeline, uncachedReferenceRun(pipeline));
  return cachedReference.get(pipeline)!;
}

async function uncachedReferenceRun(pipeline: CampaignPipeline): Promise<{ outputs: Map<string, Buffer>; wallMs: number; result: CliResult }> {
  const dir = await mkdtemp(join(tmpdir(), 'spx-ref-'));
  const fakes = await CAMPAIGNS[pipeline].start();
  try {
    const started = Date.now();
    const { done } = startSpx(argsFor(pipeline), { cwd: dir, env: fakes.env });
    const result = await done;
    const wallMs = Date.now() - started;
    if (result.code !== 0) throw new Error(`reference run failed (${result.code}): ${result.stderr || result.stdout}`);
    return { outputs: await readOutputs(join(dir, 'out')), wallMs, result };
  } finally {
    await fakes.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function killTrial(options: KillTrialOptions): Promise<KillTrialResult> {
  const random = options.random ?? Math.random;
  const dir = await mkdtemp(join(tmpdir(), 'spx-kill-std-'));
  const fakes = await CAMPAIGNS[options.pipeline ?? 'standard'].start(options.latencyMs);
  const storeUrl = options.storeUrl ?? sqliteUrl(dir);
  const env = { ...fakes.env, SPX_STORE: storeUrl, ...(options.pauseMs ? { SPX_LEASE_STALE_MS: String(Math.max(100, Math.floor(options.pauseMs / 3))) } : {}) };
  const result: KillTrialResult = { kills: 0, runs: 0, pauses: 0, identical: false, differing: [], duplicatePaid: 0, corrupt: [], failures: [], last: '' };
  try {
    const maxKills = options.maxKills ?? 3;
    // The first run until it completes; then, with `rerun`, the same with those arguments.
    for (const extra of [[], ...(options.rerun ? [options.rerun] : [])]) {
      for (let attempt = 0; ; attempt++) {
        const killing = attempt < maxKills;
        const duplicatesOfThisRun = await fakes.beforeRun(storeUrl);
        const args = [...argsFor(options.pipeline ?? 'standard'), ...extra];
        const { child, done } = startSpx(args, { cwd: dir, env });
        const killAt = Math.floor(random() * options.windowMs);
        let pausing: Promise<void> | undefined;
        const pauseTimer =
          killing && options.pauseMs
            ? setTimeout(() => {
                if (child.exitCode !== null || child.signalCode !== null) return;
                child.kill('SIGSTOP');
                result.pauses++;
                pausing = (async () => {
                  await new Promise((r) => setTimeout(r, options.pauseMs));
                  const contender = await startSpx(args, { cwd: dir, env }).done;
                  child.kill('SIGCONT');
                  if (contender.code !== 4 && contender.code !== 0) result.failures.push(`a second run during a pause exited ${contender.code ?? contender.signal}: ${(contender.stderr || contender.stdout).split('\n')[0]}`);
                })();
              }, Math.floor(random() * killAt))
            : undefined;
        const timer = killing ? setTimeout(() => void (pausing ?? Promise.resolve()).then(() => child.kill('SIGKILL')), killAt) : undefined;
        const run = await done;
        clearTimeout(timer);
        clearTimeout(pauseTimer);
        await pausing;
        result.runs++;
        result.last = `exit ${run.code ?? run.signal}: ${(run.stdout + run.stderr).trim().split('\n').slice(-6).join(' | ')}`;
        result.duplicatePaid += duplicatesOfThisRun();
        if (run.signal === 'SIGKILL') {
          result.kills++;
          result.corrupt.push(...(await stateProblems(storeUrl)).map((p) => `after kill ${result.kills}: ${p}`));
          continue;
        }
        if (run.code !== 0) {
          result.failures.push(`run ${result.runs} exited ${run.code}: ${(run.stderr || run.stdout).split('\n').slice(0, 3).join(' | ')}`);
          if (!killing) break;
          continue;
        }
        break;
      }
    }
    const outputs = await readOutputs(join(dir, 'out'));
    result.differing = diffOutputs(options.reference, outputs);
    result.identical = result.differing.length === 0 && result.failures.length === 0;
    if (process.env.SPX_KEEP_FAILED && !result.identical) console.log(`kept ${dir}`);
    return result;
  } finally {
    await fakes.close();
    if (!(process.env.SPX_KEEP_FAILED && !result.identical)) await rm(dir, { recursive: true, force: true });
  }
}
