// Adversarial cases (see index.ts) for retention: pruning deletes files, so a store that marks a
// file outside the run (or a link inside it) as cheap must not lead a deletion there; a plugin may
// not declare paid work cheap; a bad SPX_KEEP_INTERMEDIATES is refused; and a pruned intermediate
// made again for a stage that runs never repeats a paid sub-step.
import { readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '@spx/core';
import { openStore, type ArtifactRecord, type RunState } from '@spx/core/engine';
import { TEXT_PLUGIN, textPipeline } from '../../../packages/core/test/helpers.js';
import { DOC, PIPE, type BadCase, type CaseContext } from '../bad-inputs.js';

const DERIVE_PLUGIN = fileURLToPath(new URL('../../../packages/core/test/fixtures/plugins/derive.ts', import.meta.url));

/** read → copy (cheap) → steps (paid) and exclaim → publish. */
const DERIVED = `spx: 1
name: derived
version: 1.0.0
plugins: ["${TEXT_PLUGIN}", "${DERIVE_PLUGIN}"]
inputs:
  doc: { type: file }
stages:
  read:
    uses: text/read
    with: { input: "\${{ inputs.doc }}" }
  copy:
    uses: derive/copy
    with: { from: "\${{ stages.read.outputs.text }}" }
  steps:
    uses: text/steps
    with: { from: "\${{ stages.copy.outputs.text }}", count: 3 }
  exclaim:
    uses: text/append
    with: { from: "\${{ stages.copy.outputs.text }}" }
  publish:
    uses: text/publish
    with: { from: "\${{ stages.exclaim.outputs.text }}" }
    needs: [steps]
`;

async function completedRun(ctx: CaseContext, yaml: string, args: string[] = []): Promise<void> {
  await ctx.write(PIPE, yaml);
  const first = await ctx.spx(['run', PIPE, DOC, ...args]);
  if (first.code !== 0) throw new Error(`first run exited ${first.code}: ${first.stderr}`);
}

/** Adds an artifact marked cheap to the read stage of the case's only run. */
async function markCheap(ctx: CaseContext, artifact: (state: RunState) => Promise<ArtifactRecord>): Promise<void> {
  const store = await openStore({ url: `sqlite://${join(ctx.dir, '.spx', 'state.sqlite')}` });
  try {
    for await (const key of store.keys('run:')) {
      const state = (await store.get<RunState>(key))!;
      state.stages.read!.artifacts.push({ ...(await artifact(state)), cheap: true });
      await store.set(key, state);
    }
  } finally {
    await store.close();
  }
}

const victimRecord = (path: string, content: string): ArtifactRecord => ({ name: 'keep.txt', path, bytes: Buffer.byteLength(content), sha256: sha256(content) });

export const DISK_CASES: BadCase[] = [
  {
    id: 'security: cleanup --prune with a store marking a file outside the run as cheap deletes nothing there',
    group: 'security',
    code: 0,
    message: /Nothing to prune in sqlite:/,
    async run(ctx) {
      await completedRun(ctx, textPipeline());
      await markCheap(ctx, async () => victimRecord(join(ctx.victim, 'keep.txt'), 'a file spx does not own\n'));
      return { result: await ctx.spx(['checkpoints', 'cleanup', '--prune']) };
    },
  },
  {
    id: 'security: cleanup --prune with a cheap artifact that is a link to a file outside the run leaves both',
    group: 'security',
    code: 0,
    message: /Nothing to prune in sqlite:/,
    async run(ctx) {
      await completedRun(ctx, textPipeline());
      let link = '';
      await markCheap(ctx, async (state) => {
        const dir = join(ctx.dir, '.spx', 'runs', state.id, 'read');
        const fp = (await readdir(dir))[0]!;
        link = join(dir, fp, 'keep.txt');
        await symlink(join(ctx.victim, 'keep.txt'), link);
        return victimRecord(link, 'a file spx does not own\n');
      });
      const result = await ctx.spx(['checkpoints', 'cleanup', '--prune']);
      const left = await readdir(join(link, '..'));
      return { result, problems: left.includes('keep.txt') ? [] : ['the link inside the stage directory was deleted through a store record'] };
    },
  },
  {
    id: 'errors: SPX_KEEP_INTERMEDIATES=maybe',
    group: 'errors',
    code: 3,
    message: /ENV_INVALID: SPX_KEEP_INTERMEDIATES="maybe" is not a yes\/no value\.$/,
    async run(ctx) {
      await ctx.write(PIPE, textPipeline());
      const result = await ctx.spx(['run', PIPE, DOC], { SPX_KEEP_INTERMEDIATES: 'maybe' });
      const ran = await ctx.ledger();
      return { result, problems: ran.length ? [`work ran before the variable was refused: ${ran.join(', ')}`] : [] };
    },
  },
  {
    id: 'pipeline: a plugin declaring paid work cheap to make again',
    group: 'pipeline',
    code: 2,
    message: /PLUGIN_INVALID: Plugin "\.\/paid\.ts" stage "paid\/call" declares "answer" cheap, but it is paid work: making it again would pay again\./,
    async run(ctx) {
      await writeFile(
        join(ctx.dir, 'paid.ts'),
        "export default { name: 'paid', version: '1.0.0', apiVersion: 1, stages: { 'paid/call': { description: 'd', params: { type: 'object' }, outputs: { answer: { kind: 'file', description: 'a' } }, pricing: { unit: 'call', usd: 1 }, retention: { answer: 'cheap' }, run: async () => ({ outputs: {} }) } } };\n",
      );
      await ctx.write(PIPE, 'spx: 1\nname: paid\nversion: 1.0.0\nplugins: ["./paid.ts"]\ninputs:\n  doc: { type: file }\nstages:\n  call:\n    uses: paid/call\n');
      return { result: await ctx.spx(['run', PIPE, DOC]) };
    },
  },
  {
    id: 'paid: --from-stage after the cheap copy was pruned makes it again and repeats no paid step',
    group: 'paid',
    code: 0,
    message: /completed .* 2 ran, 3 reused \(copy made again\)/,
    async run(ctx) {
      await completedRun(ctx, DERIVED);
      const saved = await ctx.ledger();
      const result = await ctx.spx(['run', PIPE, DOC, '--from-stage', 'steps']);
      const again = (await ctx.ledger()).slice(saved.length);
      const line = result.stdout.split('\n').find((l) => / ran, \d+ reused/.test(l)) ?? '';
      return { result, line: line.replace(/^✔ /, ''), repeated: again.filter((l) => l.startsWith('step:')), problems: again.includes('copy:copy') ? [] : ['the pruned copy was not made again'] };
    },
  },
];
