// Disk retention end to end: the standard pipeline through the CLI against the fake API servers.
// A completed run keeps its costly files and prunes the converted audio (records kept); later runs
// that need the audio make it again — with the same bytes, or other bytes from another ffmpeg
// build — and never pay again for a completed stage; kill -9 while pruning or while making the
// audio again leaves a state that resumes to identical exports.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { REPO, spx, type CliResult } from '../support/cli.js';
import { referenceRun } from '../support/kill9.js';
import { diffOutputs, readOutputs, SAMPLE, STANDARD, STANDARD_SETS, standardArgs, startFakes, stateProblems, sqliteUrl, type Fakes } from '../support/standard.js';

const KILL_AT = join(REPO, 'test', 'support', 'kill-at.ts');

/** Runs test/support/kill-at.ts: the pipeline, SIGKILLed at `moment`. */
function runKilledAt(moment: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', KILL_AT, cwd, moment, STANDARD, SAMPLE, '--out', 'out', ...STANDARD_SETS, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

async function convertedAudio(dir: string): Promise<string[]> {
  const runs = join(dir, '.spx', 'runs');
  const found: string[] = [];
  for (const run of await readdir(runs).catch(() => [] as string[])) {
    for (const fp of await readdir(join(runs, run, 'convert')).catch(() => [] as string[])) {
      for (const name of await readdir(join(runs, run, 'convert', fp)).catch(() => [] as string[])) if (name.startsWith('audio.')) found.push(join(runs, run, 'convert', fp, name));
    }
  }
  return found;
}

describe('e2e: retention on the standard pipeline', function () {
  this.timeout(180_000);
  let dir: string;
  let fakes: Fakes;
  let reference: Map<string, Buffer>;
  const paid = () => ({ uploads: fakes.openai.successCount(), jobs: fakes.pyannote.jobs().length });

  before(async () => {
    reference = (await referenceRun()).outputs;
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-retention-'));
    fakes = await startFakes();
  });
  afterEach(async () => {
    await fakes.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prunes the converted audio when done; validate and show say pruned; --from-stage transcribe makes it again and pays nothing again', async () => {
    const first = await spx(standardArgs(), { cwd: dir, env: fakes.env });
    expect(first.code, first.stderr + first.stdout).to.equal(0);
    expect(first.stdout).to.match(/pruned 1\.0 MiB of intermediate files/);
    expect(await convertedAudio(dir)).to.deep.equal([]);
    const runId = /run ([0-9a-f]{12})/.exec(first.stdout)![1]!;

    const validate = await spx(['checkpoints', 'validate', runId], { cwd: dir });
    expect(validate.code, validate.stderr).to.equal(0);
    expect(validate.stdout).to.match(/^✔ [0-9a-f]{12} {2}\d+ artifacts verified \(.* re-hashed\); 1 artifact pruned \(1\.0 MiB, made again when a run needs it\)$/m);
    const show = await spx(['checkpoints', 'show', runId, '--no-plan'], { cwd: dir });
    expect(show.stdout).to.match(/stored {4}.* \(1 pruned, 1\.0 MiB made again when needed\)/);
    expect(show.stdout).to.match(/ pruned {7}\S+\/convert\/[0-9a-f]{12}\/audio\.wav \(1\.0 MiB, sha256 [0-9a-f]{12}; removed after the run, made again when needed\)/);
    expect(show.stdout).to.match(/ artifact {5}\S+\/diarize\/[0-9a-f]{12}\/diarization\.json/);

    const before = paid();
    const again = await spx(standardArgs(['--from-stage', 'transcribe']), { cwd: dir, env: fakes.env });
    expect(again.code, again.stderr + again.stdout).to.equal(0);
    expect(again.stdout).to.match(/3 ran, 2 reused \(convert made again\)/);
    expect(again.stdout).to.match(/resume saved 2 stages, \d+ paid API calls/);
    expect(paid(), 'no upload or job repeated').to.deep.equal(before);
    expect(diffOutputs(reference, await readOutputs(join(dir, 'out')))).to.deep.equal([]);
    expect(await convertedAudio(dir), 'pruned again once done').to.deep.equal([]);
  });

  it('audio made again with other bytes (another ffmpeg build) reruns no completed paid stage, and the run says so', async () => {
    // A pipeline with a free consumer of the audio, so that a parameter change makes it run alone.
    await writeFile(join(dir, 'chunked.yaml'), `spx: 1\nname: chunked\nversion: 1.0.0\nextends: ${STANDARD}\nstages:\n  chunks:\n    uses: ffmpeg/chunk\n    with: { input: "\${{ stages.convert.outputs.audio }}", maxDuration: 10 }\n`);
    const args = (extra: string[] = []) => ['run', 'chunked.yaml', SAMPLE, '--out', 'out', ...STANDARD_SETS, ...extra];
    const first = await spx(args(), { cwd: dir, env: fakes.env });
    expect(first.code, first.stderr + first.stdout).to.equal(0);
    // Another build: every file it writes is 2 dB quieter.
    const wrapper = join(dir, 'ffmpeg');
    await writeFile(wrapper, '#!/bin/bash\nn=$#\nexec ffmpeg "${@:1:$((n-1))}" -af volume=-2dB "${!n}"\n');
    await chmod(wrapper, 0o755);
    const before = paid();
    const exportsBefore = await readOutputs(join(dir, 'out'));
    const rebuilt = await spx(args(['--set', 'chunks.maxDuration=8']), { cwd: dir, env: { ...fakes.env, FFMPEG_PATH: wrapper } });
    expect(rebuilt.code, rebuilt.stderr + rebuilt.stdout).to.equal(0);
    expect(rebuilt.stdout).to.match(/warn: stage "convert" made its files again with other bytes than recorded \(audio\.wav: sha256 [0-9a-f]{12} → [0-9a-f]{12}\); the completed stages downstream stay reused/);
    expect(rebuilt.stdout).to.match(/1 ran, 5 reused \(convert made again\)/);
    expect(paid(), 'no upload or job repeated').to.deep.equal(before);
    expect(diffOutputs(exportsBefore, await readOutputs(join(dir, 'out')))).to.deep.equal([]);
    // The chunk files are cheap too: pruned with the audio.
    const validate = await spx(['checkpoints', 'validate', '--all'], { cwd: dir });
    expect(validate.code, validate.stdout + validate.stderr).to.equal(0);
    expect(validate.stdout).to.match(/ \d+ artifacts pruned/);
  });

  it('kill -9 after pruning was saved but before any file went: the rerun finishes the pruning, reruns nothing', async () => {
    const killed = await runKilledAt('pruned-not-deleted', [], dir, fakes.env);
    expect(killed.signal, killed.stdout + killed.stderr).to.equal('SIGKILL');
    expect(await convertedAudio(dir), 'marked pruned, still on disk').to.have.length(1);
    expect(await stateProblems(sqliteUrl(dir))).to.deep.equal([]);
    const before = paid();
    const resumed = await spx(standardArgs(), { cwd: dir, env: fakes.env });
    expect(resumed.code, resumed.stderr + resumed.stdout).to.equal(0);
    expect(resumed.stdout).to.contain('0 ran, 5 reused');
    expect(paid()).to.deep.equal(before);
    expect(await convertedAudio(dir)).to.deep.equal([]);
    expect(diffOutputs(reference, await readOutputs(join(dir, 'out')))).to.deep.equal([]);
  });

  it('kill -9 after the audio was made again but before the state said so: the resume repeats no paid call', async () => {
    const first = await spx(standardArgs(), { cwd: dir, env: fakes.env });
    expect(first.code, first.stderr).to.equal(0);
    const before = paid();
    const killed = await runKilledAt('remade-not-saved', ['--from-stage', 'transcribe'], dir, fakes.env);
    expect(killed.signal, killed.stdout + killed.stderr).to.equal('SIGKILL');
    expect(await convertedAudio(dir), 'written again, still recorded as pruned').to.have.length(1);
    expect(await stateProblems(sqliteUrl(dir))).to.deep.equal([]);
    const resumed = await spx(standardArgs(['--from-stage', 'transcribe']), { cwd: dir, env: fakes.env });
    expect(resumed.code, resumed.stderr + resumed.stdout).to.equal(0);
    expect(paid(), 'no upload or job repeated').to.deep.equal(before);
    expect(diffOutputs(reference, await readOutputs(join(dir, 'out')))).to.deep.equal([]);
    expect(await convertedAudio(dir)).to.deep.equal([]);
  });
});
