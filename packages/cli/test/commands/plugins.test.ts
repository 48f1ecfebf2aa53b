import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { json, REPO, spx, tempDir, textPipeline, type CliResult, type TempDir } from '../helpers.js';

interface PluginInfo {
  name: string;
  version: string;
  builtin: boolean;
  stages: Array<{ id: string; params: Array<{ name: string; required: boolean; default?: unknown; type?: string }>; outputs: Array<{ name: string; kind: string; description: string }>; pricing?: { unit: string; usd: number } }>;
}

/** Runs mocha in a directory the way the scaffold's own `pnpm test` does. */
function mocha(cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--reporter', 'dot'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('spx plugins', function () {
  this.timeout(120_000);
  let t: TempDir;

  before(async () => {
    // Inside the repository, so the scaffold's imports of @spx/core, mocha and tsx resolve through
    // the workspace's node_modules exactly as they would after `pnpm install` in the new package.
    const parent = join(REPO, 'packages', 'cli', '.tmp');
    await mkdir(parent, { recursive: true });
    t = await tempDir(parent);
    await t.write('pipeline.yaml', textPipeline());
  });

  after(async () => {
    await t.remove();
  });

  it('list shows the shipped plugins and core stages with params and outputs, or a pipeline\'s plugins', async () => {
    const [shipped, fromPipeline, missing] = await Promise.all([
      spx(['plugins', 'list', '--json'], t.dir),
      spx(['plugins', 'list', '--pipeline', 'pipeline.yaml'], t.dir),
      spx(['plugins', 'list', '--pipeline', 'nope.yaml'], t.dir),
    ]);
    const { plugins, errors } = json<{ plugins: PluginInfo[]; errors: Array<{ plugin: string; code: string }> }>(shipped);
    // A shipped plugin that fails to load is reported with its code and fails the command.
    expect(shipped.code).to.equal(errors.length ? 2 : 0);
    for (const e of errors) expect(e.plugin).to.match(/^@spx\/plugin-/);
    const names = plugins.map((p) => p.name);
    expect(names[0]).to.equal('@spx/core');
    expect([...names, ...errors.map((e) => e.plugin)]).to.include.members(['@spx/core', '@spx/plugin-ffmpeg', '@spx/plugin-local', '@spx/plugin-openai', '@spx/plugin-pyannote', '@spx/plugin-replicate', '@spx/plugin-assemblyai', '@spx/plugin-deepgram', '@spx/plugin-elevenlabs']);
    const core = plugins[0]!;
    expect(core.builtin).to.equal(true);
    expect(core.stages.map((s) => s.id)).to.include.members(['core/merge', 'core/export']);
    // TypeBox schemas list defaulted params as required; users never have to give them.
    const merge = core.stages.find((s) => s.id === 'core/merge')!;
    expect(merge.params.find((p) => p.name === 'tolerance')).to.deep.include({ required: false });
    expect(merge.params.find((p) => p.name === 'transcript')).to.deep.include({ required: true });
    const convert = plugins.find((p) => p.name === '@spx/plugin-ffmpeg')!.stages.find((s) => s.id === 'ffmpeg/convert')!;
    expect(convert.params.find((p) => p.name === 'input')).to.deep.include({ required: true });
    expect(convert.params.find((p) => p.name === 'sampleRate')).to.deep.include({ required: false, default: 16000 });
    expect(merge.params.find((p) => p.name === 'tolerance')).to.deep.include({ default: 1 });
    const diarize = plugins.find((p) => p.name === '@spx/plugin-pyannote')!.stages.find((s) => s.id === 'pyannote/diarize')!;
    expect(diarize.params.find((p) => p.name === 'model')).to.deep.include({ required: false, default: 'precision-2' });
    expect(convert.outputs).to.deep.include({ name: 'audio', kind: 'file', description: convert.outputs.find((o) => o.name === 'audio')!.description });
    expect(plugins.find((p) => p.name === '@spx/plugin-openai')!.stages[0]!.pricing).to.have.property('unit');

    expect(fromPipeline.code, fromPipeline.stderr).to.equal(0);
    expect(fromPipeline.stdout).to.include('spx-plugin-text 1.0.0');
    expect(fromPipeline.stdout).to.match(/text\/steps\s+Does `count` paid sub-steps, each checkpointed\.\n\s+params\s+from\*, count=5, delayMs=0\n\s+outputs\s+text \(file\)\s+· paid: ~\$0\.01 per step/);
    expect(fromPipeline.stdout).to.include('2 plugins, 6 stages.');

    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('error PIPELINE_NOT_FOUND');
  });

  it('finds a plugin package in the current project, and gives a local plugin without @spx/core the running one', async () => {
    // Outside the repository: nothing but what the test writes resolves from here.
    const project = await tempDir();
    try {
      const pkg = join(project.dir, 'node_modules', 'spx-plugin-shout');
      await mkdir(pkg, { recursive: true });
      await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'spx-plugin-shout', version: '2.1.0', type: 'module', exports: './index.js' }));
      await writeFile(join(pkg, 'index.js'), `import { readFile } from 'node:fs/promises';
export default { name: 'spx-plugin-shout', version: '2.1.0', apiVersion: 1, stages: { 'shout/upper': {
  description: 'Upper-cases a file.', params: { type: 'object', properties: { input: { type: 'string' } }, required: ['input'] },
  outputs: { text: { kind: 'json', description: 'The text, upper-cased' } },
  async run(ctx) { return { outputs: { text: (await readFile(ctx.params.input, 'utf8')).toUpperCase() } }; },
} } };
`);
      await project.write('exclaim.js', `import { definePlugin, defineStage, Type } from '@spx/core';
export default definePlugin({ name: 'exclaim', version: '1.0.0', apiVersion: 1, stages: { 'exclaim/add': defineStage({
  description: 'Adds an exclamation mark.', params: Type.Object({ text: Type.String() }),
  outputs: { text: { kind: 'json', description: 'The text with a !' } },
  async run(ctx) { return { outputs: { text: \`\${ctx.params.text}!\` } }; },
}) } });
`);
      await mkdir(join(project.dir, 'pipelines'));
      await project.write('pipelines/p.yaml', `spx: 1
name: p
version: 1.0.0
plugins: ["spx-plugin-shout", "../exclaim.js"]
inputs:
  doc: { type: file }
stages:
  up:
    uses: shout/upper
    with: { input: "\${{ inputs.doc }}" }
  add:
    uses: exclaim/add
    with: { text: "\${{ stages.up.outputs.text }}" }
`);
      await project.write('doc.txt', 'hey');
      const [ran, listed] = await Promise.all([spx(['run', 'pipelines/p.yaml', 'doc.txt', '--json'], project.dir), spx(['plugins', 'list', '--json'], project.dir)]);
      expect(ran.code, ran.stderr).to.equal(0);
      const summary = ran.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type?: string; results?: Array<{ status: string }> }).find((e) => e.type === 'summary');
      expect(summary?.results?.[0]?.status).to.equal('completed');
      const { plugins } = json<{ plugins: Array<PluginInfo & { source?: string }> }>(listed);
      expect(plugins.find((p) => p.name === 'spx-plugin-shout')).to.deep.include({ version: '2.1.0', source: await realpath(pkg) });
      expect(plugins.find((p) => p.name === '@spx/plugin-ffmpeg')?.source).to.equal(await realpath(join(REPO, 'packages', 'plugin-ffmpeg')));

      await project.write('pipelines/missing.yaml', 'spx: 1\nname: m\nversion: 1.0.0\nplugins: ["spx-plugin-nope"]\nstages:\n  a: { uses: nope/a }\n');
      const missing = await spx(['pipelines', 'validate', 'pipelines/missing.yaml'], project.dir);
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.include('hint: Install it: npm install spx-plugin-nope');
    } finally {
      await project.remove();
    }
  });

  it('new scaffolds a plugin whose own test passes and that spx run can use', async () => {
    const [created, badName] = await Promise.all([spx(['plugins', 'new', 'wordstats', '--dir', t.dir, '--json'], t.dir), spx(['plugins', 'new', 'Word Stats'], t.dir)]);
    expect(created.code, created.stderr).to.equal(0);
    const result = json<{ packageName: string; namespace: string; dir: string; stage: string; files: string[] }>(created);
    expect(result).to.deep.include({ packageName: 'spx-plugin-wordstats', namespace: 'wordstats', dir: join(t.dir, 'spx-plugin-wordstats'), stage: 'wordstats/word-count' });
    expect(result.files).to.include.members(['package.json', 'README.md', 'src/index.ts', 'src/stages/word-count.ts', 'src/stages/word-count.schema.ts', 'test/word-count.test.ts']);
    const pkg = JSON.parse(await readFile(join(result.dir, 'package.json'), 'utf8')) as { name: string; peerDependencies: Record<string, string> };
    expect(pkg.name).to.equal('spx-plugin-wordstats');
    expect(pkg.peerDependencies).to.have.property('@spx/core');
    expect(await readFile(join(result.dir, 'README.md'), 'utf8')).to.include('| `wordstats/word-count` |');
    expect(badName.code).to.equal(2);
    expect(badName.stderr).to.include('error USAGE: "Word Stats" is not a usable plugin name.');

    await t.write('words.yaml', `spx: 1
name: word-stats
version: 1.0.0
plugins: ["./spx-plugin-wordstats/src/index.ts"]
inputs:
  doc: { type: file }
stages:
  count:
    uses: wordstats/word-count
    with: { input: "\${{ inputs.doc }}", top: 2 }
`);
    await t.write('notes.txt', 'speech to text to speech to text to');
    const [tested, ran, again] = await Promise.all([
      mocha(result.dir),
      spx(['run', 'words.yaml', 'notes.txt'], t.dir),
      spx(['plugins', 'new', 'wordstats', '--dir', t.dir], t.dir),
    ]);
    expect(tested.code, `${tested.stdout}\n${tested.stderr}`).to.equal(0);
    expect(tested.stdout).to.match(/9 passing/);
    expect(ran.code, ran.stderr).to.equal(0);
    const runs = readdirSync(join(t.dir, '.spx', 'runs'));
    expect(runs).to.have.length(1);
    const countDir = join(t.dir, '.spx', 'runs', runs[0]!, 'count');
    const [checkpoint] = readdirSync(countDir).filter((name) => /^[0-9a-f]{12}$/.test(name));
    const report = JSON.parse(await readFile(join(countDir, checkpoint!, 'report.json'), 'utf8')) as { words: number; top: unknown[] };
    expect(report).to.deep.equal({ words: 8, bySpeaker: { unknown: 8 }, top: [{ word: 'to', count: 4 }, { word: 'speech', count: 2 }] });
    expect(again.code).to.equal(2);
    expect(again.stderr).to.match(/error USAGE: Directory .*spx-plugin-wordstats already exists and is not empty/);
    expect(existsSync(join(result.dir, 'node_modules'))).to.equal(false);
  });
});
