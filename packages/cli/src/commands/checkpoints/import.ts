import { Args, Flags } from '@oclif/core';
import { SpxError } from '@spx/core';
import { importRun, parseRunExport, printable } from '@spx/core/engine';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SpxCommand } from '../../lib/base-command.js';
import { workDirFlag } from '../../lib/checkpoints.js';
import { plural } from '../../lib/table.js';

export default class CheckpointsImport extends SpxCommand<typeof CheckpointsImport> {
  static override summary = 'Restore a run from a JSON file written by checkpoints export.';
  static override description = `The file is validated before anything is written: malformed JSON (reported with line:column), a wrong shape (checked against the run-state JSON schema: run and stage ids, sub-step keys), a file a checkpoint names outside <work-dir>/runs/<id>/ (or reached through a symbolic link), or recorded artifacts that are missing or changed on this machine are errors (exit 2), and the store is left as it was. Copy the run directory into place first: artifact paths are absolute. An existing run with the same id is only replaced with --force.

Records of stages that publish exports are not imported: the next spx run writes the exports again into its own --out directory. The imported run is marked as such, so checkpoints show does not load the pipeline file it names until spx runs it here.`;
  static override examples = [
    { description: 'Import into the default store', command: '<%= config.bin %> checkpoints import run.json' },
    { description: 'Replace a run that already exists', command: '<%= config.bin %> checkpoints import run.json --force' },
  ];
  static override args = {
    file: Args.string({ description: 'JSON file written by spx checkpoints export.', required: true }),
  };
  static override flags = {
    force: Flags.boolean({ char: 'f', summary: 'Replace a run with the same id.' }),
    'work-dir': workDirFlag,
  };

  public async run(): Promise<{ id: string; replaced: boolean; stages: number; steps: number; artifacts: number; republish: string[] }> {
    const file = resolve(this.args.file);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new SpxError('INPUT_MISSING', code === 'EISDIR' ? `"${this.args.file}" is a directory, not an export file.` : `Export file "${this.args.file}" does not exist.`, {
        hint: 'Pass a file written by `spx checkpoints export <id> <file.json>`.',
      });
    }
    const data = parseRunExport(text, this.args.file);
    const store = await this.store();
    const result = await importRun(store, data, { force: this.flags.force, file: this.args.file, workDir: resolve(this.workDir(this.flags['work-dir'])) });
    const stages = data.completed_stages.filter((id) => !result.republish.includes(id)).length;
    this.say(`✔ ${result.replaced ? 'replaced' : 'imported'} run ${result.id} (${data.pipeline.name}@${data.pipeline.version}, ${stages}/${data.pipeline.stages.length} stages completed, ${plural(result.artifacts, 'artifact')} verified, ${plural(result.steps, 'sub-step')})`);
    if (result.republish.length) this.say(`  note: ${result.republish.join(', ')} ${result.republish.length === 1 ? 'publishes' : 'publish'} exports; the next spx run writes them again into its --out directory.`);
    if (data.pipeline.file && !existsSync(data.pipeline.file)) this.say(`  note: its pipeline file ${printable(data.pipeline.file)} does not exist here; spx run resumes it when given the same pipeline and input.`);
    return { id: result.id, replaced: result.replaced, stages, steps: result.steps, artifacts: result.artifacts, republish: result.republish };
  }
}
