import { createServer } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { json, spx, tempDir, type TempDir } from '../helpers.js';

interface Report {
  ok: boolean;
  checks: Array<{ name: string; ok: boolean; detail: string; hint?: string }>;
  apiKeys: Array<{ name: string; set: boolean }>;
  pipelines: Array<{ name: string; ok: boolean; missing: string[] }>;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('spx doctor', function () {
  this.timeout(90_000);
  let t: TempDir;

  before(async () => {
    t = await tempDir();
    await mkdir(join(t.dir, 'bin'));
  });

  after(async () => {
    await t.remove();
  });

  it('reports tools, store, directories, key names and which shipped pipelines can run; exit 0 when the default can', async () => {
    const secret = 'pk-doctor-test-value-0123456789';
    const [plain, report] = await Promise.all([spx(['doctor'], t.dir, { PYANNOTEAI_API_KEY: secret }), spx(['doctor', '--json'], t.dir, { PYANNOTEAI_API_KEY: secret })]);
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).to.match(/✔ ffmpeg\s+\S+ \(.*ffmpeg\)/);
    expect(plain.stdout).to.match(/✔ local\s+can run here\s+\(default\)/);
    expect(plain.stdout).to.match(/✖ standard\s+missing: OPENAI_API_KEY/);
    expect(plain.stdout + plain.stderr + report.stdout).not.to.include(secret);
    const r = json<Report>(report);
    expect(r.ok).to.equal(true);
    expect(r.checks.map((c) => c.name)).to.deep.equal(['node', 'ffmpeg', 'ffprobe', 'pocketsphinx_continuous', 'store', 'work dir', 'out dir']);
    expect(r.checks.every((c) => c.ok)).to.equal(true);
    expect(r.checks.find((c) => c.name === 'store')!.detail).to.include('will be created');
    expect(r.apiKeys).to.deep.include({ name: 'PYANNOTEAI_API_KEY', set: true });
    expect(r.apiKeys).to.deep.include({ name: 'OPENAI_API_KEY', set: false });
    expect(r.pipelines.find((p) => p.name === 'identification')).to.deep.include({ ok: true, missing: [] });
  });

  it('exits 3 naming what is missing when the default pipeline cannot run, or the store does not answer', async () => {
    const port = await closedPort();
    const [noTools, noStore] = await Promise.all([
      spx(['doctor', '--json'], t.dir, { PATH: join(t.dir, 'bin'), FFMPEG_PATH: '', FFPROBE_PATH: '', POCKETSPHINX_PATH: '' }),
      spx(['doctor', '--store', `redis://127.0.0.1:${port}`], t.dir),
    ]);
    expect(noTools.code).to.equal(3);
    const r = json<Report>(noTools);
    expect(r.ok).to.equal(false);
    expect(r.checks.find((c) => c.name === 'ffmpeg')).to.deep.include({ ok: false, detail: 'not found on PATH' });
    expect(r.checks.find((c) => c.name === 'ffmpeg')!.hint).to.include('apt-get install ffmpeg');
    expect(r.pipelines.find((p) => p.name === 'local')!.missing).to.include('ffmpeg');
    expect(noStore.code).to.equal(3);
    expect(noStore.stdout).to.match(new RegExp(`✖ store\\s+redis://127\\.0\\.0\\.1:${port}: `));
    expect(noStore.stdout).to.include('Not ready to run the default pipeline (local) here');
  });
});
