// The package.json each workspace package is published with (scripts/pack.ts): it must run on
// plain Node from an npm install — compiled entry points, real version ranges, no dev-only fields.
import { expect } from 'chai';
import { publishedManifest, workspacePackages } from '../../scripts/pack.js';

describe('published package manifests', () => {
  const packages = workspacePackages();
  const versions = new Map(packages.map((p) => [p.name, p.version]));

  it('covers every workspace package, the CLI, core and the shipped pipelines included', () => {
    const names = packages.map((p) => p.name);
    expect(names).to.include.members(['@spx/cli', '@spx/core', '@spx/pipelines', '@spx/plugin-local']);
  });

  for (const pkg of packages) {
    it(`${pkg.name}: entry points are compiled JavaScript, ranges are versions`, () => {
      const out = publishedManifest(pkg.json, versions);
      const text = JSON.stringify(out);
      expect(text).not.to.match(/workspace:/);
      expect(text).not.to.match(/\.\/src\//);
      expect(out).not.to.have.property('devDependencies');
      expect(out).not.to.have.property('scripts');
      for (const match of text.matchAll(/"(\.\/dist\/[^"]+)"/g)) expect(match[1]).to.match(/\.(d\.[cm]?ts|[cm]?js)$|\/commands$/);
      if (Array.isArray(pkg.json.files) && pkg.json.files.includes('src')) expect(out.files).to.include('dist').and.not.include('src');
    });
  }

  it('rewrites types entries to declarations and the oclif commands directory to dist', () => {
    const out = publishedManifest(
      { name: 'x', version: '1.0.0', exports: { '.': { types: './src/index.ts', default: './src/index.ts' } }, oclif: { commands: './src/commands' }, dependencies: { a: 'workspace:^', b: 'workspace:*', c: '^2.0.0' } },
      new Map([['a', '1.2.3'], ['b', '0.4.0']]),
    );
    expect(out.exports).to.deep.equal({ '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
    expect(out.oclif).to.deep.equal({ commands: './dist/commands' });
    expect(out.dependencies).to.deep.equal({ a: '^1.2.3', b: '0.4.0', c: '^2.0.0' });
  });
});
