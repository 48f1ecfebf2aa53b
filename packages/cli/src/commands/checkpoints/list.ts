import { Flags } from '@oclif/core';
import { displayStoreUrl, printable, runDetail, runRow, scanRuns, type InvalidRunEntry, type RunDetail, type RunRow } from '@spx/core/engine';
import { SpxCommand } from '../../lib/base-command.js';
import { missingDefaultStore, shortPath } from '../../lib/checkpoints.js';
import { formatAge, formatBytes, formatDuration, plural, table } from '../../lib/table.js';

const MARK: Record<string, string> = { completed: '✔', failed: '✖', running: '▶', pending: '·' };

export default class CheckpointsList extends SpxCommand<typeof CheckpointsList> {
  static override summary = 'List the runs in the state store.';
  static override description = `One line per run, most recently updated first: id, input, pipeline name@version, status, completed/total stages, last update and the size of its recorded artifacts. Status "interrupted" means the run stopped mid-way (Ctrl-C, crash) and resumes on the next spx run; "running" means a live process holds it.

--detailed adds, per run, the pipeline file, output directory, every stage with its state, the attempts so far and the error of a failed run.`;
  static override examples = [
    { description: 'Runs in the default store (.spx/state.sqlite)', command: '<%= config.bin %> checkpoints list' },
    { description: 'With every stage and the last error', command: '<%= config.bin %> checkpoints list --detailed' },
    { description: 'As JSON, from another store', command: '<%= config.bin %> checkpoints list --json --store sqlite://other/state.sqlite' },
  ];
  static override flags = {
    detailed: Flags.boolean({ char: 'd', summary: 'Show every stage, attempts and errors of each run.' }),
  };

  public async run(): Promise<{ store: string; runs: Array<RunRow | RunDetail>; invalidEntries?: InvalidRunEntry[] }> {
    const missing = missingDefaultStore(this.configuredStore());
    if (missing) {
      this.say(`No runs: there is no state store at ${missing} (pass --store or run a pipeline here first).`);
      return { store: `sqlite://${missing}`, runs: [] };
    }
    const store = await this.store();
    const { runs: states, invalid } = await scanRuns(store);
    const runs = this.flags.detailed ? await Promise.all(states.map((s) => runDetail(store, s))) : await Promise.all(states.map((s) => runRow(store, s)));
    const where = displayStoreUrl(store.url);
    const skipped = () => {
      if (invalid.length) this.say(`Skipped ${plural(invalid.length, 'store entry', 'store entries')} that ${invalid.length === 1 ? 'is' : 'are'} not a valid run state: ${invalid.map((e) => `${printable(e.key)} (${e.reason})`).join(', ')}.`);
    };
    if (runs.length === 0) {
      this.say(`No runs in ${where}.`);
      skipped();
      return { store: where, runs, invalidEntries: invalid };
    }
    if (!this.flags.detailed) {
      const lines = table(runs, [
        { header: 'ID', get: (r) => r.id },
        { header: 'INPUT', get: (r) => shortPath(r.input), max: 40 },
        { header: 'PIPELINE', get: (r) => `${r.pipeline.name}@${r.pipeline.version}` },
        { header: 'STATUS', get: (r) => r.status },
        { header: 'STAGES', get: (r) => `${r.stages.completed}/${r.stages.total}`, align: 'right' },
        { header: 'UPDATED', get: (r) => formatAge(r.updated) },
        { header: 'SIZE', get: (r) => formatBytes(r.bytes), align: 'right' },
      ]);
      for (const line of lines) this.say(line);
    } else {
      for (const run of runs as RunDetail[]) this.detailed(run);
    }
    if (!this.flags.detailed) this.say('');
    this.say(`${plural(runs.length, 'run')} in ${where}.`);
    skipped();
    return { store: where, runs, invalidEntries: invalid };
  }

  private detailed(run: RunDetail): void {
    this.say(`${run.id}  ${run.pipeline.name}@${run.pipeline.version}  ${run.status}${run.holder ? ` (pid ${run.holder.pid} on ${run.holder.host})` : ''}`);
    this.say(`  input     ${run.input}`);
    this.say(`  pipeline  ${run.pipeline.file}`);
    this.say(`  out dir   ${run.outDir}`);
    this.say(`  created   ${run.created}   updated ${run.updated} (${formatAge(run.updated)})`);
    this.say(`  stages    ${run.stageDetails.map((s) => `${MARK[s.status] ?? '·'} ${s.stage}`).join('  ')}  (${run.stages.completed}/${run.stages.total})`);
    this.say(`  stored    ${formatBytes(run.bytes)} in ${plural(run.artifacts, 'artifact')}${run.pruned.artifacts ? ` (${run.pruned.artifacts} pruned)` : ''}, ${plural(run.subSteps, 'sub-step')}`);
    const last = run.attempts[run.attempts.length - 1];
    if (last) this.say(`  attempts  ${run.attempts.length}; last ${last.at}: ${last.status}, ran ${last.ran.length}, reused ${last.reused.length}, ${formatDuration(last.durationMs)}`);
    if (run.status === 'failed' && run.error) this.say(`  error     ${run.failedStage ? `${run.failedStage}: ` : ''}${run.error}`);
    this.say('');
  }
}
