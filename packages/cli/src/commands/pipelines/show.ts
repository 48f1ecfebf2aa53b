import { Args } from '@oclif/core';
import { readFile } from 'node:fs/promises';
import { SpxError } from '@spx/core';
import { SpxCommand } from '../../lib/base-command.js';
import { shippedNames, shippedPipeline } from '../../lib/pipelines.js';

export default class PipelinesShow extends SpxCommand<typeof PipelinesShow> {
  static override summary = 'Print the YAML of a shipped pipeline.';
  static override description = 'To change it, `spx init NAME` writes an editable copy into the current directory.';
  static override examples = [{ description: 'The offline pipeline', command: '<%= config.bin %> pipelines show local' }];
  static override args = {
    name: Args.string({ description: 'Name of a shipped pipeline (spx pipelines list).', required: true }),
  };

  public async run(): Promise<{ name: string; file: string; yaml: string }> {
    const file = shippedPipeline(this.args.name);
    if (!file) throw unknownPipeline(this.args.name);
    const yaml = await readFile(file, 'utf8');
    if (!this.jsonEnabled()) process.stdout.write(yaml);
    return { name: this.args.name.replace(/\.yaml$/, ''), file, yaml };
  }
}

export function unknownPipeline(name: string): SpxError {
  return new SpxError('PIPELINE_NOT_FOUND', `No shipped pipeline is named "${name}".`, { hint: `Shipped pipelines: ${shippedNames().join(', ')}.` });
}
