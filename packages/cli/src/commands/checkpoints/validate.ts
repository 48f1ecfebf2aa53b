import { Args, Flags } from '@oclif/core';
import { SpxError } from '@spx/core';
import { damaged, findRun, formatError, invalidEntry, printable, scanRuns, verifyRun, type ArtifactReport, type InvalidRunEntry, type RunState } from '@spx/core/engine';
import { SpxCommand } from '../../lib/base-command.js';
import { missingDefaultStore, noStoreError } from '../../lib/checkpoints.js';
import { formatBytes, plural } from '../../lib/table.js';

interface RunValidation {
  id: string;
  ok: boolean;
  artifacts: ArtifactReport[];
}

export default class CheckpointsValidate extends SpxCommand<typeof CheckpointsValidate> {
  static override summary = 'Re-hash every artifact of a run (or all runs) and report any that changed.';
  static override description = `Every recorded artifact is read in full and its sha256 compared with the checkpoint (unlike resume, which trusts an unchanged size and mtime). Artifacts pruned after their run completed (cheap intermediates such as converted audio, removed on purpose and made again when a run needs them) are reported as pruned, not as missing. Exits 1 with a per-artifact report when any artifact is missing or changed; the next spx run reruns the stages that own them. Exports (subtitles, transcripts) are yours to edit, move or delete: a changed export is reported as such but does not make the run invalid — the next run writes it again and keeps your version as a backup. With --all, store entries that are not valid run states (an id that is not a run id or differs from its key, a stage id that is a path) are listed and the command exits 3 (CHECKPOINT_INVALID).`;
  static override examples = [
    { description: 'Validate one run by id prefix', command: '<%= config.bin %> checkpoints validate c1b8' },
    { description: 'Validate every run in the store', command: '<%= config.bin %> checkpoints validate --all' },
    { description: 'Machine-readable report', command: '<%= config.bin %> checkpoints validate --all --json' },
  ];
  static override args = { id: Args.string({ description: 'Run id, or a unique prefix of one (like git).' }) };
  static override flags = {
    all: Flags.boolean({ char: 'a', summary: 'Validate every run in the store.' }),
  };

  public async run(): Promise<{ ok: boolean; runs: RunValidation[]; invalidEntries?: InvalidRunEntry[] }> {
    if (!this.args.id && !this.flags.all) throw new SpxError('USAGE', 'Pass a run id or --all.', { hint: 'spx checkpoints validate <id> | --all' });
    if (this.args.id && this.flags.all) throw new SpxError('USAGE', 'Pass either a run id or --all, not both.', { hint: 'spx checkpoints validate <id> | --all' });
    const missing = missingDefaultStore(this.configuredStore());
    if (missing && this.args.id) throw noStoreError(this.args.id, missing);
    if (missing) {
      this.say(`No runs to validate: there is no state store at ${missing}.`);
      return { ok: true, runs: [] };
    }
    const store = await this.store();
    const scanned = this.flags.all ? await scanRuns(store) : { runs: [await findRun(store, this.args.id!)], invalid: [] as InvalidRunEntry[] };
    const states: RunState[] = scanned.runs;
    const runs: RunValidation[] = [];
    for (const state of states) {
      const artifacts = await verifyRun(state, true);
      const bad = damaged(artifacts);
      const ok = bad.length === 0;
      runs.push({ id: state.id, ok, artifacts });
      const checked = artifacts.filter((a) => !a.pruned);
      const pruned = artifacts.filter((a) => a.pruned);
      const bytes = checked.reduce((n, a) => n + a.bytes, 0);
      const edited = checked.filter((a) => !a.ok && a.export);
      const prunedNote = pruned.length ? `; ${plural(pruned.length, 'artifact')} pruned (${formatBytes(pruned.reduce((n, a) => n + a.bytes, 0))}, made again when a run needs ${pruned.length === 1 ? 'it' : 'them'})` : '';
      if (ok) this.say(`✔ ${state.id}  ${plural(checked.length, 'artifact')} verified (${formatBytes(bytes)} re-hashed)${prunedNote}${edited.length ? `; ${plural(edited.length, 'export')} edited since written` : ''}`);
      else this.say(`✖ ${state.id}  ${bad.length} of ${plural(checked.length, 'artifact')} invalid${prunedNote}:`);
      for (const a of ok ? edited : artifacts) {
        const mark = a.pruned ? 'pruned ' : a.ok ? 'ok     ' : a.export ? 'edited ' : 'INVALID';
        this.say(`    ${mark}  ${a.stage.padEnd(12)} ${a.path}${a.ok ? '' : ` — ${a.export ? `export ${a.reason === 'missing' ? 'moved or deleted' : 'changed since spx wrote it'} (the next run writes it again, keeping a changed file as a backup)` : a.reason}`}`);
      }
    }
    for (const entry of scanned.invalid) this.say(`✖ ${printable(entry.key)}  not a valid run state: ${entry.reason}; not validated`);
    if (states.length === 0 && scanned.invalid.length === 0) this.say('No runs to validate.');
    const ok = runs.every((r) => r.ok) && scanned.invalid.length === 0;
    const result = { ok, runs, invalidEntries: scanned.invalid };
    if (!ok) {
      const invalid = runs.filter((r) => !r.ok).map((r) => r.id);
      const error =
        scanned.invalid.length > 0
          ? scanned.invalid.length === 1
            ? invalidEntry(store, scanned.invalid[0]!)
            : new SpxError('CHECKPOINT_INVALID', `${plural(scanned.invalid.length, 'store entry', 'store entries')} under run: ${scanned.invalid.length === 1 ? 'is' : 'are'} not valid run states: ${scanned.invalid.map((e) => printable(e.key)).join(', ')}.`, {
                hint: 'Something other than spx wrote them; nothing was done with them. `spx checkpoints delete <id>` removes the ones whose key is a run id.',
              })
          : new SpxError('ARTIFACT_INVALID', `${plural(invalid.length, 'run')} with missing or changed artifacts: ${invalid.join(', ')}.`, {
              hint: 'Run the pipeline again to redo the affected stages, or delete the run (spx checkpoints delete).',
            });
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ ...result, error: error.toJSON() })}\n`);
      else process.stderr.write(`${formatError(error)}\n`);
      this.exit(error.exitCode);
    }
    return result;
  }
}
