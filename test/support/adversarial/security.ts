// Adversarial cases (see index.ts), group 'security': paths built from stored data, cleanup that
// deletes what it does not own, imports that point anywhere and stores that name code to load.
// Hostile store values are written by opening the case's store in this process, as anyone who
// can write to a shared store could. Escapes are aimed at ctx.victim (compared before and after);
// work owned by someone else sharing the work dir must still resume without repeating anything.
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { sha256 } from '@spx/core';
import { computeRunId, openStore, type ArtifactRecord, type RunState, type StageRecord, type Store } from '@spx/core/engine';
import { TEXT_PLUGIN, textPipeline } from '../../../packages/core/test/helpers.js';
import { afterPartialRun, DOC, PIPE, pipelineWith, READ, type BadCase, type CaseContext, type CaseOutcome } from '../bad-inputs.js';
import type { CliResult } from '../cli.js';
import { redisAvailable, startRedis } from '../redis.js';

/** A stage's file in its checkpoint directory (`<stage dir>/<fingerprint12>/<name>`). */
async function checkpointFile(stageDir: string, name: string): Promise<string> {
  const { readdir } = await import('node:fs/promises');
  const [checkpoint] = (await readdir(stageDir)).filter((n) => /^[0-9a-f]{12}$/.test(n));
  return join(stageDir, checkpoint ?? '', name);
}

/** What runCase writes to talk.md. */
const DOC_TEXT = 'the quick brown fox jumps over the lazy dog\n';
const OLD = '2000-01-01T00:00:00.000Z';
const FORGED_ID = 'aaaaaaaaaaaa';

/** The run id spx gives the text pipeline on a document. */
function runIdFor(content = DOC_TEXT): string {
  return computeRunId('text', { doc: sha256(content) }, {});
}

async function ok(ctx: CaseContext, args: string[]): Promise<CliResult> {
  const result = await ctx.spx(args);
  if (result.code !== 0) throw new Error(`spx ${args.join(' ')} exited ${result.code}: ${(result.stderr || result.stdout).slice(0, 400)}`);
  return result;
}

/** Fails the case: something a user would lose or leak happened (the message says what). */
function expect(condition: boolean, problem: string): void {
  if (!condition) throw new Error(problem);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function defaultStore(ctx: CaseContext): string {
  return `sqlite://${join(ctx.dir, '.spx', 'state.sqlite')}`;
}

async function withStore<T>(url: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ url });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** Rewrites a stored run state in place. */
async function editRun(url: string, runId: string, edit: (state: RunState) => void): Promise<void> {
  await withStore(url, async (store) => {
    const state = await store.get<RunState>(`run:${runId}`);
    if (!state) throw new Error(`no run ${runId} in ${url}`);
    edit(state);
    await store.set(`run:${runId}`, state);
  });
}

/** The victim directory as seen from `<dir>/.spx/runs`. */
function victimFromRuns(ctx: CaseContext): string {
  return relative(join(ctx.dir, '.spx', 'runs'), ctx.victim);
}

async function fileRecord(path: string): Promise<ArtifactRecord> {
  const data = await readFile(path);
  return { name: basename(path), path, bytes: data.length, sha256: sha256(data), mtimeMs: (await stat(path)).mtimeMs };
}

function forgedStage(stage: string, artifacts: ArtifactRecord[]): StageRecord {
  return {
    stage,
    uses: 'text/read',
    plugin: 'spx-plugin-text',
    pluginVersion: '1.0.0',
    fingerprint: '0'.repeat(64),
    params: {},
    upstream: {},
    inputs: {},
    status: 'completed',
    outputs: {},
    outputDigest: '0'.repeat(64),
    artifacts,
    startedAt: OLD,
    finishedAt: OLD,
    durationMs: 1,
    usage: 0,
    paidCalls: 0,
  };
}

function forgedState(id: string, stages: Record<string, StageRecord> = {}): RunState {
  return {
    schema: 'spx-run-state',
    schemaVersion: 1,
    id,
    input_file: '/nowhere/talk.md',
    input_hashes: {},
    pipeline_id: 'text',
    pipeline: { name: 'text', version: '1.0.0', file: '/nowhere/pipeline.yaml', stages: Object.keys(stages) },
    created_at: OLD,
    last_updated: OLD,
    status: 'completed',
    completed_stages: Object.keys(stages),
    current_stage: null,
    failed_stage: null,
    error_message: null,
    checkpoints: [],
    stages,
    out_dir: '/nowhere',
    metadata: { spx_version: '0.1.0', history: [] },
  };
}

/** Writes a forged state under `run:<key>` into the case's default store. */
async function plant(ctx: CaseContext, key: string, state: RunState): Promise<void> {
  await withStore(defaultStore(ctx), (store) => store.set(`run:${key}`, state));
}

/** Runs the text pipeline on talk.md with extra flags, and returns what the ledger held after it. */
async function textRun(ctx: CaseContext, extra: string[] = [], input = DOC): Promise<string[]> {
  await ok(ctx, ['run', PIPE, input, ...extra]);
  return ctx.ledger();
}

/** Reruns and returns the completed work that ran again (must stay empty). */
async function repeatsOf(ctx: CaseContext, saved: string[], args: string[]): Promise<string[]> {
  const before = (await ctx.ledger()).length;
  await ok(ctx, args);
  return (await ctx.ledger()).slice(before).filter((line) => saved.includes(line));
}

/** Runs the text pipeline, exports the run to run.json and returns the parsed export. */
async function exportedRun(ctx: CaseContext): Promise<Record<string, any>> {
  await textRun(ctx, ['--out', 'out']);
  await ok(ctx, ['checkpoints', 'export', runIdFor(), 'run.json']);
  return JSON.parse(await readFile(join(ctx.dir, 'run.json'), 'utf8')) as Record<string, any>;
}

async function importEdited(ctx: CaseContext, edit: (data: Record<string, any>) => Promise<void> | void): Promise<CaseOutcome> {
  const data = await exportedRun(ctx);
  await edit(data);
  await ctx.write('edited.json', JSON.stringify(data, null, 2));
  return { result: await ctx.spx(['checkpoints', 'import', 'edited.json', '--store', `sqlite://${join(ctx.dir, 'other.sqlite')}`]) };
}

/** A plugin whose module, once imported, writes into the victim directory. */
function evilPlugin(ctx: CaseContext): string {
  return `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(join(ctx.victim, 'pwned.txt'))}, 'code named by the store ran\\n');\nexport default { name: 'evil', version: '1.0.0', apiVersion: 1, stages: {} };\n`;
}

async function writeEvilPipeline(ctx: CaseContext): Promise<string> {
  await ctx.write('evil.mjs', evilPlugin(ctx));
  return ctx.write('evil.yaml', pipelineWith(READ, `spx: 1\nname: text\nversion: 1.0.0\nplugins: ["./evil.mjs", "${TEXT_PLUGIN}"]\ninputs:\n  doc: { type: file }\n`));
}

/** bob: the same document and pipeline, his own store and work dir (or the shared one). */
function bob(ctx: CaseContext, workDir?: string): string[] {
  return ['--store', `sqlite://${join(ctx.dir, 'bob.sqlite')}`, ...(workDir ? ['--work-dir', join(ctx.dir, workDir)] : []), '--out', 'out-bob'];
}

export const SECURITY_CASES: BadCase[] = [
  // 1. Ids read from the store are joined into paths that cleanup and delete remove.
  {
    id: 'security: cleanup of a stored run whose id climbs out of runs/',
    group: 'security',
    code: 0,
    message: /skipped run:.*invalid store entry/,
    async run(ctx) {
      const id = victimFromRuns(ctx);
      await plant(ctx, id, forgedState(id));
      return { result: await ctx.spx(['checkpoints', 'cleanup', '--older-than', '1']) };
    },
  },
  {
    id: 'security: cleanup of a stored run with id ".." keeps the work dir and its store',
    group: 'security',
    code: 0,
    message: /skipped run:aaaaaaaaaaaa .*invalid store entry/,
    async run(ctx) {
      const saved = await textRun(ctx);
      await plant(ctx, FORGED_ID, forgedState('..'));
      const result = await ctx.spx(['checkpoints', 'cleanup', '--older-than', '1']);
      return { result, repeated: await repeatsOf(ctx, saved, ['run', PIPE, DOC]) };
    },
  },
  {
    id: 'security: delete of a run whose id field disagrees with its key',
    group: 'security',
    code: 0,
    message: /deleted run aaaaaaaaaaaa: 1 store entry, 0 directories/,
    async run(ctx) {
      await plant(ctx, FORGED_ID, forgedState(victimFromRuns(ctx)));
      return { result: await ctx.spx(['checkpoints', 'delete', FORGED_ID]) };
    },
  },
  {
    id: 'security: show of a stored run with a stage id that is a path',
    group: 'security',
    code: 3,
    message: /CHECKPOINT_INVALID: .*aaaaaaaaaaaa.*stage id/,
    async run(ctx) {
      await plant(ctx, FORGED_ID, forgedState(FORGED_ID, { '../../victim': forgedStage('../../victim', [await fileRecord(join(ctx.victim, 'keep.txt'))]) }));
      return { result: await ctx.spx(['checkpoints', 'show', FORGED_ID]) };
    },
  },
  {
    id: 'security: validate --all reports a stored run whose id disagrees with its key',
    group: 'security',
    code: 3,
    message: /CHECKPOINT_INVALID: .*aaaaaaaaaaaa/,
    async run(ctx) {
      await plant(ctx, FORGED_ID, forgedState(victimFromRuns(ctx), { read: forgedStage('read', [await fileRecord(join(ctx.victim, 'keep.txt'))]) }));
      return { result: await ctx.spx(['checkpoints', 'validate', '--all']) };
    },
  },
  {
    id: 'security: export of a stored run with a stage id that is a path',
    group: 'security',
    code: 3,
    message: /CHECKPOINT_INVALID: .*stage id/,
    async run(ctx) {
      await plant(ctx, FORGED_ID, forgedState(FORGED_ID, { [`../${basename(ctx.victim)}`]: forgedStage('x', []) }));
      return { result: await ctx.spx(['checkpoints', 'export', FORGED_ID, 'out.json']) };
    },
  },
  // Recorded artifact paths are untrusted: they never lead rm into another work dir.
  {
    id: 'security: delete does not follow recorded artifact paths into another work dir',
    group: 'security',
    code: 0,
    message: /deleted run [0-9a-f]{12}: /,
    async run(ctx) {
      const id = runIdFor();
      await textRun(ctx, bob(ctx, 'bob'));
      const saved = await textRun(ctx, ['--out', 'out']);
      const bobs = await fileRecord(await checkpointFile(join(ctx.dir, 'bob', 'runs', id, 'read'), 'text.txt'));
      const victims = await fileRecord(join(ctx.victim, 'keep.txt'));
      await editRun(defaultStore(ctx), id, (state) => state.stages.read!.artifacts.push(bobs, victims));
      const result = await ctx.spx(['checkpoints', 'delete', id]);
      return { result, repeated: await repeatsOf(ctx, saved, ['run', PIPE, DOC, ...bob(ctx, 'bob')]) };
    },
  },
  {
    id: 'security: cleanup --invalid does not follow recorded artifact paths into another work dir',
    group: 'security',
    code: 0,
    message: /deleted [0-9a-f]{12} .*invalid artifact/,
    async run(ctx) {
      const id = runIdFor();
      await textRun(ctx, bob(ctx, 'bob'));
      const saved = await textRun(ctx, ['--out', 'out']);
      const bobs = await fileRecord(await checkpointFile(join(ctx.dir, 'bob', 'runs', id, 'steps'), 'steps.txt'));
      await editRun(defaultStore(ctx), id, (state) => state.stages.steps!.artifacts.push({ ...bobs, sha256: '0'.repeat(64) }));
      const result = await ctx.spx(['checkpoints', 'cleanup', '--invalid']);
      return { result, repeated: await repeatsOf(ctx, saved, ['run', PIPE, DOC, ...bob(ctx, 'bob')]) };
    },
  },
  // 2. The orphan sweep deletes only directories provably spx's and provably orphaned.
  {
    id: 'security: orphan sweep leaves user data under runs/',
    group: 'security',
    code: 0,
    message: /deleted [0-9a-f]{12} /,
    async run(ctx) {
      await textRun(ctx);
      const photos = join(ctx.dir, '.spx', 'runs', 'holiday-photos');
      const lookalike = join(ctx.dir, '.spx', 'runs', '0123456789ab');
      await mkdir(photos);
      await mkdir(lookalike);
      await writeFile(join(photos, 'beach.txt'), 'a photo\n');
      await writeFile(join(lookalike, 'notes.txt'), 'named like a run, made by the user\n');
      const result = await ctx.spx(['checkpoints', 'cleanup', '--older-than', '0']);
      expect(await exists(join(photos, 'beach.txt')), 'cleanup deleted user data under runs/holiday-photos');
      expect(await exists(join(lookalike, 'notes.txt')), 'cleanup deleted runs/0123456789ab, which spx did not make');
      expect(!(await exists(join(ctx.dir, '.spx', 'runs', runIdFor()))), 'cleanup kept the run it deleted the state of');
      return { result };
    },
  },
  {
    id: 'security: orphan sweep leaves the runs of another store sharing the work dir',
    group: 'security',
    code: 0,
    message: /deleted [0-9a-f]{12} /,
    async run(ctx) {
      await ctx.write('other.md', 'a document bob transcribes\n');
      await ctx.write('third.md', 'a run whose state expired\n');
      await textRun(ctx, bob(ctx), 'other.md');
      await textRun(ctx, ['--out', 'out'], 'third.md');
      const saved = await textRun(ctx, ['--out', 'out']);
      const expired = runIdFor('a run whose state expired\n');
      await withStore(defaultStore(ctx), (store) => store.delete(`run:${expired}`));
      const result = await ctx.spx(['checkpoints', 'cleanup', '--older-than', '0']);
      expect(!(await exists(join(ctx.dir, '.spx', 'runs', expired))), 'the sweep kept an orphan this store made');
      return { result, repeated: await repeatsOf(ctx, saved, ['run', PIPE, 'other.md', ...bob(ctx)]) };
    },
  },
  {
    id: 'security: delete leaves a run directory another store created',
    group: 'security',
    code: 0,
    message: /deleted run [0-9a-f]{12}: .*0 directories/,
    async run(ctx) {
      await textRun(ctx, bob(ctx));
      const saved = await textRun(ctx, ['--out', 'out']);
      const result = await ctx.spx(['checkpoints', 'delete', runIdFor()]);
      return { result, repeated: await repeatsOf(ctx, saved, ['run', PIPE, DOC, ...bob(ctx)]) };
    },
  },
  // Symlinks planted in the work dir redirect nothing.
  {
    id: 'security: a symlink planted at runs/<id> is refused',
    group: 'security',
    code: 3,
    message: /PATH_UNSAFE: .*runs\/[0-9a-f]{12} is a symbolic link/,
    async run(ctx) {
      await mkdir(join(ctx.dir, '.spx', 'runs'), { recursive: true });
      await symlink(ctx.victim, join(ctx.dir, '.spx', 'runs', runIdFor()));
      return { result: await ctx.spx(['run', PIPE, DOC]) };
    },
  },
  {
    id: 'security: a symlink planted at runs/<id>/<stage> is refused, completed work kept',
    group: 'security',
    code: 3,
    message: /PATH_UNSAFE: .*exclaim is a symbolic link/,
    async run(ctx) {
      const link = join(ctx.dir, '.spx', 'runs', runIdFor(), 'exclaim');
      let result!: CliResult;
      const outcome = await afterPartialRun(
        ctx,
        [],
        async () => {
          await rm(link, { recursive: true, force: true });
          await symlink(ctx.victim, link);
          return (result = await ctx.spx(['run', PIPE, DOC]));
        },
        () => rm(link),
      );
      return { ...outcome, result };
    },
  },
  {
    id: 'security: a symlinked runs/ directory is refused',
    group: 'security',
    code: 3,
    message: /PATH_UNSAFE: .*\.spx\/runs is a symbolic link/,
    async run(ctx) {
      await mkdir(join(ctx.dir, '.spx'));
      await symlink(ctx.victim, join(ctx.dir, '.spx', 'runs'));
      return { result: await ctx.spx(['run', PIPE, DOC]) };
    },
  },
  // A store records a file outside the run: the next run does not take it as a checkpoint.
  {
    id: 'security: a run does not reuse an artifact a store records outside its run directory',
    group: 'security',
    code: 0,
    message: /plan read: run — artifact keep\.txt is recorded outside its run directory/,
    async run(ctx) {
      await textRun(ctx, ['--out', 'out']);
      const keep = await fileRecord(join(ctx.victim, 'keep.txt'));
      await editRun(defaultStore(ctx), runIdFor(), (state) => {
        state.stages.read!.artifacts = [keep];
        state.stages.read!.outputs.text = { kind: 'file', path: keep.path, bytes: keep.bytes, sha256: keep.sha256 };
        delete state.stages.exclaim;
        delete state.stages.publish;
      });
      const result = await ctx.spx(['run', PIPE, DOC, '--out', 'out']);
      const published = await readFile(join(ctx.dir, 'out', 'talk.txt'), 'utf8').catch(() => '');
      expect(!published.includes('a file spx does not own'), `the run published the victim's keep.txt as its output: ${JSON.stringify(published)}`);
      return { result };
    },
  },
  // 3. Imports point only inside the importing side's work dir, and never name code to load.
  {
    id: 'security: import with an artifact path outside the work dir',
    group: 'security',
    code: 2,
    message: /IMPORT_INVALID: .*keep\.txt of stage "read" is outside/,
    run: (ctx) =>
      importEdited(ctx, async (data) => {
        const keep = await fileRecord(join(ctx.victim, 'keep.txt'));
        data.stages.read.artifacts = [keep];
        data.stages.read.outputs.text = { kind: 'file', path: keep.path, bytes: keep.bytes, sha256: keep.sha256 };
      }),
  },
  {
    id: 'security: import with an output file outside the work dir',
    group: 'security',
    code: 2,
    message: /IMPORT_INVALID: .*keep\.txt.*stage "read"/,
    run: (ctx) =>
      importEdited(ctx, async (data) => {
        const keep = await fileRecord(join(ctx.victim, 'keep.txt'));
        data.stages.read.outputs.text = { kind: 'file', path: keep.path, bytes: keep.bytes, sha256: keep.sha256 };
      }),
  },
  {
    id: 'security: import with an artifact reached through a symlink in the work dir',
    group: 'security',
    code: 2,
    message: /IMPORT_INVALID: .*symbolic link/,
    run: (ctx) =>
      importEdited(ctx, async (data) => {
        const link = join(ctx.dir, '.spx', 'runs', runIdFor(), 'read', 'outside');
        await symlink(ctx.victim, link);
        const keep = await fileRecord(join(ctx.victim, 'keep.txt'));
        data.stages.read.artifacts = [{ ...keep, path: join(link, 'keep.txt') }];
        data.stages.read.outputs.text = { kind: 'file', path: join(link, 'keep.txt'), bytes: keep.bytes, sha256: keep.sha256 };
      }),
  },
  {
    id: 'security: import with a stage id that is a path',
    group: 'security',
    code: 2,
    message: /IMPORT_INVALID: .*stages/,
    run: (ctx) =>
      importEdited(ctx, (data) => {
        data.stages['../../read'] = { ...data.stages.read, stage: '../../read' };
        delete data.stages.read;
      }),
  },
  {
    id: 'security: import with sub-step keys that are paths',
    group: 'security',
    code: 2,
    message: /IMPORT_INVALID: .*steps/,
    run: (ctx) =>
      importEdited(ctx, (data) => {
        data.steps[`../../${basename(ctx.victim)}:0000000000000000:x`] = { value: 1, at: OLD };
      }),
  },
  {
    id: 'security: show of an imported run does not load the pipeline and plugins it names',
    group: 'security',
    code: 0,
    message: /Run [0-9a-f]{12} · text@/,
    async run(ctx) {
      const evil = await writeEvilPipeline(ctx);
      const other = `sqlite://${join(ctx.dir, 'other.sqlite')}`;
      const outcome = await importEdited(ctx, (data) => {
        data.pipeline.file = evil;
      });
      if (outcome.result.code !== 0) throw new Error(`import failed: ${outcome.result.stderr}`);
      return { result: await ctx.spx(['checkpoints', 'show', runIdFor(), '--store', other]) };
    },
  },
  {
    id: 'security: show of a run in a shared Redis store does not load the pipeline it names',
    group: 'security',
    code: 0,
    message: /Run [0-9a-f]{12} · text@/,
    skip: () => (redisAvailable() ? undefined : 'needs redis-server'),
    async run(ctx) {
      const redis = await startRedis();
      try {
        const evil = await writeEvilPipeline(ctx);
        await textRun(ctx, ['--store', redis.url, '--out', 'out']);
        await editRun(redis.url, runIdFor(), (state) => {
          state.pipeline.file = evil;
        });
        return { result: await ctx.spx(['checkpoints', 'show', runIdFor(), '--store', redis.url]) };
      } finally {
        await redis.stop();
      }
    },
  },
  // Exports stay inside the run's out dir, whatever a plugin or a pipeline param names.
  {
    id: 'security: a plugin cannot publish outside the out dir',
    group: 'security',
    code: 1,
    message: /PATH_UNSAFE: .*keep\.txt.*outside/,
    async run(ctx) {
      await ctx.write(
        'rogue.mjs',
        `export default { name: 'rogue', version: '1.0.0', apiVersion: 1, stages: { 'rogue/publish': { description: 'Publishes where it likes.', publishes: true, params: { type: 'object' }, outputs: { files: { kind: 'json', description: 'files' } },\n  async run(ctx) { return { outputs: { files: { txt: await ctx.artifacts.publish(${JSON.stringify(join(ctx.victim, 'keep.txt'))}, 'overwritten by a plugin\\n') } } }; } } } };\n`,
      );
      await ctx.write(PIPE, `spx: 1\nname: bad\nversion: 1.0.0\nplugins: ["./rogue.mjs"]\ninputs:\n  doc: { type: file }\nstages:\n  leak:\n    uses: rogue/publish\n`);
      return { result: await ctx.spx(['run', PIPE, DOC, '--out', 'out']) };
    },
  },
  {
    id: 'security: an export name from a pipeline param cannot climb out of the out dir',
    group: 'security',
    code: 1,
    message: /PATH_UNSAFE: .*keep\.txt.*outside/,
    async run(ctx) {
      const ext = `/../../../${basename(ctx.victim)}/keep.txt`;
      await ctx.write(PIPE, textPipeline().replace('with: { from: "${{ stages.exclaim.outputs.text }}" }', `with: { from: "\${{ stages.exclaim.outputs.text }}", ext: "${ext}" }`));
      return { result: await ctx.spx(['run', PIPE, DOC, '--out', 'out']) };
    },
  },
];
