// Secrets: with distinctive fake keys set, run the standard pipeline (a 401 mid-run with --json
// and --debug, then a plain --debug resume), export and show the run, and scan everything spx
// wrote or printed — stdout, stderr, the SQLite store with its WAL, the work directory, the
// exports, the exported run — for the key values: 0 occurrences.
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { faults } from '@spx/plugin-openai/testing';
import { spx } from '../support/cli.js';
import { standardArgs, startFakes } from '../support/standard.js';

const OPENAI_SECRET = 'sk-proj-SECRETvalue0123456789abcdefXYZ';
const PYANNOTE_SECRET = 'pyannote-SECRET-4f1c2e9a7b';

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
    else if (entry.isFile()) found.push(path);
  }
  return found;
}

describe('fault: secrets never leak', function () {
  this.timeout(180_000);

  it('finds 0 occurrences of the API keys in logs, errors, the store, artifacts and exports', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spx-secrets-'));
    const fakes = await startFakes({ openai: { apiKey: OPENAI_SECRET }, pyannote: { apiKey: PYANNOTE_SECRET } });
    try {
      expect(fakes.env.OPENAI_API_KEY).to.equal(OPENAI_SECRET);
      // The fake echoes a masked key in its 401 message, like the real API.
      fakes.openai.setFaults({ fault: (info) => (info.successes >= 2 ? faults.status(401, `Incorrect API key provided: ${OPENAI_SECRET}.`) : null) });
      const failed = await spx(standardArgs(['--json', '--debug']), { cwd: dir, env: fakes.env });
      expect(failed.code, failed.stderr).to.equal(1);
      expect(failed.stdout).to.contain('API_KEY_REJECTED');
      fakes.openai.setFaults({ fault: null });
      const resumed = await spx(standardArgs(['--debug']), { cwd: dir, env: { ...fakes.env, DEBUG: 'spx*' } });
      expect(resumed.code, resumed.stderr).to.equal(0);
      const list = await spx(['checkpoints', 'list', '--json'], { cwd: dir, env: fakes.env });
      const runId = /"id"\s*:\s*"([0-9a-f]{6,})"/.exec(list.stdout)?.[1];
      expect(runId, list.stdout).to.be.a('string');
      const shown = await spx(['checkpoints', 'show', runId!, '--json'], { cwd: dir, env: fakes.env });
      const exported = await spx(['checkpoints', 'export', runId!, 'run.json'], { cwd: dir, env: fakes.env });
      expect(exported.code, exported.stderr).to.equal(0);

      const printed = [failed, resumed, list, shown, exported].flatMap((r) => [r.stdout, r.stderr]);
      const files = await filesUnder(dir);
      expect(files.some((f) => f.endsWith('state.sqlite'))).to.equal(true);
      expect(files.some((f) => f.endsWith('run.json'))).to.equal(true);
      expect(files.filter((f) => f.includes(`${join(dir, 'out')}/`))).to.have.length(6);
      const written = await Promise.all(files.map(async (f) => ((await stat(f)).size < 50_000_000 ? (await readFile(f)).toString('latin1') : '')));
      const haystack = [...printed, ...written];
      const leaks = haystack.filter((text) => text.includes(OPENAI_SECRET) || text.includes(PYANNOTE_SECRET)).length;
      expect(leaks, 'places containing a key value').to.equal(0);
      // The key's variable is named instead.
      expect(failed.stdout).to.contain('OPENAI_API_KEY');
    } finally {
      await fakes.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
