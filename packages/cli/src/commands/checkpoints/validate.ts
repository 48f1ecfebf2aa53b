import { Args, Flags } from '@oclif/core';
import { EXIT, findRun, formatError, listRuns, SpxError, type RunState } from '@spx/core';
import { SpxCommand } from '../../lib/base-command.js';
import { damaged, missingDefaultStore, noStoreError, verifyRun, type ArtifactReport } from '../../lib/checkpoints.js';
import { formatBytes, plural } from '../../lib/table.js';

interface RunValidation {
  id: string;
  ok: boolean;
  artifacts: ArtifactReport[];
}

export default class CheckpointsValidate extends SpxCommand<typeof CheckpointsValidate> {
  static override summary = 'Re-hash every artifact of a run (or all runs) and report any that changed.';
  static override description = `Every recorded artifact is read in full and its sha256 compared with the checkpoint (unlike resume, which trusts an unchanged size and mtime). Exits 1 with a per-artifact report when any artifact is missing or changed; the next spx run reruns the stages that own them. Exports (subtitles, transcripts) are yours to edit, move or delete: a changed export is reported as such but does not make the run invalid — the next run writes it again and keeps your version as a backup.`;
  static override examples = [
    { description: 'Validate one run by id prefix', command: '<%= config.bin %> checkpoints validate c1b8' },
    { description: 'Validate every run in the store', command: '<%= config.bin %> checkpoints validate --all' },
    { description: 'Machine-readable report', command: '<%= config.bin %> checkpoints validate --all --json' },
  ];
  static override args = { id: Args.string({ description: 'Run id, or a unique prefix of one (like git).' }) };
  static override flags = {
    all: Flags.boolean({ char: 'a', summary: 'Validate every run in the store.' }),
  };

  public async run(): Promise<{ ok: boolean; runs: RunValidation[] }> {
    if (!this.args.id && !this.flags.all) throw new SpxError('USAGE', 'Pass a run id or --all.', { hint: 'spx checkpoints validate <id> | --all' });
    if (this.args.id && this.flags.all) throw new SpxError('USAGE', 'Pass either a run id or --all, not both.', { hint: 'spx checkpoints validate <id> | --all' });
    const missing = missingDefaultStore(this.flags.store);
    if (missing && this.args.id) throw noStoreError(this.args.id, missing);
    if (missing) {
      this.say(`No runs to validate: there is no state store at ${missing}.`);
      return { ok: true, runs: [] };
    }
    const store = await this.store();
    const states: RunState[] = this.flags.all ? await listRuns(store) : [await findRun(store, this.args.id!)];
    const runs: RunValidation[] = [];
    for (const state of states) {
      const artifacts = await verifyRun(state, true);
      const bad = damaged(artifacts);
      const ok = bad.length === 0;
      runs.push({ id: state.id, ok, artifacts });
      const bytes = artifacts.reduce((n, a) => n + a.bytes, 0);
      const edited = artifacts.filter((a) => !a.ok && a.export);
      if (ok) this.say(`✔ ${state.id}  ${plural(artifacts.length, 'artifact')} verified (${formatBytes(bytes)} re-hashed)${edited.length ? `; ${plural(edited.length, 'export')} edited since written` : ''}`);
      else this.say(`✖ ${state.id}  ${bad.length} of ${plural(artifacts.length, 'artifact')} invalid:`);
      for (const a of ok ? edited : artifacts) {
        const mark = a.ok ? 'ok     ' : a.export ? 'edited ' : 'INVALID';
        this.say(`    ${mark}  ${a.stage.padEnd(12)} ${a.path}${a.ok ? '' : ` — ${a.export ? `export ${a.reason === 'missing' ? 'moved or deleted' : 'changed since spx wrote it'} (the next run writes it again, keeping a changed file as a backup)` : a.reason}`}`);
      }
    }
    if (states.length === 0) this.say('No runs to validate.');
    const ok = runs.every((r) => r.ok);
    const result = { ok, runs };
    if (!ok) {
      const invalid = runs.filter((r) => !r.ok).map((r) => r.id);
      const error = new SpxError('ARTIFACT_INVALID', `${plural(invalid.length, 'run')} with missing or changed artifacts: ${invalid.join(', ')}.`, {
        hint: 'Run the pipeline again to redo the affected stages, or delete the run (spx checkpoints delete).',
      });
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ ...result, error: error.toJSON() })}\n`);
      else process.stderr.write(`${formatError(error)}\n`);
      this.exit(EXIT.RUN_FAILED);
    }
    return result;
  }
}
