// Local plugin files load as ES modules wherever they live: a directory with no package.json, a
// package.json without "type": "module", or a CommonJS package; .ts, .js and .mts alike. A plugin
// that throws while it is imported is reported as PLUGIN_INVALID.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadPlugin } from '../../src/plugins/load.js';
import { isSpxError } from '../../src/errors/errors.js';

// What docs/writing-plugins.md shows, minus the @spx/core import (which must be installed next to
// a plugin outside this repository): TypeScript syntax, a default export, import.meta, top-level await.
const plugin = (name: string, typed: boolean, helper: string) => `import { basename } from 'node:path';
import { helper } from './${helper}';
const here${typed ? ': string' : ''} = basename(new URL(import.meta.url).pathname);
await Promise.resolve();
export default {
  name: '${name}',
  version: helper('1.0.0'),
  apiVersion: 1,
  stages: { '${name}/here': { description: here, params: { type: 'object' }, outputs: {}, run: async () => ({ outputs: {} }) } },
};
`;

describe('plugins/load: local files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-plugin-load-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function place(sub: string, packageJson: object | undefined, files: Record<string, string>): Promise<string> {
    const at = join(dir, sub);
    await mkdir(at, { recursive: true });
    if (packageJson) await writeFile(join(at, 'package.json'), JSON.stringify(packageJson));
    for (const [name, text] of Object.entries(files)) await writeFile(join(at, name), text);
    return join(at, 'pipeline.yaml');
  }

  const layouts: Array<[string, object | undefined]> = [
    ['no package.json', undefined],
    ['a package.json without "type"', { name: 'mine', version: '1.0.0' }],
    ['a "type": "commonjs" package', { name: 'mine', version: '1.0.0', type: 'commonjs' }],
  ];
  for (const [i, [layout, pkg]] of layouts.entries()) {
    for (const ext of ['ts', 'js', 'mts']) {
      it(`loads a .${ext} plugin from ${layout}`, async () => {
        const typed = ext !== 'js';
        const name = `p${i}${ext}`;
        // Local files the plugin imports are ES modules too: a .ts helper from .ts, a plain .js one otherwise.
        const helper = ext === 'ts' ? 'helper.ts' : 'helper.js';
        const pipelineFile = await place(name, pkg, {
          [`stages-${name}.${ext}`]: plugin(name, typed, helper),
          [helper]: ext === 'ts' ? 'export const helper = (v: string): string => v;\n' : 'export const helper = (v) => v;\n',
        });
        const loaded = await loadPlugin(`./stages-${name}.${ext}`, pipelineFile);
        expect(loaded.name).to.equal(name);
        expect(loaded.version).to.equal('1.0.0');
        expect(loaded.stages[`${name}/here`]!.description).to.equal(`stages-${name}.${ext}`);
      });
    }
  }

  it('reports a plugin that throws at import as PLUGIN_INVALID', async () => {
    const pipelineFile = await place('throws', { name: 'throws' }, { 'bad.ts': "const n: number = await Promise.resolve(1);\nthrow new Error('no config ' + n);\nexport default {};\n" });
    const error = await loadPlugin('./bad.ts', pipelineFile).catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('PLUGIN_INVALID');
    expect((error as Error).message).to.equal('Plugin "./bad.ts" failed to load: no config 1');
  });

  // A cheap file is deleted once its run completes and made again by running the stage: only a
  // declared output of a free stage may be cheap.
  for (const [i, [what, stage, message]] of ([
    ['an output it does not have', "outputs: { a: { kind: 'file', description: 'a' } }, retention: { b: 'cheap' }", 'declares retention for "b", which is not one of its outputs (a)'],
    ['an unknown class', "outputs: { a: { kind: 'file', description: 'a' } }, retention: { a: 'free' }", 'declares retention "free" for "a"'],
    ['a cheap output of paid work', "outputs: { a: { kind: 'file', description: 'a' } }, pricing: { unit: 'call', usd: 1 }, retention: { a: 'cheap' }", 'declares "a" cheap, but it is paid work: making it again would pay again'],
  ] as const).entries()) {
    it(`refuses a stage whose retention names ${what} (PLUGIN_INVALID)`, async () => {
      const name = `retention${i}`;
      const pipelineFile = await place(name, undefined, { 'p.ts': `export default { name: '${name}', version: '1.0.0', apiVersion: 1, stages: { 'r/s': { description: 'd', params: { type: 'object' }, ${stage}, run: async () => ({ outputs: {} }) } } };\n` });
      const error = await loadPlugin('./p.ts', pipelineFile).catch((e: unknown) => e);
      expect(isSpxError(error) && error.code).to.equal('PLUGIN_INVALID');
      expect((error as Error).message).to.equal(`Plugin "./p.ts" stage "r/s" ${message}.`);
    });
  }
});
