// Found by the kill -9 campaign: a run killed while publishing an export left its temp file
// (.meeting.srt.<pid>.<hex>.tmp) in the user's output directory, and the completed rerun kept it.
// An atomic write now removes the temp files that dead processes left for the same destination.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeFileAtomic } from '@spx/core/engine';

describe('fault: temp files of killed writers', () => {
  it('are swept when the same destination is written again; live writers and other files are left alone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spx-stale-'));
    try {
      // A pid that is certainly dead: a child that has exited.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      const stale = `.meeting.srt.${dead}.d220755f.tmp`;
      const live = `.meeting.srt.1.0badcafe.tmp`; // pid 1 is alive
      const other = `.meeting.vtt.${dead}.00000000.tmp`; // another destination: not this write's business
      for (const name of [stale, live, other]) await writeFile(join(dir, name), 'partial');
      await writeFileAtomic(join(dir, 'meeting.srt'), '1\n00:00:00,000 --> 00:00:01,000\nhello\n');
      const names = (await readdir(dir)).sort();
      expect(names).to.deep.equal([live, other, 'meeting.srt'].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
