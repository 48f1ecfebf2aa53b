// Kill -9 trials of the test-plugin pipeline (engine only, no real plugin) on any store URL:
// SIGKILL at a random moment, rerun until done, then check the output against a clean run and
// that no stage or paid sub-step whose checkpoint was saved ran again (the plugin's ledger).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, storeKeys, type RunState } from '@spx/core/engine';
import { textPipeline } from '../../packages/core/test/helpers.js';
import { startSpx } from './cli.js';

export const TEXT_DOC = 'the quick brown fox jumps over the lazy dog\n';
export const TEXT_EXPECTED = `${TEXT_DOC.toUpperCase()}!`;

export interface TextKillResult {
  kills: number;
  /** Pauses (SIGSTOP past the stale timeout, a contender started meanwhile, then SIGCONT). */
  pauses: number;
  output: string;
  repeated: string[];
  failures: string[];
}

/** Heartbeat age after which a lease on another host counts as stale, in pause trials (ms). */
export const PAUSE_STALE_MS = 400;

async function savedWork(url: string): Promise<Set<string>> {
  const store = await openStore({ url });
  try {
    const saved = new Set<string>();
    for await (const key of store.keys(storeKeys.runPrefix)) {
      const state = await store.get<RunState>(key);
      for (const stage of state?.completed_stages ?? []) saved.add(`stage:${stage}`);
    }
    for await (const key of store.keys('step:')) saved.add(`step:${key.split(':').at(-1)!.replace('part-', '')}`);
    return saved;
  } finally {
    await store.close();
  }
}

const workOf = (line: string) => {
  const [kind, stage, index] = line.split(':');
  return kind === 'step' ? `step:${index}` : `stage:${stage}`;
};

/**
 * One trial; `storeUrl` undefined = SQLite in the trial directory. The store must start empty.
 * With `pauseMs`, each killed run is first paused (SIGSTOP) at a random moment for longer than the
 * stale timeout, while a second `spx run` of the same input is started: it must refuse (the paused
 * holder is alive), and nothing may run twice.
 */
export async function textKillTrial(options: { storeUrl?: string; maxKills?: number; windowMs?: number; pauseMs?: number } = {}): Promise<TextKillResult> {
  const dir = await mkdtemp(join(tmpdir(), 'spx-kill-text-'));
  const ledger = join(dir, 'ledger.txt');
  const url = options.storeUrl ?? `sqlite://${join(dir, '.spx', 'state.sqlite')}`;
  const result: TextKillResult = { kills: 0, pauses: 0, output: '', repeated: [], failures: [] };
  try {
    await writeFile(join(dir, 'pipeline.yaml'), textPipeline({ delayMs: 80, steps: 6 }));
    await writeFile(join(dir, 'talk.md'), TEXT_DOC);
    await writeFile(ledger, '');
    const lines = async () => (await readFile(ledger, 'utf8')).split('\n').filter(Boolean);
    for (let attempt = 0; ; attempt++) {
      const killing = attempt < (options.maxKills ?? 2);
      const saved = await savedWork(url);
      const before = (await lines()).length;
      const env = { SPX_TEST_LEDGER: ledger, ...(options.pauseMs ? { SPX_LEASE_STALE_MS: String(PAUSE_STALE_MS) } : {}) };
      const args = ['run', 'pipeline.yaml', 'talk.md', '--store', url];
      const { child, done } = startSpx(args, { cwd: dir, env });
      const killAt = 200 + Math.floor(Math.random() * (options.windowMs ?? 1600));
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
                // Refused (RUN_LOCKED), or the holder had finished its work and released the run.
                if (contender.code !== 4 && contender.code !== 0) result.failures.push(`a second run during the pause exited ${contender.code ?? contender.signal}: ${(contender.stderr || contender.stdout).split('\n')[0]}`);
              })();
            }, Math.floor(Math.random() * killAt))
          : undefined;
      // With a pause, the kill comes that much later: after the holder was resumed.
      const timer = killing ? setTimeout(() => void (pausing ?? Promise.resolve()).then(() => child.kill('SIGKILL')), killAt) : undefined;
      const run = await done;
      clearTimeout(timer);
      clearTimeout(pauseTimer);
      await pausing;
      result.repeated.push(...(await lines()).slice(before).map(workOf).filter((w) => saved.has(w)));
      if (run.signal === 'SIGKILL') {
        result.kills++;
        continue;
      }
      if (run.code !== 0) result.failures.push(`exit ${run.code}: ${run.stderr.split('\n')[0]}`);
      break;
    }
    result.output = await readFile(join(dir, 'talk.txt'), 'utf8').catch(() => '');
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
