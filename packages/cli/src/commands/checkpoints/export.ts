import { Args } from '@oclif/core';
import { exportRun, resolveRunId, writeFileAtomic, type RunExport } from '@spx/core/engine';
import { resolve } from 'node:path';
import { SpxCommand } from '../../lib/base-command.js';
import { missingDefaultStore, noStoreError, runIdArg } from '../../lib/checkpoints.js';
import { plural } from '../../lib/table.js';

export default class CheckpointsExport extends SpxCommand<typeof CheckpointsExport> {
  static override summary = 'Write a run\'s state to a JSON file (seed-compatible).';
  static override description = `The file holds the run state with the seed system's field names (input_file, pipeline_id, created_at, last_updated, completed_stages, current_stage, failed_stage, checkpoints[], metadata, status), plus per-stage fingerprints and artifact records (path, bytes, sha256) and the run's finished sub-steps, so \`spx checkpoints import\` can restore it into another store. Artifact files are not copied: their paths are absolute. Pass - as the file to write to stdout.`;
  static override examples = [
    { description: 'Export a run', command: '<%= config.bin %> checkpoints export c1b8 run.json' },
    { description: 'Move a run from one store to another', command: '<%= config.bin %> checkpoints export c1b8 run.json --store sqlite://a.sqlite && <%= config.bin %> checkpoints import run.json --store sqlite://b.sqlite' },
    { description: 'To stdout', command: '<%= config.bin %> checkpoints export c1b8 - | jq .completed_stages' },
  ];
  static override args = {
    id: runIdArg,
    file: Args.string({ description: 'Destination JSON file, or - for stdout.', required: true }),
  };

  public async run(): Promise<RunExport | { id: string; file: string; stages: number; steps: number }> {
    const missing = missingDefaultStore(this.configuredStore());
    if (missing) throw noStoreError(this.args.id, missing);
    const store = await this.store();
    const id = await resolveRunId(store, this.args.id);
    const data = await exportRun(store, id);
    const text = `${JSON.stringify(data, null, 2)}\n`;
    if (this.args.file === '-') {
      if (!this.jsonEnabled()) process.stdout.write(text);
      return data;
    }
    const file = resolve(this.args.file);
    await writeFileAtomic(file, text);
    const steps = Object.keys(data.steps ?? {}).length;
    const stages = Object.keys(data.stages).length;
    this.say(`✔ exported run ${id} (${data.pipeline.name}@${data.pipeline.version}, ${plural(stages, 'stage checkpoint')}, ${plural(steps, 'sub-step')}) to ${this.args.file}`);
    return { id, file, stages, steps };
  }
}
