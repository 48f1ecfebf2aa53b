// Names that every JavaScript object already has (`__proto__`, `constructor`, `toString`, …) used as
// stage ids, input names, references, needs, parameters or --set paths: refused with a position, or
// looked up as the user's own key — never found on, or written to, Object.prototype.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadPipeline, PIPELINE_SCHEMA_PATH } from '../../src/pipeline/load.js';
import { RESERVED_NAMES } from '../../src/pipeline/reserved.js';
import { SpxAggregateError, isSpxError, type SpxError } from '../../src/errors/errors.js';
import { TEXT_PLUGIN } from '../helpers.js';

const HEAD = `spx: 1\nname: demo\nversion: 1.0.0\nplugins: ["${TEXT_PLUGIN}"]\ninputs:\n  doc: { type: file }\n`;
const READ = '  read:\n    uses: text/read\n    with: { input: "${{ inputs.doc }}" }\n';

describe('pipeline/prototype-safe names', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-proto-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  afterEach(() => {
    // Nothing a pipeline or --set does may reach the shared prototype.
    expect(Object.prototype).to.not.have.any.keys('polluted', 'ghost');
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  async function errorsOf(yaml: string, overrides: string[] = []): Promise<SpxError[]> {
    const file = join(dir, 'pipeline.yaml');
    await writeFile(file, yaml);
    try {
      await loadPipeline(file, { overrides });
    } catch (error) {
      if (!isSpxError(error)) throw error;
      return error instanceof SpxAggregateError ? error.errors : [error];
    }
    throw new Error('pipeline unexpectedly valid');
  }
  const describeErrors = (errors: SpxError[]) => errors.map((e) => `${e.code}@${e.loc?.file}:${e.loc?.line}:${e.loc?.column} ${e.message}`).join(' | ');

  for (const path of ['__proto__.polluted', 'constructor.prototype.polluted', 'prototype.polluted', 'with.__proto__.polluted', 'toString']) {
    it(`refuses --set read.${path}=1 as USAGE at the flag`, async () => {
      const errors = await errorsOf(`${HEAD}stages:\n${READ}`, [`read.${path}=1`]);
      const usage = errors.find((e) => e.code === 'USAGE');
      expect(usage, describeErrors(errors)).to.not.equal(undefined);
      expect(usage!.message).to.match(/reserved name/);
      expect(usage!.loc).to.deep.equal({ file: '--set', line: 1, column: 1 });
    });
  }

  it('refuses a --set value that holds a __proto__ key', async () => {
    const errors = await errorsOf(`${HEAD}stages:\n${READ}`, ['read.extra={__proto__: {polluted: 1}}']);
    expect(errors.find((e) => e.code === 'USAGE')?.message, describeErrors(errors)).to.equal('--set "read.extra={__proto__: {polluted: 1}}": the key "__proto__" is reserved.');
  });

  it('takes a --set value with an alias as text, so it cannot contain itself', async () => {
    // A stage whose params accept anything: a circular value would pass validation and break hashing.
    await writeFile(join(dir, 'free.mjs'), "export default { name: 'free', version: '1.0.0', apiVersion: 1, stages: { 'free/any': { description: 'any params', params: { type: 'object' }, outputs: {}, run: async () => ({ outputs: {} }) } } };\n");
    const file = join(dir, 'free.yaml');
    await writeFile(file, 'spx: 1\nname: free\nversion: 1.0.0\nplugins: ["./free.mjs"]\nstages:\n  any:\n    uses: free/any\n');
    const pipeline = await loadPipeline(file, { overrides: ['any.extra=&a [1, *a]', 'any.star=*x'] });
    expect(pipeline.spec.stages.any!.with).to.deep.equal({ extra: '&a [1, *a]', star: '*x' });
  });

  it('does not let a refused --set feed a later lookup (no stage "ghost" appears)', async () => {
    const errors = await errorsOf(`${HEAD}stages:\n${READ}`, ['read.__proto__.ghost.with.x=1', 'ghost.y=2']);
    expect(errors.find((e) => e.loc?.line === 2)?.message, describeErrors(errors)).to.equal('--set names unknown stage "ghost".');
  });

  it('refuses --set on an inherited stage name as an unknown stage', async () => {
    const errors = await errorsOf(`${HEAD}stages:\n${READ}`, ['hasOwnProperty.x=1']);
    expect(errors[0]!.code, describeErrors(errors)).to.equal('USAGE');
    const unknown = await errorsOf(`${HEAD}stages:\n${READ}`, ['watch.x=1']);
    expect(unknown[0]!.message).to.equal('--set names unknown stage "watch".');
  });

  it('refuses an array length or a far index in a --set path', async () => {
    const errors = await errorsOf(`${HEAD}stages:\n${READ}  b:\n    uses: core/export\n    with: { transcript: x, formats: [srt] }\n`, ['b.formats.length=0']);
    expect(errors.find((e) => e.code === 'USAGE')?.message, describeErrors(errors)).to.match(/list can only be indexed/);
  });

  for (const id of ['constructor', 'toString', 'hasOwnProperty', 'prototype', 'valueOf']) {
    it(`refuses stage id "${id}" at its key`, async () => {
      const errors = await errorsOf(`${HEAD}stages:\n${READ}  ${id}:\n    uses: text/append\n    with: { from: "\${{ stages.read.outputs.text }}" }\n`);
      expect(errors, describeErrors(errors)).to.have.length(1);
      expect(errors[0]!.code).to.equal('PIPELINE_SCHEMA');
      expect(errors[0]!.message).to.equal(`"${id}" is a reserved name and cannot be a stage id.`);
      expect([errors[0]!.loc!.line, errors[0]!.loc!.column]).to.deep.equal([11, 3]);
    });
  }

  it('refuses input name "constructor" at its key', async () => {
    const errors = await errorsOf(`${HEAD}  constructor: { type: string, default: x }\nstages:\n${READ}`);
    expect(errors.map((e) => e.message), describeErrors(errors)).to.deep.equal(['"constructor" is a reserved name and cannot be an input name.']);
    expect([errors[0]!.loc!.line, errors[0]!.loc!.column]).to.deep.equal([7, 3]);
  });

  it('names a bad stage id at its own key, not the first stage', async () => {
    const errors = await errorsOf(`${HEAD}stages:\n${READ}  9lives:\n    uses: text/read\n    with: { input: x }\n`);
    expect(errors.map((e) => e.message), describeErrors(errors)).to.deep.equal(['Invalid stage id "9lives": must match ^[a-zA-Z][a-zA-Z0-9_-]*$.']);
    expect(errors[0]!.loc!.line).to.equal(11);
  });

  for (const name of ['constructor', 'toString']) {
    it(`reports needs: [${name}] as an unknown stage`, async () => {
      const errors = await errorsOf(`${HEAD}stages:\n${READ}    needs: [${name}]\n`);
      expect(errors.map((e) => `${e.code} ${e.message}`), describeErrors(errors)).to.deep.equal([`PIPELINE_REFERENCE Stage "read" needs unknown stage "${name}".`]);
    });

    it(`reports \${{ inputs.${name} }} as an undeclared input`, async () => {
      const errors = await errorsOf(`${HEAD}stages:\n  read:\n    uses: text/read\n    with: { input: "\${{ inputs.${name} }}" }\n`);
      expect(errors.map((e) => `${e.code} ${e.message}`), describeErrors(errors)).to.deep.equal([`PIPELINE_REFERENCE Stage "read" references undeclared input "${name}".`]);
    });

    it(`reports \${{ stages.${name}.outputs.text }} as an unknown stage`, async () => {
      const errors = await errorsOf(`${HEAD}stages:\n${READ}  b:\n    uses: text/append\n    with: { from: "\${{ stages.${name}.outputs.text }}" }\n`);
      expect(errors.map((e) => `${e.code} ${e.message}`), describeErrors(errors)).to.deep.equal([`PIPELINE_REFERENCE Stage "b" references unknown stage "${name}".`]);
    });

    it(`reports \${{ stages.read.outputs.${name} }} as an unknown output`, async () => {
      const errors = await errorsOf(`${HEAD}stages:\n${READ}  b:\n    uses: text/append\n    with: { from: "\${{ stages.read.outputs.${name} }}" }\n`);
      expect(errors.map((e) => `${e.code} ${e.message}`), describeErrors(errors)).to.deep.equal([`PIPELINE_REFERENCE Stage "read" (text/read) has no output "${name}".`]);
    });
  }

  it('refuses a __proto__ key anywhere in the document, at the key', async () => {
    const errors = await errorsOf(`${HEAD}stages:\n  read:\n    uses: text/read\n    with:\n      input: x\n      __proto__: { polluted: 1 }\n`);
    expect(errors.map((e) => `${e.code} ${e.message}`), describeErrors(errors)).to.deep.equal(['PIPELINE_SCHEMA The key "__proto__" is reserved and cannot be used in a pipeline.']);
    expect([errors[0]!.loc!.line, errors[0]!.loc!.column]).to.deep.equal([12, 7]);
  });

  it('keeps an own parameter named like a built-in as a plain unknown parameter', async () => {
    const errors = await errorsOf(`${HEAD}stages:\n  read:\n    uses: text/read\n    with: { input: x, constructor: 1 }\n`);
    expect(errors.map((e) => `${e.code} ${e.message}`), describeErrors(errors)).to.deep.equal(['PARAMS_INVALID Unknown key "constructor" in stage read (text/read).']);
  });

  it('the schema reserves exactly the names the loader reserves', () => {
    const schema = JSON.parse(readFileSync(PIPELINE_SCHEMA_PATH, 'utf8')) as { definitions: { reservedName: { enum: string[] } } };
    expect(schema.definitions.reservedName.enum).to.deep.equal([...RESERVED_NAMES]);
  });
});
