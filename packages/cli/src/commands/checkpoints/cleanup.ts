import { Flags } from '@oclif/core';
import { SpxError } from '@spx/core';
import { damaged, deleteRun, displayStoreUrl, liveLease, orphanRunDirs, printable, pruneStoredRun, scanRuns, verifyRun, type LeftAlone, type Store } from '@spx/core/engine';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SpxCommand } from '../../lib/base-command.js';
import { declaredRetention, missingDefaultStore, shortPath, workDirFlag } from '../../lib/checkpoints.js';
import { dirSize } from '../../lib/disk.js';
import { formatBytes, plural } from '../../lib/table.js';

interface Removal {
  id: string;
  reason: string;
  /** Store keys (run state + sub-steps). */
  keys: number;
  dirs: string[];
  bytes: number;
}

export default class CheckpointsCleanup extends SpxCommand<typeof CheckpointsCleanup> {
  static override summary = 'Delete old or invalid runs with their sub-steps and artifact directories.';
  static override description = `Selects runs last updated more than --older-than HOURS ago, and with --invalid also runs whose artifacts no longer verify (missing, resized or edited: every artifact is re-hashed, as in checkpoints validate). Exports are yours: an edited, moved or deleted export never makes a run invalid (the next run writes it again and keeps the changed file as a backup). Each selected run loses its state, its sub-step checkpoints and its artifact directory <work-dir>/runs/<id>; exported files (subtitles, transcripts) are never touched. Artifact directories whose run is no longer in the store are removed too (by age with --older-than, always with --invalid).

Only directories spx made for this store are deleted: each run directory holds a marker (.spx-run.json) naming its run and store. Directories without one (your files, runs of spx versions before markers), the runs of another store sharing the work dir, runs held by a live process and store entries that are not valid run states are listed as left alone.

With --prune, runs are not deleted: the completed ones lose only the files of their cheap intermediate outputs (converted audio, chunk files — what spx run prunes itself when a run completes, unless --keep-intermediates), their records kept, and the bytes freed are reported; the next run that needs such a file makes it again. With --older-than, only runs last updated more than HOURS ago are pruned.

Use --dry-run to see what would go.`;
  static override examples = [
    { description: 'Preview what a week-old cleanup would remove', command: '<%= config.bin %> checkpoints cleanup --older-than 168 --dry-run' },
    { description: 'Remove runs older than a day', command: '<%= config.bin %> checkpoints cleanup --older-than 24' },
    { description: 'Remove runs whose artifacts were deleted or edited', command: '<%= config.bin %> checkpoints cleanup --invalid' },
    { description: 'Free the intermediate files of completed runs, keeping the runs', command: '<%= config.bin %> checkpoints cleanup --prune' },
  ];
  static override flags = {
    'older-than': Flags.string({ summary: 'Select runs last updated more than HOURS ago (decimals allowed).', helpValue: 'HOURS' }),
    invalid: Flags.boolean({ summary: 'Select runs whose artifacts are missing or changed.' }),
    prune: Flags.boolean({ summary: 'Keep the runs; remove only the cheap intermediate files of completed ones.', exclusive: ['invalid'] }),
    'dry-run': Flags.boolean({ char: 'n', summary: 'Only show what would be deleted.' }),
    'work-dir': workDirFlag,
  };

  public async run(): Promise<{ dryRun: boolean; removed: Removal[]; pruned?: Removal[]; skipped: Array<{ id: string; reason: string }>; leftAlone: LeftAlone[]; freedBytes: number }> {
    const { flags } = this;
    const hours = flags['older-than'] === undefined ? undefined : Number(flags['older-than']);
    if (hours !== undefined && (!Number.isFinite(hours) || hours < 0 || flags['older-than']!.trim() === '')) {
      throw new SpxError('USAGE', `--older-than "${flags['older-than']}" is not a number of hours.`, { hint: 'Example: --older-than 24 (or 0.5 for half an hour).' });
    }
    if (hours === undefined && !flags.invalid && !flags.prune) throw new SpxError('USAGE', 'Nothing selected: pass --older-than HOURS, --invalid, or both (or --prune).', { hint: 'Example: spx checkpoints cleanup --older-than 168 --dry-run' });
    const dryRun = Boolean(flags['dry-run']);
    const cutoff = hours === undefined ? undefined : Date.now() - hours * 3_600_000;
    const missing = missingDefaultStore(this.configuredStore());
    if (missing) {
      this.say(`Nothing to ${flags.prune ? 'prune' : 'delete'}: there is no state store at ${missing}.`);
      return { dryRun, removed: [], skipped: [], leftAlone: [], freedBytes: 0 };
    }
    const store = await this.store();
    const workDir = resolve(this.workDir(flags['work-dir']));
    if (flags.prune) return this.prune(store, workDir, cutoff, dryRun);
    const removed: Removal[] = [];
    const skipped: Array<{ id: string; reason: string }> = [];
    const leftAlone: LeftAlone[] = [];

    const { runs, invalid } = await scanRuns(store);
    for (const entry of invalid) skipped.push({ id: entry.key, reason: `invalid store entry: ${entry.reason}` });
    for (const state of runs) {
      const reasons: string[] = [];
      const updated = Date.parse(state.last_updated);
      if (cutoff !== undefined && updated < cutoff) reasons.push(`updated ${((Date.now() - updated) / 3_600_000).toFixed(1)} h ago`);
      if (flags.invalid) {
        const bad = damaged(await verifyRun(state, true));
        if (bad.length) reasons.push(`${plural(bad.length, 'invalid artifact')} (${bad[0]!.stage}: ${bad[0]!.reason})`);
      }
      if (reasons.length === 0) continue;
      const lease = await liveLease(store, state.id);
      if (lease) {
        skipped.push({ id: state.id, reason: `in use by pid ${lease.pid} on ${lease.host}` });
        continue;
      }
      const result = await deleteRun(store, state.id, { workDir, dryRun: true });
      const bytes = (await Promise.all(result.dirs.map(dirSize))).reduce((a, b) => a + b, 0);
      if (!dryRun) await deleteRun(store, state.id, { workDir });
      removed.push({ id: state.id, reason: reasons.join('; '), keys: result.keys, dirs: result.dirs, bytes });
      leftAlone.push(...result.left);
    }
    const sweep = await orphanRunDirs(store, workDir);
    for (const l of sweep.leftAlone) if (!leftAlone.some((known) => known.dir === l.dir)) leftAlone.push(l);
    for (const orphan of sweep.orphans) {
      if (!flags.invalid && (cutoff === undefined || orphan.mtimeMs >= cutoff)) continue;
      const bytes = await dirSize(orphan.dir);
      if (!dryRun) await rm(orphan.dir, { recursive: true, force: true });
      removed.push({ id: orphan.id, reason: 'artifact directory without run state', keys: 0, dirs: [orphan.dir], bytes });
    }

    const freedBytes = removed.reduce((n, r) => n + r.bytes, 0);
    const verb = dryRun ? 'would delete' : 'deleted';
    for (const r of removed) this.say(`${dryRun ? '-' : '✔'} ${verb} ${r.id}  ${r.reason}  (${formatBytes(r.bytes)}${r.keys ? `, ${plural(r.keys, 'store entry', 'store entries')}` : ''})`);
    for (const s of skipped) this.say(`· skipped ${printable(s.id)}  ${s.reason}`);
    for (const l of leftAlone) this.say(`· left alone ${shortPath(l.dir)}  ${l.reason}`);
    this.say(
      removed.length === 0
        ? `Nothing to delete in ${displayStoreUrl(store.url)}.`
        : `${dryRun ? 'Would delete' : 'Deleted'} ${plural(removed.length, 'run')}, ${dryRun ? 'freeing' : 'freed'} ${formatBytes(freedBytes)}.${dryRun ? ' Run again without --dry-run to delete.' : ''}`,
    );
    return { dryRun, removed, skipped, leftAlone, freedBytes };
  }

  /** --prune: each completed run (updated before the cutoff) loses its cheap intermediate files, keeping their records. */
  private async prune(store: Store, workDir: string, cutoff: number | undefined, dryRun: boolean) {
    const pruned: Removal[] = [];
    const skipped: Array<{ id: string; reason: string }> = [];
    const { runs, invalid } = await scanRuns(store);
    for (const entry of invalid) skipped.push({ id: entry.key, reason: `invalid store entry: ${entry.reason}` });
    for (const state of runs) {
      if (cutoff !== undefined && Date.parse(state.last_updated) >= cutoff) continue;
      const result = await pruneStoredRun(store, state.id, { workDir, dryRun, retention: await declaredRetention(store, state) });
      if (!result.pruned) skipped.push({ id: state.id, reason: result.reason });
      else if (result.files > 0) pruned.push({ id: state.id, reason: plural(result.files, 'intermediate file'), keys: 0, dirs: [], bytes: result.bytes });
    }
    const freedBytes = pruned.reduce((n, r) => n + r.bytes, 0);
    for (const r of pruned) this.say(`${dryRun ? '-' : '✔'} ${dryRun ? 'would prune' : 'pruned'} ${r.id}  ${r.reason} (${formatBytes(r.bytes)}); the run is kept`);
    for (const s of skipped) this.say(`· skipped ${printable(s.id)}  ${s.reason}`);
    this.say(
      pruned.length === 0
        ? `Nothing to prune in ${displayStoreUrl(store.url)}.`
        : `${dryRun ? 'Would prune' : 'Pruned'} ${plural(pruned.length, 'run')}, ${dryRun ? 'freeing' : 'freed'} ${formatBytes(freedBytes)}.${dryRun ? ' Run again without --dry-run to prune.' : ''}`,
    );
    return { dryRun, removed: [], pruned, skipped, leftAlone: [], freedBytes };
  }
}
