// Adversarial cases: see index.ts. Pipeline loading: names that every JavaScript object already has
// (through --set, stage ids, inputs, needs and references), YAML aliases, SPX_TTL_HOURS, a local
// TypeScript plugin outside a module package, and `extends` chains (depth, cycles, names).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TEXT_PLUGIN, textPipeline } from '../../../packages/core/test/helpers.js';
import { DOC, PIPE, READ, pipelineWith, type BadCase, type CaseContext } from '../bad-inputs.js';
import { startSpx, type CliResult } from '../cli.js';

const group = 'pipeline' as const;

/** The text pipeline with its input `doc` read by `read`, then `stages` (indented two spaces). */
const withStages = (stages: string) => pipelineWith(READ + stages);

async function run(ctx: CaseContext, yaml: string, args: string[] = [], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  await ctx.write(PIPE, yaml);
  return ctx.spx(['run', PIPE, DOC, ...args], env);
}

/** A run that completed and wrote `expected` to talk.txt; the case fails (setup) otherwise. */
async function completed(ctx: CaseContext, result: CliResult, expected: string): Promise<CliResult> {
  if (result.code !== 0) return result;
  const text = await readFile(join(ctx.dir, 'talk.txt'), 'utf8').catch(() => '(no talk.txt)');
  if (text !== expected) throw new Error(`talk.txt is ${JSON.stringify(text)}, expected ${JSON.stringify(expected)}`);
  return result;
}

/** Runs the CLI, stopping it if it has not finished in `limitMs`, so a hang fails the case instead of the matrix. */
async function bounded(ctx: CaseContext, args: string[], env: NodeJS.ProcessEnv, limitMs = 30_000): Promise<CliResult> {
  const { child, done } = startSpx(args, { cwd: ctx.dir, env: { SPX_TEST_LEDGER: join(ctx.dir, 'ledger.txt'), ...env } });
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

function setCase(id: string, path: string): BadCase {
  return { id, group, code: 2, message: /USAGE: --set .*reserved name/, run: async (ctx) => ({ result: await run(ctx, textPipeline(), ['--set', path]) }) };
}

function ttlCase(value: string): BadCase {
  return {
    id: `pipeline: SPX_TTL_HOURS=${value}`,
    group,
    code: 3,
    message: new RegExp(`ENV_INVALID: SPX_TTL_HOURS="${value.replace(/[.+]/g, '\\$&')}" is not a valid lifetime`),
    async run(ctx) {
      await ctx.write(PIPE, textPipeline());
      return { result: await bounded(ctx, ['run', PIPE, DOC], { SPX_TTL_HOURS: value }) };
    },
  };
}

const HEAD = (name: string) => `spx: 1\nname: ${name}\nversion: 1.0.0\n`;
const layer = (name: string, parent: string, stages: string) => `${HEAD(name)}extends: ${parent}\nstages:\n${stages}`;

export const PIPELINE_CASES: BadCase[] = [
  // --set paths through the prototype
  {
    id: 'pipeline: --set read.__proto__ (and a later lookup finds nothing)',
    group,
    code: 2,
    message: /USAGE: --set "read\.__proto__\.ghost\.with\.x=1": "__proto__" is a reserved name/,
    async run(ctx) {
      // Had the first override reached Object.prototype, the second would find a stage "ghost".
      const result = await run(ctx, textPipeline(), ['--set', 'read.__proto__.ghost.with.x=1', '--set', 'ghost.delayMs=1']);
      if (!/--set:2:1 error PIPELINE_REFERENCE: --set names unknown stage "ghost"/.test(result.stderr)) throw new Error(`the second --set did not report stage "ghost" unknown: ${result.stderr}`);
      return { result };
    },
  },
  setCase('pipeline: --set read.constructor.prototype', 'read.constructor.prototype.polluted=1'),
  setCase('pipeline: --set read.prototype', 'read.prototype.x=1'),

  // Built-in names as stage ids, inputs, needs and references
  {
    id: 'pipeline: stage id constructor',
    group,
    code: 2,
    message: /PIPELINE_SCHEMA: "constructor" is a reserved name and cannot be a stage id/,
    run: async (ctx) => ({ result: await run(ctx, withStages('  constructor:\n    uses: text/append\n    with: { from: "${{ stages.read.outputs.text }}" }\n')) }),
  },
  {
    id: 'pipeline: stage id toString',
    group,
    code: 2,
    message: /PIPELINE_SCHEMA: "toString" is a reserved name and cannot be a stage id/,
    run: async (ctx) => ({ result: await run(ctx, pipelineWith('  toString:\n    uses: text/read\n    with: { input: "${{ inputs.doc }}" }\n')) }),
  },
  {
    id: 'pipeline: input named constructor',
    group,
    code: 2,
    message: /PIPELINE_SCHEMA: "constructor" is a reserved name and cannot be an input name/,
    run: async (ctx) => ({ result: await run(ctx, pipelineWith(READ, `${HEAD('bad')}plugins: ["${TEXT_PLUGIN}"]\ninputs:\n  doc: { type: file }\n  constructor: { type: string, default: x }\n`)) }),
  },
  {
    id: 'pipeline: needs [constructor]',
    group,
    code: 2,
    message: /PIPELINE_REFERENCE: Stage "read" needs unknown stage "constructor"/,
    run: async (ctx) => ({ result: await run(ctx, pipelineWith(`${READ}    needs: [constructor]\n`)) }),
  },
  {
    id: 'pipeline: reference to inputs.toString',
    group,
    code: 2,
    message: /PIPELINE_REFERENCE: Stage "read" references undeclared input "toString"/,
    run: async (ctx) => ({ result: await run(ctx, pipelineWith('  read:\n    uses: text/read\n    with: { input: "${{ inputs.toString }}" }\n')) }),
  },

  // YAML aliases
  {
    id: 'pipeline: 110 uses of one alias load and run',
    group,
    code: 0,
    message: /plan read: run/,
    async run(ctx) {
      const stages = Array.from({ length: 109 }, (_, i) => `  s${i}:\n    uses: text/append\n    with: *shared\n`).join('');
      const yaml = withStages(`  exclaim:\n    uses: text/append\n    with: &shared { from: "\${{ stages.read.outputs.text }}", suffix: "!" }\n${stages}  publish:\n    uses: text/publish\n    with: { from: "\${{ stages.exclaim.outputs.text }}" }\n`);
      return { result: await completed(ctx, await run(ctx, yaml), 'the quick brown fox jumps over the lazy dog\n!') };
    },
  },
  {
    id: 'pipeline: alias bomb (billion laughs)',
    group,
    code: 2,
    message: /PIPELINE_TOO_LARGE: YAML aliases expand this file by [\d,]+ values/,
    async run(ctx) {
      const levels = ['x-a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
      for (let i = 1; i < 9; i++) levels.push(`x-${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
      const yaml = withStages('  exclaim:\n    uses: text/append\n    with: { from: "${{ stages.read.outputs.text }}", suffix: *i }\n').replace('stages:\n', `${levels.join('\n')}\nstages:\n`);
      return { result: await run(ctx, yaml) };
    },
  },

  // SPX_TTL_HOURS
  ttlCase('abc'),
  ttlCase('-5'),
  ttlCase('0.0000001'),
  ttlCase('1e400'),

  // A local TypeScript plugin, as docs/writing-plugins.md shows, in a package without "type": "module"
  {
    id: 'pipeline: local .ts plugin in a CommonJS package',
    group,
    code: 0,
    message: /plan read: run/,
    async run(ctx) {
      await ctx.write('package.json', JSON.stringify({ name: 'my-pipelines', version: '1.0.0', type: 'commonjs' }));
      await ctx.write(
        'shout.ts',
        `import { readFile } from 'node:fs/promises';
import type { StageContext } from '@spx/core';

interface Params { from: string }

export default {
  name: 'shout',
  version: '1.0.0',
  apiVersion: 1,
  stages: {
    'shout/loud': {
      description: 'Upper-cases a text file.',
      params: { type: 'object', required: ['from'], additionalProperties: false, properties: { from: { type: 'string' } } },
      outputs: { text: { kind: 'file', description: 'Upper-cased text' } },
      async run(ctx: StageContext<Params>) {
        const text: string = (await readFile(ctx.params.from, 'utf8')).toUpperCase();
        return { outputs: { text: await ctx.artifacts.write('loud.txt', text) } };
      },
    },
  },
};
`,
      );
      const yaml = pipelineWith(`${READ}  loud:\n    uses: shout/loud\n    with: { from: "\${{ stages.read.outputs.text }}" }\n  publish:\n    uses: text/publish\n    with: { from: "\${{ stages.loud.outputs.text }}" }\n`).replace(`plugins: ["${TEXT_PLUGIN}"]`, `plugins: ["${TEXT_PLUGIN}", "./shout.ts"]`);
      return { result: await completed(ctx, await run(ctx, yaml), 'THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG\n') };
    },
  },

  // extends chains
  {
    id: 'pipeline: three-level extends keeps the grandparent',
    group,
    code: 0,
    message: /plan read: run/,
    async run(ctx) {
      await ctx.write('base.yaml', textPipeline());
      await ctx.write('team.yaml', layer('team', './base.yaml', '  exclaim:\n    with: { suffix: "?" }\n'));
      await ctx.write(PIPE, layer('mine', './team.yaml', '  read:\n    with: { transform: lower }\n'));
      return { result: await completed(ctx, await ctx.spx(['run', PIPE, DOC]), 'the quick brown fox jumps over the lazy dog\n?') };
    },
  },
  {
    id: 'pipeline: four-level extends',
    group,
    code: 0,
    message: /plan read: run/,
    async run(ctx) {
      await ctx.write('base.yaml', textPipeline());
      await ctx.write('org.yaml', layer('org', './base.yaml', '  exclaim:\n    with: { suffix: "?" }\n'));
      await ctx.write('team.yaml', layer('team', './org.yaml', '  read:\n    with: { transform: lower }\n'));
      await ctx.write(PIPE, layer('mine', './team.yaml', '  exclaim:\n    with: { suffix: "?!" }\n'));
      return { result: await completed(ctx, await ctx.spx(['run', PIPE, DOC]), 'the quick brown fox jumps over the lazy dog\n?!') };
    },
  },
  {
    id: 'pipeline: extends cycle',
    group,
    code: 2,
    message: /PIPELINE_CYCLE: extends: forms a cycle: pipeline\.yaml → other\.yaml → pipeline\.yaml/,
    async run(ctx) {
      await ctx.write('other.yaml', layer('other', './pipeline.yaml', '  read:\n    with: { transform: lower }\n'));
      return { result: await run(ctx, layer('mine', './other.yaml', '  read:\n    with: { transform: upper }\n')) };
    },
  },
  {
    id: "pipeline: extending file keeps the base's name",
    group,
    code: 2,
    message: /pipeline\.yaml:2:7 error PIPELINE_SCHEMA: .*has the name "text" of the pipeline it extends \(base\.yaml\)/,
    async run(ctx) {
      await ctx.write('base.yaml', textPipeline());
      // Run the base first: the extending file must not be able to reach (or lock) its checkpoints.
      const base = await ctx.spx(['run', 'base.yaml', DOC]);
      if (base.code !== 0) throw new Error(`base run failed: ${base.stderr}`);
      return { result: await run(ctx, layer('text', './base.yaml', '  exclaim:\n    with: { suffix: "." }\n')) };
    },
  },
];
