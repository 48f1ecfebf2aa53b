// The bad-input matrix: CLI flags, pipeline YAML, audio, stores, import files and a full disk.
// Each case runs the CLI as a user would and states the exit code and the one-line message it
// must print; cases that follow a partial run also prove that no completed work ran again.
// Used by test/fault/bad-input.test.ts and printed as a table by bench/fault-report.ts.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEXT_PLUGIN, textPipeline } from '../../packages/core/test/helpers.js';
import { REPO, spx, type CliResult } from './cli.js';
import { freePort } from './redis.js';

export const FAULT_PLUGIN = fileURLToPath(new URL('./plugins/fault.ts', import.meta.url));
export const STANDARD = join(REPO, 'pipelines', 'standard.yaml');

export interface CaseContext {
  dir: string;
  /**
   * A directory outside the case directory, holding a few files, that no case may change: paths
   * built from hostile stores, imports or names that escape their root are aimed at it.
   */
  victim: string;
  /** Runs the CLI in the case directory with the ledger set. */
  spx(args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult>;
  write(name: string, content: string | Buffer): Promise<string>;
  ledger(): Promise<string[]>;
}

export interface CaseOutcome {
  /** The run whose exit code and message are checked. */
  result: CliResult;
  /** Completed work that ran again after the faulty run (must be empty). */
  repeated?: string[];
  /** Whether a rerun with the fault removed completed (cases after a partial run). */
  recovered?: boolean;
  /** How the fault was produced, when there is a choice (e.g. tmpfs or injected errno). */
  note?: string;
  /** The line to check and report instead of the first error line (e.g. a warning of a run that succeeds). */
  line?: string;
  /** Further checks the case made itself, each a sentence saying what went wrong. */
  problems?: string[];
}

export interface BadCase {
  id: string;
  group: 'cli' | 'pipeline' | 'audio' | 'store' | 'import' | 'disk' | 'env' | 'security' | 'secrets' | 'paid' | 'errors';
  code: number;
  /** Must match the first line of the error message. */
  message: RegExp;
  run(ctx: CaseContext): Promise<CaseOutcome>;
  /** Returns a reason to skip on this machine. */
  skip?(): string | undefined;
}

export interface CaseReport {
  id: string;
  group: string;
  code: number | null;
  expectedCode: number;
  firstLine: string;
  problems: string[];
  note?: string;
  skipped?: string;
}

export const PIPE = 'pipeline.yaml';
export const DOC = 'talk.md';
// Fake keys and closed ports: these cases must fail before any API is called.
export const API_ENV = { OPENAI_API_KEY: 'sk-bad-input-key', PYANNOTEAI_API_KEY: 'pk-bad-input-key', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', PYANNOTEAI_BASE_URL: 'http://127.0.0.1:9', SPX_RETRY_MAX_ATTEMPTS: '1' };

/** A text-plugin pipeline with `stages` replacing the default stage block. */
export function pipelineWith(stages: string, head = `spx: 1\nname: bad\nversion: 1.0.0\nplugins: ["${TEXT_PLUGIN}"]\ninputs:\n  doc: { type: file }\n`): string {
  return `${head}stages:\n${stages}`;
}

export const READ = `  read:\n    uses: text/read\n    with: { input: "\${{ inputs.doc }}" }\n`;

/** Writes the given pipeline and runs it on talk.md. */
function yamlCase(id: string, code: number, message: RegExp, yaml: string): BadCase {
  return {
    id,
    group: 'pipeline',
    code,
    message,
    async run(ctx) {
      await ctx.write(PIPE, yaml);
      return { result: await ctx.spx(['run', PIPE, DOC]) };
    },
  };
}

function cliCase(id: string, code: number, message: RegExp, args: string[]): BadCase {
  return { id, group: 'cli', code, message, run: async (ctx) => ({ result: await ctx.spx(args) }) };
}

function audioCase(id: string, message: RegExp, make: (ctx: CaseContext) => Promise<string>, code = 2): BadCase {
  return {
    id,
    group: 'audio',
    code,
    message,
    async run(ctx) {
      const input = await make(ctx);
      return { result: await ctx.spx(['run', STANDARD, input, '--out', 'out'], API_ENV) };
    },
  };
}

let mountWorks: boolean | undefined;
/** Whether this machine lets us mount a tmpfs (root in a permissive sandbox). */
export function canMount(): boolean {
  if (mountWorks !== undefined) return mountWorks;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return (mountWorks = false);
  const dir = spawnSync('mktemp', ['-d']).stdout.toString().trim();
  mountWorks = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir]).status === 0;
  if (mountWorks) spawnSync('umount', [dir]);
  spawnSync('rmdir', [dir]);
  return mountWorks;
}

export function mount(dir: string, options: string): void {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  if (r.status !== 0) throw new Error(`mount failed: ${r.stderr.toString()}`);
}
export function umount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
}

/**
 * A partial run (exclaim told to fail after read and steps completed), then the faulty run,
 * then a rerun with the fault gone: returns the work that ran again although it was saved.
 */
export async function afterPartialRun(ctx: CaseContext, extraArgs: string[], faulty: () => Promise<CliResult>, fix: () => Promise<void>, rerunArgs: string[] = extraArgs): Promise<CaseOutcome> {
  await ctx.write(PIPE, textPipeline({ steps: 3 }));
  const partial = await ctx.spx(['run', PIPE, DOC, ...extraArgs, '--set', 'exclaim.fail=true']);
  if (partial.code !== 1) throw new Error(`partial run exited ${partial.code}: ${partial.stderr}`);
  const saved = await ctx.ledger();
  const result = await faulty();
  await fix();
  const afterFault = (await ctx.ledger()).length;
  const rerun = await ctx.spx(['run', PIPE, DOC, ...rerunArgs]);
  const again = (await ctx.ledger()).slice(saved.length);
  const repeated = again.filter((line) => saved.includes(line));
  return { result, repeated, recovered: rerun.code === 0 && again.length >= afterFault - saved.length };
}

export const BAD_CASES: BadCase[] = [
  // CLI flags and arguments
  cliCase('cli: no arguments', 2, /pipeline, input/, ['run']),
  cliCase('cli: pipeline but no input', 2, /argument: input/, ['run', PIPE]),
  cliCase('cli: unknown flag', 2, /--bogus/, ['run', PIPE, DOC, '--bogus']),
  cliCase('cli: --concurrency 0', 2, /--concurrency.*0/, ['run', PIPE, DOC, '--concurrency', '0']),
  cliCase('cli: --concurrency not a number', 2, /--concurrency.*abc/, ['run', PIPE, DOC, '--concurrency', 'abc']),
  cliCase('cli: --wait negative', 2, /--wait.*-1/, ['run', PIPE, DOC, '--wait', '-1']),
  cliCase('cli: --set without =', 2, /nonsense/, ['run', PIPE, DOC, '--set', 'nonsense']),
  cliCase('cli: --set unknown stage', 2, /nostage/, ['run', PIPE, DOC, '--set', 'nostage.x=1']),
  cliCase('cli: --set unknown param', 2, /nope/, ['run', PIPE, DOC, '--set', 'read.nope=1']),
  cliCase('cli: --set wrong type', 2, /delayMs/, ['run', PIPE, DOC, '--set', 'read.delayMs=slow']),
  cliCase('cli: --from-stage unknown', 2, /nostage/, ['run', PIPE, DOC, '--from-stage', 'nostage']),
  cliCase('cli: unknown command', 2, /frobnicate/, ['frobnicate']),
  cliCase('cli: pipeline file missing', 2, /nope\.yaml/, ['run', 'nope.yaml', DOC]),
  cliCase('cli: input glob matches nothing', 2, /nomatch/, ['run', PIPE, 'nomatch/*.md']),
  cliCase('cli: checkpoints show unknown run', 2, /zzzz/, ['checkpoints', 'show', 'zzzz']),

  // Pipeline YAML
  yamlCase('yaml: syntax error', 2, /YAML|syntax|indent|map/i, 'spx: 1\nname: bad\nstages:\n  read:\n    uses: text/read\n   with: [unclosed\n'),
  yamlCase('yaml: duplicate key', 2, /duplicate|read/i, pipelineWith(READ + READ)),
  yamlCase('yaml: empty file', 2, /empty|pipeline|spx|mapping|object/i, ''),
  yamlCase('yaml: a list, not a mapping', 2, /mapping|object|array|list/i, '- read\n- write\n'),
  yamlCase('yaml: wrong spx version', 2, /spx|version|2/i, pipelineWith(READ, `spx: 2\nname: bad\nversion: 1.0.0\nplugins: ["${TEXT_PLUGIN}"]\ninputs:\n  doc: { type: file }\n`)),
  yamlCase('yaml: no stages', 2, /stages/, `spx: 1\nname: bad\nversion: 1.0.0\ninputs:\n  doc: { type: file }\n`),
  yamlCase('yaml: stage without uses', 2, /uses/, pipelineWith('  read:\n    with: { input: "${{ inputs.doc }}" }\n')),
  yamlCase('yaml: unknown top-level property', 2, /colour/, pipelineWith(READ).replace('name: bad', 'name: bad\ncolour: blue')),
  yamlCase('yaml: unknown plugin package', 2, /@spx\/plugin-nonexistent/, pipelineWith(READ, `spx: 1\nname: bad\nversion: 1.0.0\nplugins: ["@spx/plugin-nonexistent"]\ninputs:\n  doc: { type: file }\n`)),
  yamlCase('yaml: unknown stage id', 2, /text\/nope/, pipelineWith('  read:\n    uses: text/nope\n    with: { input: "${{ inputs.doc }}" }\n')),
  yamlCase('yaml: unknown namespace', 2, /mystery\/stage/, pipelineWith('  read:\n    uses: mystery/stage\n')),
  yamlCase('yaml: cycle through needs', 2, /cycle|a\b.*b\b/i, pipelineWith(`${READ}  a:\n    uses: text/append\n    with: { from: "\${{ stages.read.outputs.text }}" }\n    needs: [b]\n  b:\n    uses: text/append\n    with: { from: "\${{ stages.read.outputs.text }}" }\n    needs: [a]\n`)),
  yamlCase('yaml: reference to unknown stage', 2, /ghost/, pipelineWith(`${READ}  a:\n    uses: text/append\n    with: { from: "\${{ stages.ghost.outputs.text }}" }\n`)),
  yamlCase('yaml: reference to unknown output', 2, /nothing/, pipelineWith(`${READ}  a:\n    uses: text/append\n    with: { from: "\${{ stages.read.outputs.nothing }}" }\n`)),
  yamlCase('yaml: reference to unknown input', 2, /missing/, pipelineWith('  read:\n    uses: text/read\n    with: { input: "${{ inputs.missing }}" }\n')),
  yamlCase('yaml: wrong param type', 2, /delayMs/, pipelineWith('  read:\n    uses: text/read\n    with: { input: "${{ inputs.doc }}", delayMs: slow }\n')),
  yamlCase('yaml: missing required param', 2, /input/, pipelineWith('  read:\n    uses: text/read\n    with: { transform: upper }\n')),
  yamlCase('yaml: needs unknown stage', 2, /phantom/, pipelineWith(`${READ}  a:\n    uses: text/append\n    with: { from: "\${{ stages.read.outputs.text }}" }\n    needs: [phantom]\n`)),
  yamlCase('yaml: enum param out of range', 2, /transform|sideways/, pipelineWith('  read:\n    uses: text/read\n    with: { input: "${{ inputs.doc }}", transform: sideways }\n')),
  {
    id: 'yaml: pipeline path is a directory',
    group: 'pipeline',
    code: 2,
    message: /adir/,
    async run(ctx) {
      await mkdir(join(ctx.dir, 'adir.yaml'));
      return { result: await ctx.spx(['run', 'adir.yaml', DOC]) };
    },
  },

  // Audio (standard pipeline, fake keys, nothing listening: the input is refused first)
  audioCase('audio: missing file', /absent\.wav/, async () => 'absent.wav'),
  audioCase('audio: empty file', /empty\.wav/, async (ctx) => ctx.write('empty.wav', Buffer.alloc(0))),
  // A file that exists but does not decode is refused by the convert stage: a stage failure (exit 1).
  audioCase('audio: corrupt WAV', /corrupt\.wav/, async (ctx) => ctx.write('corrupt.wav', Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(200, 0x5a)])), 1),
  audioCase('audio: text file named .mp3', /notes\.mp3/, async (ctx) => ctx.write('notes.mp3', 'these are meeting notes, not audio\n'.repeat(20)), 1),
  audioCase('audio: a directory', /folder\.wav/, async (ctx) => {
    await mkdir(join(ctx.dir, 'folder.wav'));
    return 'folder.wav';
  }),

  // Stores
  {
    id: 'store: corrupt SQLite file',
    group: 'store',
    code: 3,
    message: /not a valid SQLite|corrupt/i,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline());
      await ctx.write('broken.sqlite', 'this is not a database '.repeat(200));
      return { result: await ctx.spx(['run', PIPE, DOC, '--store', `sqlite://${join(ctx.dir, 'broken.sqlite')}`]) };
    },
  },
  {
    id: 'store: unreachable Redis',
    group: 'store',
    code: 3,
    message: /redis:\/\/127\.0\.0\.1:\d+/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline());
      const port = await freePort();
      return { result: await ctx.spx(['run', PIPE, DOC, '--store', `redis://127.0.0.1:${port}`]) };
    },
  },
  {
    id: 'store: unsupported scheme',
    group: 'store',
    code: 3,
    message: /ftp:/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline());
      return { result: await ctx.spx(['run', PIPE, DOC, '--store', 'ftp://127.0.0.1/state']) };
    },
  },
  {
    id: 'store: path is a directory',
    group: 'store',
    code: 3,
    message: /state-dir/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline());
      await mkdir(join(ctx.dir, 'state-dir'));
      return { result: await ctx.spx(['run', PIPE, DOC, '--store', `sqlite://${join(ctx.dir, 'state-dir')}`]) };
    },
  },
  {
    id: 'store: read-only directory',
    group: 'store',
    code: 3,
    message: /read-only|readonly|EROFS|EACCES/i,
    skip: () => (process.getuid?.() === 0 && !canMount() ? 'needs a read-only mount (root without mount permission)' : undefined),
    async run(ctx) {
      await ctx.write(PIPE, textPipeline());
      const ro = join(ctx.dir, 'ro');
      await mkdir(ro);
      let note: string;
      if (process.getuid?.() === 0) {
        mount(ro, 'ro,size=64k');
        note = 'read-only tmpfs mount';
      } else {
        await chmod(ro, 0o555);
        note = 'chmod 555';
      }
      try {
        return { result: await ctx.spx(['run', PIPE, DOC, '--store', `sqlite://${join(ro, 'state.sqlite')}`]), note };
      } finally {
        if (note.startsWith('read-only')) umount(ro);
        else await chmod(ro, 0o755);
      }
    },
  },

  // Import files
  {
    id: 'import: file missing',
    group: 'import',
    code: 2,
    message: /gone\.json/,
    run: async (ctx) => ({ result: await ctx.spx(['checkpoints', 'import', 'gone.json']) }),
  },
  {
    id: 'import: invalid JSON',
    group: 'import',
    code: 2,
    message: /broken\.json|JSON/,
    async run(ctx) {
      await ctx.write('broken.json', '{"schema": "spx-run-state", "id": ');
      return { result: await ctx.spx(['checkpoints', 'import', 'broken.json']) };
    },
  },
  {
    id: 'import: wrong shape',
    group: 'import',
    code: 2,
    message: /shape\.json/,
    async run(ctx) {
      await ctx.write('shape.json', JSON.stringify({ hello: 'world', stages: [] }));
      return { result: await ctx.spx(['checkpoints', 'import', 'shape.json']) };
    },
  },
  {
    id: 'import: state points at missing artifacts',
    group: 'import',
    code: 2,
    message: /missing|does not exist|not found/i,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline());
      const first = await ctx.spx(['run', PIPE, DOC]);
      if (first.code !== 0) throw new Error(`setup run failed: ${first.stderr}`);
      const list = await ctx.spx(['checkpoints', 'list', '--json']);
      const runId = /"id"\s*:\s*"([0-9a-f]+)"/.exec(list.stdout)?.[1] ?? /"runId"\s*:\s*"([0-9a-f]+)"/.exec(list.stdout)?.[1];
      if (!runId) throw new Error(`no run id in: ${list.stdout.slice(0, 300)}`);
      const exported = await ctx.spx(['checkpoints', 'export', runId, 'run.json']);
      if (exported.code !== 0) throw new Error(`export failed: ${exported.stderr}`);
      await rm(join(ctx.dir, '.spx', 'runs'), { recursive: true, force: true });
      return { result: await ctx.spx(['checkpoints', 'import', 'run.json', '--force', '--store', `sqlite://${join(ctx.dir, 'other.sqlite')}`]) };
    },
  },

  // Environment
  {
    id: 'env: API key missing',
    group: 'env',
    code: 3,
    message: /OPENAI_API_KEY/,
    async run(ctx) {
      await ctx.write('tone.wav', Buffer.alloc(0));
      return { result: await ctx.spx(['run', STANDARD, join(REPO, 'samples', 'meeting.wav'), '--out', 'out'], { ...API_ENV, OPENAI_API_KEY: '' }) };
    },
  },

  // A stage fails after a partial run, and a full disk while writing an artifact
  {
    id: 'partial: stage fails, rerun resumes',
    group: 'disk',
    code: 1,
    message: /exclaim/,
    async run(ctx) {
      let result!: CliResult;
      const outcome = await afterPartialRun(
        ctx,
        [],
        async () => (result = await ctx.spx(['run', PIPE, DOC, '--set', 'exclaim.fail=true'])),
        async () => undefined,
      );
      return { ...outcome, result };
    },
  },
  {
    id: 'disk: ENOSPC writing an artifact (injected errno)',
    group: 'disk',
    code: 3,
    message: /no space|disk/i,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline({ steps: 3 }).replace(`plugins: ["${TEXT_PLUGIN}"]`, `plugins: ["${TEXT_PLUGIN}", "${FAULT_PLUGIN}"]`) + `  dump:\n    uses: fault/write\n    with: { from: "\${{ stages.read.outputs.text }}", bytes: 4096 }\n    needs: [steps]\n`);
      const partial = await ctx.spx(['run', PIPE, DOC], { SPX_FAULT_ERRNO: 'ENOSPC' });
      const saved = await ctx.ledger();
      const again = await ctx.spx(['run', PIPE, DOC], { SPX_FAULT_ERRNO: 'ENOSPC' });
      const rerun = await ctx.spx(['run', PIPE, DOC]);
      const ran = (await ctx.ledger()).slice(saved.length);
      return { result: again.code === partial.code ? again : partial, repeated: ran.filter((l) => saved.includes(l)), recovered: rerun.code === 0 && ran.includes('write:dump'), note: 'fault plugin throws an ENOSPC errno error' };
    },
  },
  {
    id: 'disk: ENOSPC on a full 1 MiB tmpfs work dir',
    group: 'disk',
    code: 3,
    message: /No space left .*exclaim\/[0-9a-f]{12}\/text\.txt/,
    skip: () => (canMount() ? undefined : 'needs mount -t tmpfs (root)'),
    async run(ctx) {
      const work = join(ctx.dir, 'work');
      await mkdir(work);
      mount(work, 'size=1m');
      try {
        let result!: CliResult;
        const outcome = await afterPartialRun(
          ctx,
          ['--work-dir', work],
          async () => {
            // Fill the disk, then resume: exclaim's artifact cannot be written.
            spawnSync('dd', ['if=/dev/zero', `of=${join(work, 'filler')}`, 'bs=64k', 'count=64'], { stdio: 'ignore' });
            return (result = await ctx.spx(['run', PIPE, DOC, '--work-dir', work]));
          },
          async () => rm(join(work, 'filler'), { force: true }),
        );
        return { ...outcome, result, note: '1 MiB tmpfs filled with dd' };
      } finally {
        umount(work);
      }
    },
  },
];

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|\(node:.+\))$/m;

/** The first line of what the CLI printed about the error (stderr, else stdout). */
export function firstMessageLine(result: CliResult): string {
  const lines = (result.stderr.trim() ? result.stderr : result.stdout).split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /error|[A-Z_]{4,}:/.test(l)) ?? lines[0] ?? '';
}

export async function runCase(c: BadCase): Promise<CaseReport> {
  const skipped = c.skip?.();
  if (skipped) return { id: c.id, group: c.group, code: null, expectedCode: c.code, firstLine: '', problems: [], skipped };
  const dir = await mkdtemp(join(tmpdir(), 'spx-bad-'));
  const victim = await mkdtemp(join(tmpdir(), 'spx-victim-'));
  await writeFile(join(victim, 'keep.txt'), 'a file spx does not own\n');
  await mkdir(join(victim, 'nested'));
  await writeFile(join(victim, 'nested', 'data.bin'), Buffer.alloc(256, 7));
  const before = await snapshot(victim);
  const ledgerPath = join(dir, 'ledger.txt');
  await writeFile(ledgerPath, '');
  await writeFile(join(dir, DOC), 'the quick brown fox jumps over the lazy dog\n');
  await writeFile(join(dir, PIPE), textPipeline());
  const ctx: CaseContext = {
    dir,
    victim,
    spx: (args, env) => spx(args, { cwd: dir, env: { SPX_TEST_LEDGER: ledgerPath, ...env } }),
    write: async (name, content) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    ledger: async () => (await readFile(ledgerPath, 'utf8')).split('\n').filter(Boolean),
  };
  try {
    const outcome = await c.run(ctx);
    const { result } = outcome;
    const firstLine = outcome.line ?? firstMessageLine(result);
    const problems: string[] = [...(outcome.problems ?? [])];
    if (result.code !== c.code) problems.push(`exit ${result.code}, expected ${c.code}`);
    if (!c.message.test(firstLine)) problems.push(`message "${firstLine}" does not match ${c.message}`);
    if (STACK.test(result.stderr) || STACK.test(result.stdout)) problems.push('prints a stack trace');
    if (outcome.repeated && outcome.repeated.length > 0) problems.push(`completed work ran again: ${outcome.repeated.join(', ')}`);
    if (outcome.recovered === false) problems.push('rerun with the fault removed did not complete');
    const touched = diffSnapshots(before, await snapshot(victim));
    if (touched.length > 0) problems.push(`touched files outside the work dir, out dir and store: ${touched.join(', ')}`);
    return { id: c.id, group: c.group, code: result.code, expectedCode: c.code, firstLine, problems, ...(outcome.note ? { note: outcome.note } : {}) };
  } catch (error) {
    return { id: c.id, group: c.group, code: null, expectedCode: c.code, firstLine: '', problems: [`case setup failed: ${(error as Error).message}`] };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(victim, { recursive: true, force: true });
  }
}

/** Every entry under `root` (symlinks not followed) with its type, size and content hash. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        entries.set(path, 'dir');
        await walk(path);
      } else if (entry.isFile()) {
        entries.set(path, `file ${createHash('sha256').update(await readFile(path)).digest('hex')}`);
      } else entries.set(path, entry.isSymbolicLink() ? 'symlink' : 'other');
    }
  };
  entries.set(root, (await stat(root).catch(() => undefined))?.isDirectory() ? 'dir' : 'missing');
  await walk(root);
  return entries;
}

function diffSnapshots(before: Map<string, string>, after: Map<string, string>): string[] {
  const changed: string[] = [];
  for (const [path, what] of before) if (after.get(path) !== what) changed.push(`${path} ${after.has(path) ? 'changed' : 'deleted'}`);
  for (const path of after.keys()) if (!before.has(path)) changed.push(`${path} created`);
  return changed;
}
