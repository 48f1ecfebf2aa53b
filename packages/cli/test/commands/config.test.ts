import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { json, spx, tempDir, textPipeline, type TempDir } from '../helpers.js';

interface Shown {
  store: { value: string; source: string };
  workDir: { value: string; source: string };
  outDir: { value?: string; source: string };
  concurrency: { value: number; source: string };
  ttlHours: { value?: number; source: string };
  pricing: Record<string, { value: number; source: string }>;
}

describe('spx config', function () {
  this.timeout(90_000);
  let t: TempDir;

  before(async () => {
    t = await tempDir();
    await mkdir(join(t.dir, 'project', 'sub'), { recursive: true });
    await mkdir(join(t.dir, 'xdg', 'spx'), { recursive: true });
    await t.write('project/spx.config.yaml', 'store: state/db.sqlite\nworkDir: work\nconcurrency: 3\npricing:\n  text/steps: 0.5\n');
    await t.write('xdg/spx/config.yaml', 'outDir: /srv/exports\nconcurrency: 2\nttlHours: 24\npricing:\n  text/steps: 0.1\n  openai/transcribe: 0.01\n');
  });

  after(async () => {
    await t.remove();
  });

  it('show gives each value and its source: flag > env > project file (found upward) > user file > default', async () => {
    const env = { XDG_CONFIG_HOME: join(t.dir, 'xdg'), SPX_WORK_DIR: 'from-env' };
    const [shown, plain, bare] = await Promise.all([
      spx(['config', 'show', '--json', '--store', 'redis://127.0.0.1:1'], join(t.dir, 'project', 'sub'), env),
      spx(['config', 'show'], join(t.dir, 'project', 'sub'), env),
      spx(['config', 'show', '--json'], t.dir, { XDG_CONFIG_HOME: join(t.dir, 'nowhere') }),
    ]);
    expect(shown.code, shown.stderr).to.equal(0);
    const s = json<Shown>(shown);
    const project = join(t.dir, 'project', 'spx.config.yaml');
    const user = join(t.dir, 'xdg', 'spx', 'config.yaml');
    expect(s.store).to.deep.equal({ value: 'redis://127.0.0.1:1', source: 'flag --store' });
    expect(s.workDir).to.deep.equal({ value: 'from-env', source: 'env SPX_WORK_DIR' });
    expect(s.concurrency).to.deep.equal({ value: 3, source: `${project}:3:1` });
    expect(s.outDir).to.deep.equal({ value: '/srv/exports', source: `${user}:1:1` });
    expect(s.ttlHours).to.deep.equal({ value: 24, source: `${user}:3:1` });
    expect(s.pricing).to.deep.equal({ 'text/steps': { value: 0.5, source: `${project}:5:3` }, 'openai/transcribe': { value: 0.01, source: `${user}:6:3` } });
    expect(plain.code).to.equal(0);
    expect(plain.stdout).to.match(new RegExp(`^store\\s+${join(t.dir, 'project', 'state', 'db.sqlite').replace(/[/.]/g, '\\$&')}\\s+${project.replace(/[/.]/g, '\\$&')}:1:1$`, 'm'));
    expect(plain.stdout).to.include(`project file: ${project}`);
    const d = json<Shown>(bare);
    expect(d.store).to.deep.equal({ value: `sqlite://${join(t.dir, '.spx', 'state.sqlite')}`, source: 'default' });
    expect(d.workDir).to.deep.equal({ value: '.spx', source: 'default' });
    expect(d.concurrency).to.deep.equal({ value: 1, source: 'default' });
  });

  it('a config file with mistakes is refused with file:line:column, exit 2', async () => {
    const dir = join(t.dir, 'bad');
    await mkdir(dir);
    await mkdir(join(t.dir, 'short'));
    await t.write('bad/spx.config.yaml', 'store: state.sqlite\nconcurency: 4\nttlHours: -1\n');
    await t.write('short/spx.config.yaml', 'ttlHours: 2\n');
    const [shown, ran, short] = await Promise.all([spx(['config', 'show'], dir), spx(['run', 'local', 'x.wav'], dir), spx(['checkpoints', 'list'], join(t.dir, 'short'))]);
    expect(short.code).to.equal(2);
    expect(short.stderr).to.include(`${join(t.dir, 'short', 'spx.config.yaml')}:1:11 error CONFIG_INVALID: Invalid value for "ttlHours": 2 hours is under a day.`);
    for (const result of [shown, ran]) {
      expect(result.code).to.equal(2);
      expect(result.stderr).to.include(`${join(dir, 'spx.config.yaml')}:2:1 error CONFIG_INVALID: Unknown setting "concurency".`);
      expect(result.stderr).to.include(`${join(dir, 'spx.config.yaml')}:3:11 error CONFIG_INVALID: Invalid value for "ttlHours": must be >= 0.`);
    }
  });

  it('spx run takes its store, work and output directories from the project file', async () => {
    const dir = join(t.dir, 'runs');
    await mkdir(dir);
    await t.write('runs/spx.config.yaml', 'store: state/run.sqlite\nworkDir: artifacts\noutDir: exports\n');
    await t.write('runs/pipeline.yaml', textPipeline());
    await t.write('runs/doc.txt', 'hello');
    const ran = await spx(['run', 'pipeline.yaml', 'doc.txt'], dir, { XDG_CONFIG_HOME: join(t.dir, 'nowhere') });
    expect(ran.code, ran.stderr).to.equal(0);
    expect(existsSync(join(dir, 'state', 'run.sqlite'))).to.equal(true);
    expect(readdirSync(join(dir, 'artifacts', 'runs'))).to.have.length(1);
    expect(readdirSync(join(dir, 'exports'))).to.include('doc.txt');
    expect(existsSync(join(dir, '.spx'))).to.equal(false);
  });
});
