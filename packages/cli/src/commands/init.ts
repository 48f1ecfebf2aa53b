import { Args, Flags } from '@oclif/core';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { SpxError } from '@spx/core';
import { SpxCommand } from '../lib/base-command.js';
import { DEFAULT_PIPELINE, PIPELINE_SCHEMA, shippedPipeline } from '../lib/pipelines.js';
import { unknownPipeline } from './pipelines/show.js';

const SCHEMA_LINE = /^# yaml-language-server: \$schema=.*$/m;

export default class Init extends SpxCommand<typeof Init> {
  static override summary = 'Start a project: an editable copy of a shipped pipeline and a .gitignore for .spx/.';
  static override description = `Writes NAME.yaml (default ${DEFAULT_PIPELINE}) into the current directory, its yaml-language-server line pointing at the installed pipeline schema so editors complete and check it, and adds .spx/ (run state and stage artifacts) to .gitignore. Run the copy with spx run ./NAME.yaml <input>.`;
  static override examples = [
    { description: 'Copy the offline pipeline', command: '<%= config.bin %> init' },
    { description: 'Copy the standard pipeline under another name', command: '<%= config.bin %> init standard --file meetings.yaml' },
  ];
  static override args = {
    name: Args.string({ description: 'Shipped pipeline to copy (spx pipelines list).', default: DEFAULT_PIPELINE }),
  };
  static override flags = {
    file: Flags.string({ summary: 'File to write (default NAME.yaml).', helpValue: 'FILE' }),
    force: Flags.boolean({ char: 'f', summary: 'Overwrite the file when it exists.' }),
  };

  public async run(): Promise<{ pipeline: string; gitignore: string; gitignoreChanged: boolean }> {
    const source = shippedPipeline(this.args.name);
    if (!source) throw unknownPipeline(this.args.name);
    const target = this.flags.file ?? basename(source);
    if (existsSync(target) && !this.flags.force) {
      throw new SpxError('OUTPUT_COLLISION', `${target} already exists.`, { hint: 'Pass --force to overwrite it, or --file to write another file.' });
    }
    const yaml = await readFile(source, 'utf8');
    const schemaLine = `# yaml-language-server: $schema=${PIPELINE_SCHEMA}`;
    await writeFile(target, SCHEMA_LINE.test(yaml) ? yaml.replace(SCHEMA_LINE, schemaLine) : `${schemaLine}\n${yaml}`);
    const gitignoreChanged = await ignoreStateDir('.gitignore');
    this.say(`✔ wrote ${target} (from the shipped ${basename(source, '.yaml')} pipeline)`);
    if (gitignoreChanged) this.say('✔ .gitignore ignores .spx/ (run state and stage artifacts)');
    this.say('');
    this.say(`Run it: spx run ./${target} <input>`);
    return { pipeline: join(process.cwd(), target), gitignore: join(process.cwd(), '.gitignore'), gitignoreChanged };
  }
}

/** Adds `.spx/` to a .gitignore (creating it) unless a line already ignores it. */
async function ignoreStateDir(file: string): Promise<boolean> {
  const text = existsSync(file) ? await readFile(file, 'utf8') : '';
  if (/^\/?\.spx\/?\s*$/m.test(text)) return false;
  await writeFile(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}.spx/\n`);
  return true;
}
