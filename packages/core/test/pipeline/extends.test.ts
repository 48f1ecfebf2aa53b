// `extends:` chains of any depth: merged root first, every error pointing at the file (and line) that
// set the value, relative plugin paths resolved from the file that lists them, cycles refused with
// the chain named, and every extending file carrying a name of its own.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadPipeline } from '../../src/pipeline/load.js';
import { SpxAggregateError, isSpxError, type SpxError } from '../../src/errors/errors.js';
import { TEXT_PLUGIN } from '../helpers.js';

const BASE = (name: string, plugin = TEXT_PLUGIN) =>
  `spx: 1\nname: ${name}\nversion: 1.0.0\nplugins: ["${plugin}"]\ninputs:\n  doc: { type: file }\nstages:\n  a:\n    uses: text/read\n    with: { input: "\${{ inputs.doc }}", transform: upper }\n  b:\n    uses: text/append\n    with: { from: "\${{ stages.a.outputs.text }}", suffix: "!" }\n`;
const layer = (name: string, parent: string, stages: string) => `spx: 1\nname: ${name}\nversion: 1.1.0\nextends: ${parent}\nstages:\n${stages}`;

describe('pipeline/extends', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-extends-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function write(files: Record<string, string>): Promise<void> {
    for (const [name, text] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), text);
    }
  }
  async function errorsOf(file: string): Promise<SpxError[]> {
    try {
      await loadPipeline(join(dir, file));
    } catch (error) {
      if (!isSpxError(error)) throw error;
      return error instanceof SpxAggregateError ? error.errors : [error];
    }
    throw new Error('pipeline unexpectedly valid');
  }
  const where = (e: SpxError) => `${e.code} ${e.loc?.file.replace(`${dir}/`, '')}:${e.loc?.line}:${e.loc?.column} ${e.message}`;

  it('merges three levels: the grandparent stages, the parent and the child overrides', async () => {
    await write({
      'grand.yaml': BASE('grand'),
      'parent.yaml': layer('parent', './grand.yaml', '  b:\n    with: { suffix: "?" }\n'),
      'child.yaml': layer('child', './parent.yaml', '  a:\n    with: { transform: lower }\n'),
    });
    const pipeline = await loadPipeline(join(dir, 'child.yaml'));
    expect(pipeline.spec.name).to.equal('child');
    expect(pipeline.order).to.deep.equal(['a', 'b']);
    expect(pipeline.spec.stages.a!.with).to.deep.equal({ input: '${{ inputs.doc }}', transform: 'lower' });
    expect(pipeline.spec.stages.b!.with).to.deep.equal({ from: '${{ stages.a.outputs.text }}', suffix: '?' });
    expect(pipeline.spec).to.not.have.property('extends');
  });

  it('replaces the inherited `with:` of a stage whose `uses:` the child changes (another vendor, other params)', async () => {
    await write({
      'base.yaml': BASE('base'),
      'child.yaml': layer('child', './base.yaml', '  b:\n    uses: text/read\n    with: { input: "${{ inputs.doc }}" }\n'),
    });
    const pipeline = await loadPipeline(join(dir, 'child.yaml'));
    expect(pipeline.spec.stages.b).to.deep.equal({ uses: 'text/read', with: { input: '${{ inputs.doc }}' } });
    expect(pipeline.spec.stages.a!.with).to.deep.equal({ input: '${{ inputs.doc }}', transform: 'upper' });
  });

  it('merges four levels across directories, resolving each relative plugin path from its own file', async () => {
    await write({
      'root/plugin.ts': `export { default } from ${JSON.stringify(TEXT_PLUGIN)};\n`,
      'root/base.yaml': BASE('root', './plugin.ts'),
      'one/one.yaml': layer('one', '../root/base.yaml', '  b:\n    with: { suffix: "1" }\n'),
      'two/two.yaml': layer('two', '../one/one.yaml', '  c:\n    uses: text/append\n    with: { from: "${{ stages.b.outputs.text }}" }\n'),
      'three.yaml': layer('three', './two/two.yaml', '  c:\n    with: { suffix: "3" }\n'),
    });
    const pipeline = await loadPipeline(join(dir, 'three.yaml'));
    expect(pipeline.order).to.deep.equal(['a', 'b', 'c']);
    expect(pipeline.spec.stages.b!.with!.suffix).to.equal('1');
    expect(pipeline.spec.stages.c!.with).to.deep.equal({ from: '${{ stages.b.outputs.text }}', suffix: '3' });
    expect(pipeline.plugins.map((p) => p.name)).to.include('spx-plugin-text');
  });

  it('points each error at the file and line that set the value, at every level', async () => {
    await write({
      'grand.yaml': BASE('grand').replace('transform: upper', 'transform: sideways'),
      'parent.yaml': layer('parent', './grand.yaml', '  b:\n    with: { suffix: 7 }\n'),
      'child.yaml': layer('child', './parent.yaml', '  a:\n    with: { delayMs: slow }\n'),
    });
    const errors = (await errorsOf('child.yaml')).map(where).sort();
    expect(errors).to.have.length(3);
    expect(errors[0]).to.match(/^PARAMS_INVALID child\.yaml:7:22 .*"delayMs"/);
    expect(errors[1]).to.match(/^PARAMS_INVALID grand\.yaml:10:52 .*"transform"/);
    expect(errors[2]).to.match(/^PARAMS_INVALID parent\.yaml:7:21 .*"suffix"/);
  });

  it('points a plugin error at the ancestor that lists the plugin', async () => {
    await write({
      'grand.yaml': BASE('grand').replace(`plugins: ["${TEXT_PLUGIN}"]`, `plugins: ["${TEXT_PLUGIN}", "./missing-plugin.ts"]`),
      'parent.yaml': layer('parent', './grand.yaml', '  b:\n    with: { suffix: "?" }\n'),
      'child.yaml': layer('child', './parent.yaml', '  a:\n    with: { transform: lower }\n').replace('extends:', 'plugins: ["./other-missing.ts"]\nextends:'),
    });
    const errors = (await errorsOf('child.yaml')).map(where).sort();
    expect(errors).to.deep.equal([
      'PLUGIN_NOT_FOUND child.yaml:4:11 Plugin "./other-missing.ts" was not found.',
      `PLUGIN_NOT_FOUND grand.yaml:4:${13 + TEXT_PLUGIN.length + 2} Plugin "./missing-plugin.ts" was not found.`,
    ]);
  });

  it('refuses a cycle, naming the chain, at the extends: that closes it', async () => {
    await write({ 'a.yaml': layer('a', './b.yaml', '  x:\n    with: {}\n'), 'b.yaml': layer('b', './c.yaml', '  x:\n    with: {}\n'), 'c.yaml': layer('c', './a.yaml', '  x:\n    with: {}\n') });
    const errors = (await errorsOf('a.yaml')).map(where);
    expect(errors).to.deep.equal(['PIPELINE_CYCLE c.yaml:4:10 extends: forms a cycle: a.yaml → b.yaml → c.yaml → a.yaml.']);
  });

  it('refuses a file that extends itself', async () => {
    await write({ 'self.yaml': layer('self', './self.yaml', '  x:\n    with: {}\n') });
    expect((await errorsOf('self.yaml')).map(where)).to.deep.equal(['PIPELINE_CYCLE self.yaml:4:10 extends: forms a cycle: self.yaml → self.yaml.']);
  });

  it('reports an extends: target that is missing at the file that names it', async () => {
    await write({ 'parent.yaml': layer('parent', './nowhere.yaml', '  b:\n    with: {}\n'), 'child.yaml': layer('child', './parent.yaml', '  b:\n    with: {}\n') });
    expect((await errorsOf('child.yaml')).map(where)).to.deep.equal(['PIPELINE_NOT_FOUND parent.yaml:4:10 Pipeline "./nowhere.yaml" named in extends: was not found.']);
  });

  describe('own name', () => {
    it('refuses a child that keeps its parent name, at name:', async () => {
      await write({ 'base.yaml': BASE('standard'), 'child.yaml': layer('standard', './base.yaml', '  b:\n    with: { suffix: "?" }\n') });
      const errors = await errorsOf('child.yaml');
      expect(errors.map(where)).to.deep.equal([`PIPELINE_SCHEMA child.yaml:2:7 child.yaml has the name "standard" of the pipeline it extends (base.yaml); the two would share run ids and checkpoints.`]);
      expect(errors[0]!.hint).to.equal('Give it its own name, e.g. name: standard-custom.');
    });

    it("refuses a child that takes its grandparent's name", async () => {
      await write({ 'grand.yaml': BASE('grand'), 'parent.yaml': layer('parent', './grand.yaml', '  b:\n    with: {}\n'), 'child.yaml': layer('grand', './parent.yaml', '  b:\n    with: {}\n') });
      expect((await errorsOf('child.yaml')).map(where)).to.deep.equal([`PIPELINE_SCHEMA child.yaml:2:7 child.yaml has the name "grand" of the pipeline it extends (grand.yaml); the two would share run ids and checkpoints.`]);
    });

    it('refuses a parent in the chain that keeps the grandparent name', async () => {
      await write({ 'grand.yaml': BASE('grand'), 'parent.yaml': layer('grand', './grand.yaml', '  b:\n    with: {}\n'), 'child.yaml': layer('child', './parent.yaml', '  b:\n    with: {}\n') });
      expect((await errorsOf('child.yaml')).map(where)).to.deep.equal([`PIPELINE_SCHEMA parent.yaml:2:7 parent.yaml has the name "grand" of the pipeline it extends (grand.yaml); the two would share run ids and checkpoints.`]);
    });

    it('refuses a child with no name, at extends:', async () => {
      await write({ 'base.yaml': BASE('standard'), 'child.yaml': layer('x', './base.yaml', '  b:\n    with: {}\n').replace('name: x\n', '') });
      const errors = await errorsOf('child.yaml');
      expect(errors.map(where)).to.deep.equal([`PIPELINE_SCHEMA child.yaml:3:10 child.yaml extends base.yaml but has no name of its own.`]);
      expect(errors[0]!.hint).to.match(/differs from "standard"/);
    });
  });
});
