import { Args, Flags } from '@oclif/core';
import { relative } from 'node:path';
import { SpxCommand } from '../../lib/base-command.js';
import { scaffoldPlugin, type ScaffoldResult } from '../../lib/scaffold.js';

export default class PluginsNew extends SpxCommand<typeof PluginsNew> {
  static override summary = 'Create a new plugin package with one working stage, its schema, a README and a test.';
  static override description = `NAME may be a short name (wordstats → package spx-plugin-wordstats, stages wordstats/*), a full package name (spx-plugin-wordstats) or a scoped one (@acme/spx-plugin-wordstats). The package gets src/index.ts (definePlugin), one stage <namespace>/word-count with its JSON Schema in its own file, a README with stage and error tables, and a mocha test (conformance suite from @spx/core/testing plus the stage's own tests) that passes as generated.

A pipeline can use the new plugin by path before it is published: plugins: ["./spx-plugin-wordstats/src/index.ts"].`;
  static override examples = [
    { description: 'Create ./spx-plugin-wordstats', command: '<%= config.bin %> plugins new wordstats' },
    { description: 'A scoped package under plugins/', command: '<%= config.bin %> plugins new @acme/spx-plugin-wordstats --dir plugins' },
  ];
  static override args = {
    name: Args.string({ description: 'Plugin name: short (wordstats), package (spx-plugin-wordstats) or scoped (@acme/spx-plugin-wordstats).', required: true }),
  };
  static override flags = {
    dir: Flags.string({ char: 'd', summary: 'Parent directory for the new package.', default: '.', helpValue: 'DIR' }),
    force: Flags.boolean({ char: 'f', summary: 'Write into an existing non-empty directory, overwriting generated files.' }),
  };

  public async run(): Promise<ScaffoldResult> {
    const result = await scaffoldPlugin(this.args.name, this.flags.dir, { force: this.flags.force });
    const shown = relative(process.cwd(), result.dir) || '.';
    this.say(`✔ created ${result.packageName} in ${shown} with stage ${result.stage}`);
    for (const file of result.files) this.say(`    ${file}`);
    this.say('');
    this.say('Next:');
    this.say(`  cd ${shown} && npm install && npm test     (installs @spx/core, its peer dependency)`);
    this.say(`  use it in a pipeline: plugins: ["./${relative(process.cwd(), result.dir).replace(/\\/g, '/')}/src/index.ts"], uses: ${result.stage}`);
    return result;
  }
}
