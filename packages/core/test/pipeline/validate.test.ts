import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadPipeline } from '../../src/pipeline/load.js';
import { SpxAggregateError, isSpxError, type SpxError } from '../../src/errors/errors.js';
import { TEXT_PLUGIN } from '../helpers.js';

const HEAD = `spx: 1\nname: demo\nversion: 1.0.0\nplugins: ["${TEXT_PLUGIN}"]\ninputs:\n  doc: { type: file }\n`;
// Each case: YAML text, expected error code and the 1-based line (and column where it matters).
const cases: Array<{ name: string; yaml: string; code: string; line: number; column?: number; hint?: RegExp }> = [
  { name: 'YAML syntax error', yaml: `${HEAD}stages:\n  read: { uses: text/read\n`, code: 'PIPELINE_YAML_SYNTAX', line: 9 },
  { name: 'bad indentation', yaml: `${HEAD}stages:\n  read:\n    uses: text/read\n   with: {}\n`, code: 'PIPELINE_YAML_SYNTAX', line: 10 },
  { name: 'duplicate stage id', yaml: `${HEAD}stages:\n  read:\n    uses: text/read\n    with: { input: x }\n  read:\n    uses: text/read\n`, code: 'PIPELINE_DUPLICATE_KEY', line: 11 },
  { name: 'missing version', yaml: `spx: 1\nname: demo\nstages:\n  a: { uses: text/read, with: { input: x } }\n`, code: 'PIPELINE_SCHEMA', line: 1, hint: /version/ },
  { name: 'version not semver', yaml: HEAD.replace('1.0.0', 'one') + `stages:\n  a: { uses: text/read, with: { input: x } }\n`, code: 'PIPELINE_SCHEMA', line: 3, column: 10 },
  { name: 'a format this spx does not read', yaml: HEAD.replace('spx: 1', 'spx: 2') + `stages:\n  a: { uses: text/read, with: { input: x } }\n`, code: 'PIPELINE_VERSION', line: 1, column: 6 },
  { name: 'a format key that is not a number', yaml: HEAD.replace('spx: 1', 'spx: one') + `stages:\n  a: { uses: text/read, with: { input: x } }\n`, code: 'PIPELINE_SCHEMA', line: 1, column: 6 },
  { name: 'unknown top-level key with suggestion', yaml: `${HEAD}stagse: {}\nstages:\n  a: { uses: text/read, with: { input: x } }\n`, code: 'PIPELINE_SCHEMA', line: 7, column: 1, hint: /stages/ },
  { name: 'unknown stage key', yaml: `${HEAD}stages:\n  a:\n    uses: text/read\n    width: { input: x }\n`, code: 'PIPELINE_SCHEMA', line: 10, column: 5, hint: /with/ },
  { name: 'unknown plugin', yaml: HEAD.replace(TEXT_PLUGIN, '@spx/plugin-nope') + `stages:\n  a: { uses: text/read, with: { input: x } }\n`, code: 'PLUGIN_NOT_FOUND', line: 4 },
  { name: 'unknown stage type with suggestion', yaml: `${HEAD}stages:\n  a:\n    uses: text/raed\n    with: { input: x }\n`, code: 'STAGE_NOT_FOUND', line: 9, column: 11, hint: /text\/read/ },
  { name: 'missing required param', yaml: `${HEAD}stages:\n  a:\n    uses: text/read\n    with: { transform: upper }\n`, code: 'PARAMS_INVALID', line: 10, hint: /input/ },
  { name: 'param of the wrong type', yaml: `${HEAD}stages:\n  a:\n    uses: text/read\n    with: { input: x, delayMs: "slow" }\n`, code: 'PARAMS_INVALID', line: 10, column: 32 },
  { name: 'param not in enum', yaml: `${HEAD}stages:\n  a:\n    uses: text/read\n    with:\n      input: x\n      transform: shout\n`, code: 'PARAMS_INVALID', line: 12, column: 18 },
  { name: 'unknown param with suggestion', yaml: `${HEAD}stages:\n  a:\n    uses: text/read\n    with:\n      input: x\n      transfrom: upper\n`, code: 'PARAMS_INVALID', line: 12, column: 7, hint: /transform/ },
  { name: 'reference to unknown stage', yaml: `${HEAD}stages:\n  a:\n    uses: text/append\n    with:\n      from: "\${{ stages.nope.outputs.text }}"\n`, code: 'PIPELINE_REFERENCE', line: 11 },
  { name: 'reference to unknown output', yaml: `${HEAD}stages:\n  a: { uses: text/read, with: { input: x } }\n  b:\n    uses: text/append\n    with:\n      from: "\${{ stages.a.outputs.txt }}"\n`, code: 'PIPELINE_REFERENCE', line: 12, hint: /text/ },
  { name: 'reference to undeclared input', yaml: `${HEAD}stages:\n  a:\n    uses: text/read\n    with:\n      input: "\${{ inputs.audio }}"\n`, code: 'PIPELINE_REFERENCE', line: 11 },
  { name: 'malformed expression', yaml: `${HEAD}stages:\n  a:\n    uses: text/read\n    with:\n      input: "\${{ input.doc }}"\n`, code: 'PIPELINE_REFERENCE', line: 11 },
  { name: 'needs unknown stage', yaml: `${HEAD}stages:\n  a:\n    uses: text/read\n    with: { input: x }\n    needs: [b]\n`, code: 'PIPELINE_REFERENCE', line: 11 },
  { name: 'cycle', yaml: `${HEAD}stages:\n  a:\n    uses: text/append\n    with: { from: "\${{ stages.b.outputs.text }}" }\n  b:\n    uses: text/append\n    with: { from: "\${{ stages.a.outputs.text }}" }\n`, code: 'PIPELINE_CYCLE', line: 8 },
  { name: 'self reference', yaml: `${HEAD}stages:\n  a:\n    uses: text/append\n    with: { from: "\${{ stages.a.outputs.text }}" }\n`, code: 'PIPELINE_CYCLE', line: 10 },
  { name: 'empty stages', yaml: `${HEAD}stages: {}\n`, code: 'PIPELINE_SCHEMA', line: 7 },
  { name: 'not a mapping', yaml: `- just\n- a list\n`, code: 'PIPELINE_SCHEMA', line: 1 },
];

describe('pipeline/validate', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-validate-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function errorsOf(yaml: string, name = 'pipeline.yaml'): Promise<SpxError[]> {
    const file = join(dir, name);
    await writeFile(file, yaml);
    try {
      await loadPipeline(file);
    } catch (error) {
      if (!isSpxError(error)) throw error;
      return error instanceof SpxAggregateError ? error.errors : [error];
    }
    throw new Error('pipeline unexpectedly valid');
  }

  for (const c of cases) {
    it(`reports ${c.name} with its position`, async () => {
      const errors = await errorsOf(c.yaml);
      const match = errors.find((e) => e.code === c.code);
      expect(match, `codes: ${errors.map((e) => `${e.code}@${e.loc?.line}:${e.loc?.column} ${e.message}`).join(' | ')}`).to.not.equal(undefined);
      expect(match!.loc?.line, match!.message).to.equal(c.line);
      if (c.column) expect(match!.loc?.column, match!.message).to.equal(c.column);
      expect(match!.hint, 'every error has a hint').to.be.a('string').and.not.equal('');
      if (c.hint) expect(match!.hint).to.match(c.hint);
    });
  }

  it('reports all problems at once', async () => {
    const errors = await errorsOf(`${HEAD}stages:\n  a:\n    uses: text/raed\n  b:\n    uses: text/append\n    with: { from: "\${{ stages.zz.outputs.text }}" }\n    needs: [q]\n`);
    expect(errors.map((e) => e.code)).to.include.members(['STAGE_NOT_FOUND', 'PIPELINE_REFERENCE']);
    expect(errors.length).to.be.greaterThanOrEqual(3);
  });

  it('names the cycle', async () => {
    const errors = await errorsOf(`${HEAD}stages:\n  a: { uses: text/append, with: { from: "\${{ stages.c.outputs.text }}" } }\n  b: { uses: text/append, with: { from: "\${{ stages.a.outputs.text }}" } }\n  c: { uses: text/append, with: { from: "\${{ stages.b.outputs.text }}" } }\n`);
    expect(errors[0]!.message).to.match(/a → c → b → a|a → b → c → a|c → b → a → c/);
  });

  it('accepts a valid pipeline and orders stages topologically', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, `${HEAD}stages:\n  b: { uses: text/append, with: { from: "\${{ stages.a.outputs.text }}" } }\n  a: { uses: text/read, with: { input: "\${{ inputs.doc }}" } }\n`);
    const pipeline = await loadPipeline(file);
    expect(pipeline.order).to.deep.equal(['a', 'b']);
    expect(pipeline.stages.get('b')!.deps).to.deep.equal(['a']);
  });

  it('validates --set overrides like the file', async () => {
    const file = join(dir, 'ok2.yaml');
    await writeFile(file, `${HEAD}stages:\n  a: { uses: text/read, with: { input: x } }\n`);
    const pipeline = await loadPipeline(file, { overrides: ['a.transform=upper'] });
    expect(pipeline.spec.stages.a!.with!.transform).to.equal('upper');
    const error = await loadPipeline(file, { overrides: ['a.transform=shout'] }).catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('PARAMS_INVALID');
    expect(isSpxError(error) && error.loc).to.deep.equal({ file: '--set', line: 1, column: 1 });
    const usage = await loadPipeline(file, { overrides: ['nonsense'] }).catch((e: unknown) => e);
    expect(isSpxError(usage) && usage.code).to.equal('USAGE');
  });

  it('merges extends: and points errors at the file that set the value', async () => {
    await mkdir(join(dir, 'ext'), { recursive: true });
    await writeFile(join(dir, 'ext', 'base.yaml'), `${HEAD}stages:\n  a: { uses: text/read, with: { input: x, transform: upper } }\n  b: { uses: text/append, with: { from: "\${{ stages.a.outputs.text }}" } }\n`);
    await writeFile(join(dir, 'ext', 'child.yaml'), `spx: 1\nname: demo-mine\nversion: 1.1.0\nextends: ./base.yaml\nstages:\n  b:\n    with:\n      suffix: 42\n`);
    const errors = await errorsOf(`spx: 1\nname: demo-mine\nversion: 1.1.0\nextends: ./base.yaml\nstages:\n  b:\n    with:\n      suffix: 42\n`, 'ext/child.yaml');
    expect(errors[0]!.code).to.equal('PARAMS_INVALID');
    expect(errors[0]!.loc!.file).to.contain('child.yaml');
    expect(errors[0]!.loc!.line).to.equal(8);
    await writeFile(join(dir, 'ext', 'child.yaml'), `spx: 1\nname: demo-mine\nversion: 1.1.0\nextends: ./base.yaml\nstages:\n  b:\n    with:\n      suffix: "?"\n`);
    const merged = await loadPipeline(join(dir, 'ext', 'child.yaml'));
    expect(merged.spec.stages.b!.with).to.deep.equal({ from: '${{ stages.a.outputs.text }}', suffix: '?' });
    expect(merged.spec.stages.a!.with!.transform).to.equal('upper');
    expect(merged.spec.version).to.equal('1.1.0');
  });
});
