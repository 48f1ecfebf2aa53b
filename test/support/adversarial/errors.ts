// Adversarial cases (see index.ts): errors that must not lie. A fault raised while a stage's
// references resolve, a plugin that breaks the stage contract (a rejection nobody awaits, a throw
// in a timer, a promise that never settles, process.exit), an unusable --out, and signals while
// waiting for a lock: each gets a coded one-line error, its own exit code and a run state that
// says what happened — and completed work is kept.
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openStore, type RunState } from '@spx/core/engine';
import { textPipeline } from '../../../packages/core/test/helpers.js';
import { DOC, FAULT_PLUGIN, PIPE, canMount, mount, umount, type BadCase, type CaseContext, type CaseOutcome } from '../bad-inputs.js';
import { startSpx, type CliResult } from '../cli.js';

/** T plus a `bad` stage of the fault plugin (needs read and steps, so completed work is at stake). */
function withMisbehaving(mode: string): string {
  return `${textPipeline({ steps: 3 }).replace(/plugins: \["([^"]+)"\]/, `plugins: ["$1", "${FAULT_PLUGIN}"]`)}  bad:\n    uses: fault/misbehave\n    with: { from: "\${{ stages.read.outputs.text }}", mode: ${mode} }\n    needs: [steps]\n`;
}

/** The run state of the case's (only) run in the default store. */
async function runState(ctx: CaseContext): Promise<RunState | undefined> {
  const store = await openStore({ url: `sqlite://${join(ctx.dir, '.spx', 'state.sqlite')}` });
  try {
    const { listRuns } = await import('@spx/core/engine');
    return (await listRuns(store))[0];
  } finally {
    await store.close();
  }
}

/**
 * Runs T with a misbehaving stage, then checks the run state names the failure and that a rerun
 * with the stage fixed completes without repeating completed work.
 */
function misbehaving(id: string, mode: string, code: number, message: RegExp): BadCase {
  return {
    id,
    group: 'errors',
    code,
    message,
    async run(ctx) {
      await ctx.write(PIPE, withMisbehaving(mode));
      const result = await ctx.spx(['run', PIPE, DOC]);
      const saved = await ctx.ledger();
      const problems: string[] = [];
      const state = await runState(ctx);
      if (state?.status !== 'failed' || state.failed_stage !== 'bad') problems.push(`run state says status ${state?.status}, failed stage ${state?.failed_stage} (expected failed in "bad")`);
      if (result.stdout.includes('interrupted') || /ABORTED/.test(result.stderr)) problems.push('reported as an interruption');
      await ctx.write(PIPE, withMisbehaving('none'));
      const rerun = await ctx.spx(['run', PIPE, DOC]);
      const again = (await ctx.ledger()).slice(saved.length);
      return { result, problems, repeated: again.filter((l) => saved.includes(l) && !l.startsWith('misbehave:')), recovered: rerun.code === 0 };
    },
  };
}

/** Holds the run with a slow first process, then signals a second one that is waiting for the lock. */
function signalWhileWaiting(id: string, signal: NodeJS.Signals, code: number): BadCase {
  return {
    id,
    group: 'errors',
    code,
    message: /RUN_LOCKED|[Ii]nterrupted|[Tt]erminated|ABORTED/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline({ delayMs: 300, steps: 8 }));
      const env = { SPX_TEST_LEDGER: join(ctx.dir, 'ledger.txt') };
      const holder = startSpx(['run', PIPE, DOC], { cwd: ctx.dir, env });
      await until(async () => (await ctx.ledger()).length > 0);
      // The holder is paused while the waiter starts and waits, so however slow the machine, the
      // lock is still held (a paused process on this host keeps its lease) when the signal comes.
      holder.child.kill('SIGSTOP');
      const waiter = startSpx(['run', PIPE, DOC, '--wait', '60'], { cwd: ctx.dir, env });
      let printed = '';
      waiter.child.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
      waiter.child.stderr!.on('data', (d: Buffer) => (printed += d.toString()));
      let result: CliResult;
      let sawWait: boolean;
      try {
        sawWait = await until(async () => /waiting for it/i.test(printed), 60_000).then(() => true, () => false);
        waiter.child.kill(signal);
        result = await waiter.done;
      } finally {
        holder.child.kill('SIGCONT');
      }
      const held = await holder.done;
      const problems = held.code === 0 ? [] : [`the holder exited ${held.code}`];
      if (!sawWait) problems.push('the waiting run never said it was waiting for the lock');
      return { result, problems, line: result.stderr.split('\n').map((l) => l.trim()).find((l) => /error|[A-Z_]{4,}:|Interrupted|Terminated/.test(l)) ?? '' };
    },
  };
}

async function until(check: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A run whose --out cannot take exports must stop before any stage runs. */
async function noWorkDone(ctx: CaseContext, result: CliResult): Promise<CaseOutcome> {
  const ran = await ctx.ledger();
  return { result, problems: ran.length ? [`stages ran before the unusable --out was reported: ${ran.join(', ')}`] : [] };
}

export const ERROR_CASES: BadCase[] = [
  {
    id: 'errors: json output where a file is expected',
    group: 'errors',
    code: 2,
    message: /PARAMS_INVALID.*exclaim/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline().replace('from: "${{ stages.read.outputs.text }}", suffix', 'from: "${{ stages.read.outputs.length }}", suffix'));
      const result = await ctx.spx(['run', PIPE, DOC, '--debug']);
      const state = await runState(ctx);
      const problems = state?.status === 'failed' ? [] : [`run state left ${state?.status}`];
      if (!/PARAMS_INVALID/.test(result.stderr + result.stdout)) problems.push('PARAMS_INVALID not reported');
      return { result, problems };
    },
  },
  misbehaving('errors: plugin leaves a promise rejection unhandled', 'unhandled-rejection', 1, /bad.*background upload failed/),
  misbehaving('errors: plugin throws inside a timer', 'timer-throw', 1, /bad.*Cannot read properties of undefined/),
  misbehaving('errors: plugin returns a promise that never settles', 'never-settles', 1, /bad.*never settle/),
  misbehaving('errors: plugin calls process.exit(0)', 'exit-0', 1, /bad.*process\.exit\(0\)/),
  misbehaving('errors: plugin calls process.exit(3)', 'exit-3', 1, /bad.*process\.exit\(3\)/),
  misbehaving('errors: plugin calls process.exit from a timer', 'exit-in-timer', 1, /bad.*process\.exit\(0\)/),
  misbehaving('errors: plugin throws a string', 'throw-string', 1, /bad.*the vendor SDK threw a string/),
  misbehaving('errors: plugin throws null', 'throw-null', 1, /bad.*null/),
  misbehaving('errors: plugin overflows the stack', 'deep-recursion', 1, /bad.*call stack/),
  misbehaving('errors: plugin error with a stack-like multi-line message', 'multiline-error', 1, /bad.*first line of a long vendor error/),
  {
    id: 'errors: --out is a file',
    group: 'errors',
    code: 2,
    message: /--out.*notadir.*not a directory/,
    async run(ctx) {
      await ctx.write('notadir', 'a regular file\n');
      return noWorkDone(ctx, await ctx.spx(['run', PIPE, DOC, '--out', 'notadir']));
    },
  },
  {
    id: 'errors: --out inside a file',
    group: 'errors',
    code: 2,
    message: /--out.*notadir/,
    async run(ctx) {
      await ctx.write('notadir', 'a regular file\n');
      return noWorkDone(ctx, await ctx.spx(['run', PIPE, DOC, '--out', 'notadir/sub']));
    },
  },
  {
    id: 'errors: --out on a read-only file system',
    group: 'errors',
    code: 3,
    message: /--out.*read-only/,
    skip: () => (process.getuid?.() === 0 && !canMount() ? 'needs a read-only mount (root without mount permission)' : undefined),
    async run(ctx) {
      const ro = join(ctx.dir, 'ro');
      await mkdir(ro);
      const asRoot = process.getuid?.() === 0;
      if (asRoot) mount(ro, 'ro,size=64k');
      else await chmod(ro, 0o555);
      try {
        return { ...(await noWorkDone(ctx, await ctx.spx(['run', PIPE, DOC, '--out', 'ro']))), note: asRoot ? 'read-only tmpfs mount' : 'chmod 555' };
      } finally {
        if (asRoot) umount(ro);
        else await chmod(ro, 0o755);
      }
    },
  },
  signalWhileWaiting('errors: SIGTERM while waiting for a lock', 'SIGTERM', 143),
  signalWhileWaiting('errors: SIGINT while waiting for a lock', 'SIGINT', 130),
  {
    id: 'errors: plugin crash with --json',
    group: 'errors',
    code: 1,
    message: /bad/,
    async run(ctx) {
      await ctx.write(PIPE, withMisbehaving('timer-throw'));
      const result = await ctx.spx(['run', PIPE, DOC, '--json']);
      const last = result.stdout.trim().split('\n').at(-1) ?? '';
      const problems: string[] = [];
      let summary: { results?: Array<{ status?: string; error?: { code?: string; message?: string } }> } = {};
      try {
        summary = JSON.parse(last) as typeof summary;
      } catch {
        problems.push(`the last stdout line is not the JSON summary: ${last.slice(0, 120)}`);
      }
      const first = summary.results?.[0];
      if (first?.status !== 'failed' || !first.error?.code) problems.push(`summary says ${JSON.stringify(first)?.slice(0, 200)}`);
      return { result, problems, line: first?.error ? `${first.error.code}: ${first.error.message}` : last };
    },
  },
  {
    id: 'errors: plugin calls process.exit while loading',
    group: 'errors',
    code: 2,
    message: /PLUGIN_INVALID.*exits\.ts.*process\.exit/,
    async run(ctx) {
      await ctx.write('exits.ts', "process.exit(0);\nexport default {};\n");
      await ctx.write(PIPE, textPipeline().replace(/plugins: \["([^"]+)"\]/, 'plugins: ["$1", "./exits.ts"]'));
      return { result: await ctx.spx(['run', PIPE, DOC]) };
    },
  },
  {
    id: 'errors: failure recorded for a crash is shown by checkpoints show',
    group: 'errors',
    code: 1,
    message: /bad.*background upload failed/,
    async run(ctx) {
      await ctx.write(PIPE, withMisbehaving('unhandled-rejection'));
      const result = await ctx.spx(['run', PIPE, DOC]);
      const state = await runState(ctx);
      const shown = state ? await ctx.spx(['checkpoints', 'show', state.id, '--no-plan']) : undefined;
      const problems = shown && /failed/.test(shown.stdout) && /background upload failed/.test(shown.stdout) ? [] : [`checkpoints show does not say what failed: ${shown?.stdout.slice(0, 300)}`];
      return { result, problems };
    },
  },
];

