// YAML aliases: any number of ordinary uses load; a document whose aliases expand it beyond the
// limit (billion laughs), an alias without an anchor and an alias inside its own value are refused
// with a position and a code, never INTERNAL.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadPipeline } from '../../src/pipeline/load.js';
import { parseYaml } from '../../src/pipeline/parse.js';
import { isSpxError, type SpxError } from '../../src/errors/errors.js';
import { TEXT_PLUGIN } from '../helpers.js';

const HEAD = `spx: 1\nname: demo\nversion: 1.0.0\nplugins: ["${TEXT_PLUGIN}"]\ninputs:\n  doc: { type: file }\n`;

function billionLaughs(levels: number): string {
  const lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'];
  for (let i = 1; i < levels; i++) {
    const prev = String.fromCharCode(96 + i);
    lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

function failure(fn: () => unknown): SpxError {
  try {
    fn();
  } catch (error) {
    if (isSpxError(error)) return error;
    throw error;
  }
  throw new Error('unexpectedly parsed');
}

describe('pipeline/aliases', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-alias-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('loads a pipeline with 300 stages sharing one anchored parameter block', async () => {
    const shared = Array.from({ length: 300 }, (_, i) => `  s${i}:\n    uses: text/append\n    with: *common\n`).join('');
    const file = join(dir, 'many.yaml');
    await writeFile(file, `${HEAD}stages:\n  read:\n    uses: text/read\n    with: { input: "\${{ inputs.doc }}" }\n  first:\n    uses: text/append\n    with: &common { from: "\${{ stages.read.outputs.text }}", suffix: "!" }\n${shared}`);
    const pipeline = await loadPipeline(file);
    expect(pipeline.stages.size).to.equal(302);
    expect(pipeline.stages.get('s299')!.deps).to.deep.equal(['read']);
  });

  it('loads 300 alias uses of an anchored scalar and list', async () => {
    const file = join(dir, 'scalars.yaml');
    const stages = Array.from({ length: 150 }, (_, i) => `  s${i}:\n    uses: text/append\n    with: { from: *from, suffix: *suffix }\n`).join('');
    await writeFile(file, `${HEAD}stages:\n  read:\n    uses: text/read\n    with: { input: &from "\${{ inputs.doc }}" }\n  first:\n    uses: text/append\n    with: { from: "\${{ stages.read.outputs.text }}", suffix: &suffix "!" }\n${stages}`);
    const pipeline = await loadPipeline(file);
    expect(pipeline.stages.size).to.equal(152);
    expect(pipeline.spec.stages.s149!.with).to.deep.equal({ from: '${{ inputs.doc }}', suffix: '!' });
  });

  it('gives every alias use its own copy: --set on one stage leaves the others', async () => {
    const file = join(dir, 'shared.yaml');
    await writeFile(file, `${HEAD}stages:\n  read:\n    uses: text/read\n    with: { input: "\${{ inputs.doc }}" }\n  a:\n    uses: text/append\n    with: &w { from: "\${{ stages.read.outputs.text }}", suffix: "!" }\n  b:\n    uses: text/append\n    with: *w\n`);
    const pipeline = await loadPipeline(file, { overrides: ['a.suffix=.'] });
    expect(pipeline.spec.stages.a!.with!.suffix).to.equal('.');
    expect(pipeline.spec.stages.b!.with!.suffix).to.equal('!');
  });

  it('refuses a billion-laughs document with PIPELINE_TOO_LARGE at the alias that expands most', () => {
    const error = failure(() => parseYaml('bomb.yaml', billionLaughs(9)));
    expect(error.code).to.equal('PIPELINE_TOO_LARGE');
    expect(error.message).to.match(/^YAML aliases expand this file by [\d,]+ values \(alias \*h alone stands for 48,427,561\); the limit is 100,000\.$/);
    expect(error.loc).to.include({ file: 'bomb.yaml', line: 9 });
    expect(error.hint).to.match(/fewer levels/);
  });

  it('accepts a nested-alias document just under the limit', () => {
    // 9^5 = 59 049 values added: legitimate, if odd.
    const parsed = parseYaml('ok.yaml', billionLaughs(5));
    expect((parsed.value as { e: unknown[] }).e).to.have.length(9);
  });

  it('refuses an alias with no anchor, at the alias', () => {
    const error = failure(() => parseYaml('p.yaml', 'a: 1\nb: *nowhere\n'));
    expect(error.code).to.equal('PIPELINE_YAML_SYNTAX');
    expect(error.message).to.equal('Alias *nowhere refers to no anchor.');
    expect(error.loc).to.deep.equal({ file: 'p.yaml', line: 2, column: 4 });
  });

  it('refuses an alias inside the value it names', () => {
    const error = failure(() => parseYaml('p.yaml', 'a: &loop [1, *loop]\n'));
    expect(error.code).to.equal('PIPELINE_YAML_SYNTAX');
    expect(error.message).to.equal('Alias *loop is used inside the value it names.');
  });
});
