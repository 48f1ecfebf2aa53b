import { deleteRun, resolveRunId, type LeftAlone } from '@spx/core/engine';
import { resolve } from 'node:path';
import { SpxCommand } from '../../lib/base-command.js';
import { missingDefaultStore, noStoreError, runIdArg, shortPath, workDirFlag } from '../../lib/checkpoints.js';
import { dirSize } from '../../lib/disk.js';
import { formatBytes, plural } from '../../lib/table.js';

export default class CheckpointsDelete extends SpxCommand<typeof CheckpointsDelete> {
  static override summary = 'Delete one run: its state, sub-step checkpoints and artifact directory.';
  static override description = `The next spx run of the same pipeline on the same input starts from scratch (and calls paid APIs again). Exported files (subtitles, transcripts) are kept. Refuses with exit code 4 while another process holds the run.

The artifact directory <work-dir>/runs/<id> is deleted only when its marker (.spx-run.json) names this run and this store; otherwise (made by another store sharing the work dir, by an spx version before markers, or not by spx) it is left alone and listed. Paths recorded in the store never lead anywhere else. A store entry that is not a valid run state can be deleted too: only its store entries go.`;
  static override examples = [
    { description: 'Delete a run by id prefix', command: '<%= config.bin %> checkpoints delete c1b8' },
    { description: 'Artifacts written under another work directory', command: '<%= config.bin %> checkpoints delete c1b87f581f27 --work-dir /data/spx' },
  ];
  static override args = { id: runIdArg };
  static override flags = {
    'work-dir': workDirFlag,
  };

  public async run(): Promise<{ id: string; keys: number; dirs: string[]; leftAlone: LeftAlone[]; freedBytes: number }> {
    const missing = missingDefaultStore(this.configuredStore());
    if (missing) throw noStoreError(this.args.id, missing);
    const store = await this.store();
    const id = await resolveRunId(store, this.args.id);
    const workDir = resolve(this.workDir(this.flags['work-dir']));
    const preview = await deleteRun(store, id, { workDir, dryRun: true });
    const freedBytes = (await Promise.all(preview.dirs.map(dirSize))).reduce((a, b) => a + b, 0);
    const result = await deleteRun(store, id, { workDir });
    this.say(`✔ deleted run ${id}: ${plural(result.keys, 'store entry', 'store entries')}, ${plural(result.dirs.length, 'directory', 'directories')} (${formatBytes(freedBytes)})`);
    for (const l of result.left) this.say(`· left alone ${shortPath(l.dir)}  ${l.reason}`);
    return { id, keys: result.keys, dirs: result.dirs, leftAlone: result.left, freedBytes };
  }
}
