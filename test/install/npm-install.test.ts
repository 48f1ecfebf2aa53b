// spx as an npm user gets it: every workspace package packed (scripts/pack.ts), the tarballs
// installed with npm into a fresh prefix outside the workspace, HOME and every working directory in
// temp dirs, and the installed `spx` (compiled JavaScript, no tsx at start-up) used the way the
// README says. Every @spx package is named as a tarball, so npm takes it from there (none is on
// the registry); third-party dependencies come from the npm registry, through a
// cache of the installed third-party tree kept under node_modules/.cache between runs, keyed by
// every package's third-party dependency ranges (a native build like sqlite3's is then not redone).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { packWorkspace, workspacePackages } from '../../scripts/pack.js';
import { REPO } from '../support/cli.js';

const exec = promisify(execFile);
const CACHE = join(REPO, 'node_modules', '.cache', 'spx-install-test');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Third-party dependency ranges of every package, with the Node version (native builds). */
function dependencyKey(): string {
  const deps = workspacePackages().flatMap((p) => Object.entries({ ...(p.json.dependencies as object), ...(p.json.peerDependencies as object) }).filter(([name]) => !name.startsWith('@spx/')).map(([name, range]) => `${name}@${range}`));
  return createHash('sha256').update([...new Set(deps)].sort().join('\n')).update(process.version).digest('hex').slice(0, 16);
}

/** A copy of a directory tree made of hard links (fast, no extra space); a plain copy where links cannot be made. */
async function linkTree(from: string, to: string): Promise<void> {
  try {
    await exec('cp', ['-al', from, to]);
  } catch {
    rmSync(to, { recursive: true, force: true });
    cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  }
}

describe('spx installed from npm', function () {
  this.timeout(20 * 60_000);
  let root: string;
  let prefix: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let spxBin: string;

  const npm = async (args: string[], cwd: string) => exec('npm', args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  /** `spx ARGS` in `cwd` through the installed package; never rejects. */
  const spx = (args: string[], cwd: string, extra: NodeJS.ProcessEnv = {}): Promise<Result> =>
    exec(process.execPath, [spxBin, ...args], { cwd, env: { ...env, ...extra }, maxBuffer: 16 * 1024 * 1024 }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: typeof error.code === 'number' ? error.code : -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );
  const dir = (name: string) => {
    const path = join(root, name);
    mkdirSync(path, { recursive: true });
    return path;
  };

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'spx-npm-'));
    prefix = dir('prefix');
    home = dir('home');
    const { PATH, LANG, TERM } = process.env;
    env = {
      PATH,
      LANG,
      TERM,
      HOME: home,
      npm_config_cache: join(CACHE, 'npm'),
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
      ONNXRUNTIME_NODE_INSTALL: 'skip',
    };
    const tarballs = await packWorkspace(dir('tarballs'));
    writeFileSync(join(prefix, 'package.json'), JSON.stringify({ name: 'spx-user', private: true }));
    const cached = join(CACHE, dependencyKey());
    if (existsSync(cached)) await linkTree(cached, join(prefix, 'node_modules'));
    await npm(['install', ...tarballs], prefix);
    if (!existsSync(cached)) {
      const staging = `${cached}.${process.pid}`;
      await linkTree(join(prefix, 'node_modules'), staging);
      for (const own of ['@spx', '.bin/spx', '.package-lock.json']) rmSync(join(staging, own), { recursive: true, force: true });
      renameSync(staging, cached);
    }
    spxBin = join(prefix, 'node_modules', '@spx', 'cli', 'bin', 'run.js');
  });

  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('runs compiled: no TypeScript sources in the installed packages, version and doctor work', async () => {
    const installed = join(prefix, 'node_modules', '@spx');
    for (const name of readdirSync(installed)) expect(existsSync(join(installed, name, 'src')), `@spx/${name} ships src/`).to.equal(false);
    expect(existsSync(join(installed, 'core', 'dist', 'index.d.ts'))).to.equal(true);
    const empty = dir('doctor');
    const [version, doctor] = await Promise.all([spx(['--version'], empty), spx(['doctor', '--json'], empty)]);
    expect(version.stdout).to.match(/^@spx\/cli\/0\.\d+\.\d+ /);
    expect(doctor.code, doctor.stderr).to.equal(0);
    const report = JSON.parse(doctor.stdout) as { ok: boolean; pipelines: Array<{ name: string; ok: boolean }> };
    expect(report.ok).to.equal(true);
    expect(report.pipelines.find((p) => p.name === 'local')?.ok).to.equal(true);
    expect(report.pipelines.map((p) => p.name)).to.include.members(['local', 'standard']);
  });

  it('runs a shipped pipeline by name in an empty directory', async () => {
    const work = dir('meeting');
    await exec('ffmpeg', ['-v', 'error', '-i', join(REPO, 'samples', 'meeting.wav'), '-t', '12', join(work, 'meeting.wav')]);
    const ran = await spx(['run', 'local', 'meeting.wav'], work);
    expect(ran.code, ran.stderr).to.equal(0);
    expect(ran.stdout).to.match(/✔ completed meeting\.wav/);
    for (const ext of ['srt', 'vtt', 'txt', 'json', 'rttm']) expect(existsSync(join(work, `meeting.${ext}`)), `meeting.${ext}`).to.equal(true);
    const transcript = JSON.parse(readFileSync(join(work, 'meeting.json'), 'utf8')) as { utterances: Array<{ text: string; speaker: string }> };
    expect(transcript.utterances.length).to.be.greaterThan(0);
    expect(transcript.utterances.map((u) => u.text).join(' ')).to.match(/\w{3,}/);
    expect(readFileSync(join(work, 'meeting.rttm'), 'utf8')).to.match(/^SPEAKER meeting 1 /m);
  });

  it('init writes an editable pipeline pointing at the installed schema; config show reads spx.config.yaml', async () => {
    const project = dir('project');
    const init = await spx(['init'], project);
    expect(init.code, init.stderr).to.equal(0);
    const schema = /^# yaml-language-server: \$schema=(.+)$/m.exec(readFileSync(join(project, 'local.yaml'), 'utf8'))?.[1];
    expect(schema).to.equal(join(prefix, 'node_modules', '@spx', 'core', 'schema', 'pipeline.schema.json'));
    expect(existsSync(schema!)).to.equal(true);
    expect(readFileSync(join(project, '.gitignore'), 'utf8')).to.match(/^\.spx\/$/m);
    writeFileSync(join(project, 'spx.config.yaml'), 'workDir: artifacts\nconcurrency: 2\n');
    mkdirSync(join(home, '.config', 'spx'), { recursive: true });
    writeFileSync(join(home, '.config', 'spx', 'config.yaml'), 'outDir: exports\n');
    const [validated, shown] = await Promise.all([spx(['pipelines', 'validate', 'local.yaml'], project), spx(['config', 'show', '--json'], dir('project/sub'))]);
    expect(validated.code, validated.stderr).to.equal(0);
    expect(shown.code, shown.stderr).to.equal(0);
    const settings = JSON.parse(shown.stdout) as Record<string, { value: unknown; source: string }>;
    expect(settings.workDir).to.deep.equal({ value: join(project, 'artifacts'), source: `${join(project, 'spx.config.yaml')}:1:1` });
    expect(settings.concurrency).to.deep.equal({ value: 2, source: `${join(project, 'spx.config.yaml')}:2:1` });
    expect(settings.outDir).to.deep.equal({ value: join(home, '.config', 'spx', 'exports'), source: `${join(home, '.config', 'spx', 'config.yaml')}:1:1` });
  });

  it('a new plugin runs by path, and by name once installed next to spx', async () => {
    const authoring = dir('authoring');
    const created = await spx(['plugins', 'new', 'wordstats'], authoring);
    expect(created.code, created.stderr).to.equal(0);
    const pipeline = (plugin: string) => `spx: 1\nname: words\nversion: 1.0.0\nplugins: ["${plugin}"]\ninputs:\n  doc: { type: file }\nstages:\n  count:\n    uses: wordstats/word-count\n    with: { input: "\${{ inputs.doc }}", top: 1 }\n`;
    writeFileSync(join(authoring, 'words.yaml'), pipeline('./spx-plugin-wordstats/src/index.ts'));
    writeFileSync(join(authoring, 'notes.txt'), 'to be or not to be');
    const byPath = await spx(['run', 'words.yaml', 'notes.txt', '--json'], authoring);
    expect(byPath.code, byPath.stderr).to.equal(0);
    expect(byPath.stdout).to.include('"status":"completed"');

    const { stdout } = await npm(['pack', '--pack-destination', dir('tarballs'), './spx-plugin-wordstats'], authoring);
    await npm(['install', join(root, 'tarballs', stdout.trim().split('\n').pop()!)], prefix);
    const elsewhere = dir('elsewhere');
    writeFileSync(join(elsewhere, 'words.yaml'), pipeline('spx-plugin-wordstats'));
    writeFileSync(join(elsewhere, 'notes.txt'), 'to be or not to be');
    const [byName, listed] = await Promise.all([spx(['run', 'words.yaml', 'notes.txt'], elsewhere), spx(['plugins', 'list', '--json'], elsewhere)]);
    expect(byName.code, byName.stderr).to.equal(0);
    expect(byName.stdout).to.match(/✔ completed notes\.txt/);
    const { plugins } = JSON.parse(listed.stdout) as { plugins: Array<{ name: string; version: string; source?: string }> };
    expect(plugins.find((p) => p.name === 'spx-plugin-wordstats')).to.deep.include({ version: '0.1.0', source: join(prefix, 'node_modules', 'spx-plugin-wordstats') });
  });
});
