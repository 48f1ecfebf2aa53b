import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { spx, tempDir, type TempDir } from '../helpers.js';

const exec = promisify(execFile);

describe('spx completion', function () {
  this.timeout(60_000);
  let t: TempDir;
  let script: string;

  /** What bash offers for the command line `words` (the last one being completed), in `t.dir`. */
  async function complete(...words: string[]): Promise<string[]> {
    const { stdout } = await exec('bash', ['-c', 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _spx; printf "%s\\n" "${COMPREPLY[@]}"', '_', script, 'spx', ...words], { cwd: t.dir });
    return stdout.split('\n').filter(Boolean);
  }

  before(async () => {
    t = await tempDir();
    await t.write('mine.yaml', 'spx: 1\n');
    await t.write('notes.txt', 'x');
    const [bash, zsh] = await Promise.all([spx(['completion', 'bash'], t.dir), spx(['completion', 'zsh'], t.dir)]);
    expect(bash.code, bash.stderr).to.equal(0);
    expect(zsh.code, zsh.stderr).to.equal(0);
    script = join(t.dir, 'spx.bash');
    await writeFile(script, bash.stdout);
    expect(zsh.stdout).to.match(/bashcompinit/);
    expect(zsh.stdout).to.include('complete -o filenames -F _spx spx');
  });

  after(async () => {
    await t.remove();
  });

  it('completes commands, topics, flags, and pipeline names where a pipeline goes', async () => {
    expect(await complete('')).to.include.members(['run', 'doctor', 'init', 'config', 'pipelines', 'plugins', 'checkpoints', 'completion']);
    expect(await complete('pipelines', '')).to.include.members(['list', 'show', 'validate', 'graph']);
    expect(await complete('run', '--f')).to.deep.equal(['--force-restart', '--from-stage']);
    expect(await complete('run', '')).to.include.members(['local', 'standard', 'mine.yaml']).and.not.include('notes.txt');
    expect(await complete('run', 'lo')).to.deep.equal(['local']);
    expect(await complete('run', 'local', '')).to.include.members(['notes.txt', 'mine.yaml']);
    expect(await complete('init', '')).to.include('standard-turns').and.not.include('mine.yaml');
  });
});
