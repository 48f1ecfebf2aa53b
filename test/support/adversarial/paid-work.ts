// Adversarial cases (see index.ts): everyday actions that must never lose paid work or pay twice.
// Editing, moving or deleting an export; two inputs (or two pipelines) that would write the same
// exports; identical inputs in one batch; a lease holder that is paused, a zombie, or taken over;
// a failed attempt with other params; inputs edited mid-run or replaced behind the hash cache; the
// store deleted mid-run; two pipeline files with one name. `text/steps` sub-steps are the paid calls.
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdir, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listRuns, openStore, storeKeys, type Lease, type RunState } from '@spx/core/engine';
import { textPipeline } from '../../../packages/core/test/helpers.js';
import { DOC, FAULT_PLUGIN, PIPE, type BadCase, type CaseContext, type CaseOutcome } from '../bad-inputs.js';
import { startSpx, type CliResult } from '../cli.js';

const T = textPipeline({ steps: 3 });
const EXPORT = 'talk.txt';

async function until(check: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function paidLines(lines: string[]): string[] {
  return lines.filter((l) => l.startsWith('step:'));
}

/** Runs T once (must succeed) and returns the ledger so far. */
async function firstRun(ctx: CaseContext, args: string[] = [], yaml = T): Promise<string[]> {
  await ctx.write(PIPE, yaml);
  const first = await ctx.spx(['run', PIPE, DOC, ...args]);
  if (first.code !== 0) throw new Error(`first run exited ${first.code}: ${first.stderr}`);
  return ctx.ledger();
}

/** The line a successful command printed that matches `pattern` (or its first line). */
function lineOf(result: CliResult, pattern: RegExp): string {
  const lines = `${result.stdout}\n${result.stderr}`.split('\n').map((l) => l.replace(/^\[[\d:]+\]\s*/, '').trim()).filter(Boolean);
  return lines.find((l) => pattern.test(l)) ?? lines[0] ?? '';
}

async function states(ctx: CaseContext): Promise<RunState[]> {
  const store = await openStore({ url: `sqlite://${join(ctx.dir, '.spx', 'state.sqlite')}` });
  try {
    return await listRuns(store);
  } finally {
    await store.close();
  }
}

/** Everything after the first run: the work that ran again although it was saved. */
function repeatedAfter(saved: string[], now: string[], allow: RegExp = /^publish:/): string[] {
  return now.slice(saved.length).filter((l) => saved.includes(l) && !allow.test(l));
}

function collision(id: string, setup: (ctx: CaseContext) => Promise<string[]>): BadCase {
  return {
    id,
    group: 'paid',
    code: 2,
    message: /OUTPUT_COLLISION/,
    async run(ctx) {
      await ctx.write(PIPE, T);
      const args = await setup(ctx);
      const result = await ctx.spx(args);
      const ran = await ctx.ledger();
      return { result, problems: ran.length ? [`work ran before the collision was reported: ${ran.join(', ')}`] : [] };
    },
  };
}

export const PAID_CASES: BadCase[] = [
  {
    id: 'paid: an edited export survives cleanup --invalid',
    group: 'paid',
    code: 0,
    message: /Nothing to delete/,
    async run(ctx) {
      const saved = await firstRun(ctx);
      await writeFile(join(ctx.dir, EXPORT), `${await readFile(join(ctx.dir, EXPORT), 'utf8')}\nmy own note\n`);
      const result = await ctx.spx(['checkpoints', 'cleanup', '--invalid']);
      const rerun = await ctx.spx(['run', PIPE, DOC]);
      const problems = rerun.code === 0 ? [] : [`rerun exited ${rerun.code}`];
      return { result, line: lineOf(result, /Nothing to delete|deleted/), repeated: repeatedAfter(saved, await ctx.ledger()), problems };
    },
  },
  {
    id: 'paid: an edited export is kept as a backup when the next run rewrites it',
    group: 'paid',
    code: 0,
    message: /talk\.txt changed since spx wrote it; kept it as talk\.backup-/,
    async run(ctx) {
      const saved = await firstRun(ctx);
      await writeFile(join(ctx.dir, EXPORT), 'my corrected transcript\n');
      const result = await ctx.spx(['run', PIPE, DOC]);
      const backups = (await readdir(ctx.dir)).filter((n) => /^talk\.backup-.*\.txt$/.test(n));
      const problems: string[] = [];
      if (backups.length !== 1) problems.push(`expected one backup, found ${backups.join(', ') || 'none'}`);
      else if ((await readFile(join(ctx.dir, backups[0]!), 'utf8')) !== 'my corrected transcript\n') problems.push('the backup does not hold the edit');
      if (!/^THE QUICK BROWN FOX/.test(await readFile(join(ctx.dir, EXPORT), 'utf8'))) problems.push('the export was not rewritten');
      return { result, line: lineOf(result, /kept it as/), repeated: repeatedAfter(saved, await ctx.ledger()), problems };
    },
  },
  {
    id: 'paid: a deleted export reruns only the export',
    group: 'paid',
    code: 0,
    message: /export talk\.txt was moved or deleted/,
    async run(ctx) {
      const saved = await firstRun(ctx);
      await rm(join(ctx.dir, EXPORT));
      const result = await ctx.spx(['run', PIPE, DOC]);
      const again = (await ctx.ledger()).slice(saved.length);
      const problems = again.join(',') === 'publish:publish' ? [] : [`ran again: ${again.join(', ')}`];
      return { result, line: lineOf(result, /export talk\.txt/), problems };
    },
  },
  {
    id: 'paid: validate reports an edited export as edited, not as an invalid run',
    group: 'paid',
    code: 0,
    message: /edited|changed since/i,
    async run(ctx) {
      await firstRun(ctx);
      await writeFile(join(ctx.dir, EXPORT), 'edited by hand\n');
      const [state] = await states(ctx);
      const result = await ctx.spx(['checkpoints', 'validate', state!.id]);
      return { result, line: lineOf(result, /edited|changed since/i) };
    },
  },
  collision('paid: two inputs with one name in one directory', async (ctx) => {
    await ctx.write('talk.markdown', 'another talk with the same name\n');
    return ['run', PIPE, DOC, 'talk.markdown'];
  }),
  collision('paid: two inputs with one name and one --out', async (ctx) => {
    await mkdir(join(ctx.dir, 'a'));
    await mkdir(join(ctx.dir, 'b'));
    await ctx.write('a/talk.md', 'first talk\n');
    await ctx.write('b/talk.md', 'second talk\n');
    return ['run', PIPE, 'a/talk.md', 'b/talk.md', '--out', 'out'];
  }),
  {
    id: 'paid: two pipelines export into one --out',
    group: 'paid',
    code: 2,
    message: /OUTPUT_COLLISION.*talk\.\*/,
    async run(ctx) {
      await firstRun(ctx, ['--out', 'out']);
      await ctx.write('other.yaml', textPipeline({ suffix: '?' }).replace('name: text', 'name: text-other'));
      const before = await readFile(join(ctx.dir, 'out', EXPORT), 'utf8');
      const result = await ctx.spx(['run', 'other.yaml', DOC, '--out', 'out']);
      const problems = (await readFile(join(ctx.dir, 'out', EXPORT), 'utf8')) === before ? [] : ['the first pipeline\'s export was overwritten'];
      const validate = await ctx.spx(['checkpoints', 'validate', '--all']);
      if (validate.code !== 0) problems.push(`the first run no longer validates: ${validate.stdout.slice(0, 200)}`);
      return { result, problems };
    },
  },
  {
    id: 'paid: two pipelines on one input export next to it',
    group: 'paid',
    code: 2,
    message: /OUTPUT_COLLISION/,
    async run(ctx) {
      await firstRun(ctx);
      await ctx.write('other.yaml', textPipeline({ suffix: '?' }).replace('name: text', 'name: text-other'));
      const saved = await ctx.ledger();
      const result = await ctx.spx(['run', 'other.yaml', DOC]);
      const ran = (await ctx.ledger()).slice(saved.length);
      return { result, problems: ran.length ? [`work ran before the collision was reported: ${ran.join(', ')}`] : [] };
    },
  },
  {
    id: 'paid: identical inputs in one batch do not lock each other out',
    group: 'paid',
    code: 0,
    message: /2 of 2 inputs succeeded/,
    async run(ctx) {
      await ctx.write(PIPE, T);
      await ctx.write('copy.md', await readFile(join(ctx.dir, DOC), 'utf8'));
      const result = await ctx.spx(['run', PIPE, DOC, 'copy.md', '--concurrency', '2']);
      const paid = paidLines(await ctx.ledger());
      const problems = paid.length === 3 ? [] : [`paid sub-steps ran ${paid.length} times for 3`];
      for (const name of ['talk.txt', 'copy.txt']) if (!(await stat(join(ctx.dir, name)).catch(() => undefined))) problems.push(`${name} missing`);
      return { result, line: lineOf(result, /inputs succeeded/), problems };
    },
  },
  {
    id: 'paid: the same file twice in one batch',
    group: 'paid',
    code: 0,
    message: /2 of 2 inputs succeeded/,
    async run(ctx) {
      await ctx.write(PIPE, T);
      const result = await ctx.spx(['run', PIPE, DOC, `./${DOC}`, '--concurrency', '2']);
      const paid = paidLines(await ctx.ledger());
      return { result, line: lineOf(result, /inputs succeeded/), problems: paid.length === 3 ? [] : [`paid sub-steps ran ${paid.length} times for 3`] };
    },
  },
  {
    id: 'paid: a zombie lease holder is taken over at once',
    group: 'paid',
    code: 0,
    message: /completed/,
    async run(ctx) {
      await ctx.write(PIPE, T);
      // A zombie: the short-lived child of a shell that execs into a process that never reaps it.
      const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
      try {
        const zombie = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
        await until(async () => /\) Z /.test(await readFile(`/proc/${zombie}/stat`, 'utf8').catch(() => ') Z ')));
        const dry = await ctx.spx(['run', PIPE, DOC, '--dry-run', '--json']);
        const runId = /"runId":"([0-9a-f]+)"/.exec(dry.stdout)?.[1];
        if (!runId) throw new Error(`no run id: ${dry.stdout.slice(0, 200)}`);
        const store = await openStore({ url: `sqlite://${join(ctx.dir, '.spx', 'state.sqlite')}` });
        await store.set(storeKeys.lock(runId), { token: 'killed', pid: zombie, host: hostname(), since: new Date().toISOString(), heartbeat: Date.now() } satisfies Lease);
        await store.close();
        const result = await ctx.spx(['run', PIPE, DOC]);
        return { result, line: lineOf(result, /completed|RUN_LOCKED/) };
      } finally {
        parent.kill('SIGKILL');
      }
    },
  },
  {
    id: 'paid: a paused lease holder keeps its run (SIGSTOP past the stale timeout)',
    group: 'paid',
    code: 4,
    message: /RUN_LOCKED.*in use by pid/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline({ steps: 6, delayMs: 200 }));
      const env = { SPX_TEST_LEDGER: join(ctx.dir, 'ledger.txt') };
      const holder = startSpx(['run', PIPE, DOC], { cwd: ctx.dir, env });
      await until(async () => paidLines(await ctx.ledger()).length >= 1);
      holder.child.kill('SIGSTOP');
      // Longer than the 15 s a heartbeat may be silent before a holder on another host is taken for dead.
      await new Promise((r) => setTimeout(r, 16_000));
      const result = await ctx.spx(['run', PIPE, DOC]);
      holder.child.kill('SIGCONT');
      const held = await holder.done;
      const paid = paidLines(await ctx.ledger());
      const problems: string[] = [];
      if (held.code !== 0) problems.push(`the paused holder exited ${held.code} after SIGCONT: ${held.stderr.split('\n')[0]}`);
      if (paid.length !== new Set(paid).size) problems.push(`a paid sub-step ran twice: ${paid.join(', ')}`);
      return { result, problems };
    },
  },
  {
    id: 'paid: a holder whose lease another host took stops without writing',
    group: 'paid',
    code: 4,
    message: /LEASE_LOST/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline({ steps: 8, delayMs: 300 }));
      const env = { SPX_TEST_LEDGER: join(ctx.dir, 'ledger.txt') };
      const holder = startSpx(['run', PIPE, DOC], { cwd: ctx.dir, env });
      await until(async () => paidLines(await ctx.ledger()).length >= 1);
      const [state] = await states(ctx);
      const store = await openStore({ url: `sqlite://${join(ctx.dir, '.spx', 'state.sqlite')}` });
      await store.set(storeKeys.lock(state!.id), { token: 'other-host', pid: 1, host: 'worker-7', since: new Date().toISOString(), heartbeat: Date.now() + 60_000 } satisfies Lease);
      const takenAt = (await store.get<RunState>(storeKeys.run(state!.id)))!.last_updated;
      const stepsAt = paidLines(await ctx.ledger()).length;
      const result = await holder.done;
      const after = await store.get<RunState>(storeKeys.run(state!.id));
      await store.close();
      const problems: string[] = [];
      if (after?.last_updated !== takenAt) problems.push('the holder wrote the run state after it lost the lease');
      if (paidLines(await ctx.ledger()).length > stepsAt + 1) problems.push('the holder kept paying for sub-steps after it lost the lease');
      return { result, problems };
    },
  },
  {
    id: 'paid: a failed attempt with other params keeps the good checkpoint',
    group: 'paid',
    code: 1,
    message: /TEXT_FAIL/,
    async run(ctx) {
      const saved = await firstRun(ctx);
      const result = await ctx.spx(['run', PIPE, DOC, '--set', 'exclaim.fail=true', '--set', 'exclaim.suffix=huh']);
      const failed = await ctx.ledger();
      const rerun = await ctx.spx(['run', PIPE, DOC]);
      const again = (await ctx.ledger()).slice(failed.length);
      return { result, repeated: again.filter((l) => saved.includes(l)), problems: rerun.code === 0 ? [] : [`rerun exited ${rerun.code}`] };
    },
  },
  {
    id: 'paid: a failed attempt that wrote files keeps the good checkpoint',
    group: 'paid',
    code: 1,
    message: /FAULT_AFTER_WRITE/,
    async run(ctx) {
      const yaml = `${T.replace(/plugins: \["([^"]+)"\]/, `plugins: ["$1", "${FAULT_PLUGIN}"]`)}  dump:\n    uses: fault/write\n    with: { from: "\${{ stages.read.outputs.text }}", bytes: 100 }\n    needs: [steps]\n`;
      const saved = await firstRun(ctx, [], yaml);
      const result = await ctx.spx(['run', PIPE, DOC, '--set', 'dump.bytes=200', '--set', 'dump.failAfterWrite=true']);
      const failed = await ctx.ledger();
      const rerun = await ctx.spx(['run', PIPE, DOC]);
      const again = (await ctx.ledger()).slice(failed.length);
      return { result, repeated: again.filter((l) => saved.includes(l)), problems: rerun.code === 0 ? [] : [`rerun exited ${rerun.code}`] };
    },
  },
  {
    id: 'paid: an input edited during the run, then restored',
    group: 'paid',
    code: 2,
    message: /INPUT_CHANGED.*read/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline({ steps: 3 }).replace('transform: upper, delayMs: 0', 'transform: upper, delayMs: 1500'));
      const original = await readFile(join(ctx.dir, DOC), 'utf8');
      const env = { SPX_TEST_LEDGER: join(ctx.dir, 'ledger.txt') };
      const running = startSpx(['run', PIPE, DOC], { cwd: ctx.dir, env });
      // The read stage sleeps 1.5 s before it reads: edit as soon as it has started.
      let printed = '';
      running.child.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
      await until(async () => /read: running/.test(printed));
      await writeFile(join(ctx.dir, DOC), 'an edit made while the run reads the file\n');
      await until(async () => (await ctx.ledger()).includes('read:read'));
      await writeFile(join(ctx.dir, DOC), original);
      const result = await running.done;
      const rerun = await ctx.spx(['run', PIPE, DOC]);
      const exported = await readFile(join(ctx.dir, EXPORT), 'utf8').catch(() => '');
      return { result, problems: rerun.code === 0 && exported === `${original.toUpperCase()}!` ? [] : [`the export after restoring is ${JSON.stringify(exported.slice(0, 60))}`] };
    },
  },
  {
    id: 'paid: an input replaced with the same size and mtime',
    group: 'paid',
    code: 0,
    message: /completed/,
    async run(ctx) {
      await firstRun(ctx);
      const path = join(ctx.dir, DOC);
      const before = await stat(path);
      const text = await readFile(path, 'utf8');
      const replaced = text.split('').reverse().join('');
      await writeFile(path, replaced);
      await utimes(path, before.atime, before.mtime);
      const result = await ctx.spx(['run', PIPE, DOC]);
      const exported = await readFile(join(ctx.dir, EXPORT), 'utf8');
      return { result, line: lineOf(result, /completed/), problems: exported === `${replaced.toUpperCase()}!` ? [] : [`the export still shows the old content: ${JSON.stringify(exported.slice(0, 40))}`] };
    },
  },
  {
    id: 'paid: the state store deleted while the run works',
    group: 'paid',
    code: 3,
    message: /STORE_LOST.*deleted/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline({ steps: 8, delayMs: 200 }));
      const env = { SPX_TEST_LEDGER: join(ctx.dir, 'ledger.txt') };
      const running = startSpx(['run', PIPE, DOC], { cwd: ctx.dir, env });
      await until(async () => paidLines(await ctx.ledger()).length >= 2);
      for (const name of ['state.sqlite', 'state.sqlite-wal', 'state.sqlite-shm']) await rm(join(ctx.dir, '.spx', name), { force: true });
      const result: CliResult = await running.done;
      return { result } satisfies CaseOutcome;
    },
  },
  {
    id: 'paid: two pipeline files with one name',
    group: 'paid',
    code: 2,
    message: /PIPELINE_NAME_CONFLICT.*both named "text"/,
    async run(ctx) {
      await firstRun(ctx);
      await ctx.write('copy.yaml', textPipeline({ steps: 3, suffix: '?' }));
      const saved = await ctx.ledger();
      const result = await ctx.spx(['run', 'copy.yaml', DOC, '--out', 'elsewhere']);
      const ran = (await ctx.ledger()).slice(saved.length);
      return { result, problems: ran.length ? [`work ran: ${ran.join(', ')}`] : [] };
    },
  },
  {
    id: 'paid: an export over a file spx never wrote',
    group: 'paid',
    code: 0,
    message: /talk\.txt changed since spx wrote it; kept it as talk\.backup-/,
    async run(ctx) {
      await ctx.write(EXPORT, 'notes I wrote myself before running spx\n');
      await ctx.write(PIPE, T);
      const result = await ctx.spx(['run', PIPE, DOC]);
      const backups = (await readdir(ctx.dir)).filter((n) => /^talk\.backup-.*\.txt$/.test(n));
      const kept = backups.length === 1 && (await readFile(join(ctx.dir, backups[0]!), 'utf8')) === 'notes I wrote myself before running spx\n';
      return { result, line: lineOf(result, /kept it as/), problems: kept ? [] : ['the user\'s file was not kept'] };
    },
  },
];
