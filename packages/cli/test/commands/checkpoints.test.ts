import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, stat, utimes, writeFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openStore, RUN_MARKER, storeIdentity } from '@spx/core/engine';
import { json, spx, tempDir, textPipeline, TEXT_PLUGIN, type CliResult, type TempDir } from '../helpers.js';

const DERIVE_PLUGIN = join(TEXT_PLUGIN, '..', 'derive.ts');

interface Row {
  id: string;
  input: string;
  pipeline: { name: string; version: string };
  status: string;
  stages: { completed: number; total: number };
  bytes: number;
  failedStage: string | null;
  error: string | null;
}

interface Detail extends Row {
  stageDetails: Array<{ stage: string; status: string; fingerprint: string | null; history: { ran: number; reused: number; failed: number }; subSteps: number; artifacts: unknown[]; next: { action: string; reason: string } | null }>;
  planNote: string | null;
  subSteps: number;
}

function noStack(result: CliResult): void {
  expect(result.stderr).not.to.match(/^\s+at .+\(.*:\d+:\d+\)$/m);
}

describe('spx checkpoints', function () {
  this.timeout(120_000);
  let t: TempDir;
  let a: Row; // completed run of pipeline.yaml on doc.md
  let b: Row; // failed run of failing.yaml on doc2.md
  let twinId: string; // an imported copy of a whose id shares a's first 6 characters
  const run = (args: string[]) => spx(args, t.dir);

  before(async () => {
    t = await tempDir();
    await t.write('pipeline.yaml', textPipeline());
    await t.write('failing.yaml', textPipeline({ fail: true }));
    await t.write('doc.md', 'hello world\n');
    await t.write('doc2.md', 'another document\n');
    const [ok, failed] = await Promise.all([run(['run', 'pipeline.yaml', 'doc.md', '--out', 'out']), run(['run', 'failing.yaml', 'doc2.md', '--out', 'out'])]);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(failed.code, failed.stderr).to.equal(1);
  });

  after(async () => {
    await t.remove();
  });

  it('lists runs with input, pipeline, status, stages, age and size (table, --detailed and --json)', async () => {
    const [asJson, plain, detailed] = await Promise.all([run(['checkpoints', 'list', '--json']), run(['checkpoints', 'list']), run(['checkpoints', 'list', '--detailed'])]);
    expect(asJson.code).to.equal(0);
    const runs = json<{ runs: Row[] }>(asJson).runs;
    expect(runs).to.have.length(2);
    a = runs.find((r) => r.input.endsWith('doc.md'))!;
    b = runs.find((r) => r.input.endsWith('doc2.md'))!;
    expect(a).to.include({ status: 'completed', failedStage: null });
    expect(a.pipeline).to.deep.equal({ name: 'text', version: '1.2.0', file: join(t.dir, 'pipeline.yaml') });
    expect(a.stages).to.deep.equal({ completed: 4, total: 4 });
    expect(a.bytes).to.be.greaterThan(0);
    expect(b).to.include({ status: 'failed', failedStage: 'exclaim' });
    expect(b.stages.completed).to.be.lessThan(4);
    expect(b.error).to.match(/told to fail/);

    expect(plain.code).to.equal(0);
    const [header, ...lines] = plain.stdout.split('\n');
    expect(header).to.match(/^ID\s+INPUT\s+PIPELINE\s+STATUS\s+STAGES\s+UPDATED\s+SIZE$/);
    expect(lines.find((l) => l.startsWith(a.id))).to.match(/doc\.md\s+text@1\.2\.0\s+completed\s+4\/4\s+\S+ ago\s+\d+ B$/);
    expect(plain.stdout).to.include('2 runs in sqlite://');

    expect(detailed.code).to.equal(0);
    expect(detailed.stdout).to.include(`${a.id}  text@1.2.0  completed`);
    expect(detailed.stdout).to.match(/stages\s+✔ read\s+✔ exclaim\s+✔ steps\s+✔ publish\s+\(4\/4\)/);
    expect(detailed.stdout).to.match(/error\s+exclaim: .*told to fail/);
  });

  it('shows every stage with fingerprint, history and why the next run would rerun it', async () => {
    // Change one parameter after the run, and remove the failing run's pipeline file.
    await t.write('pipeline.yaml', textPipeline({ suffix: '?' }));
    await rm(join(t.dir, 'failing.yaml'));
    const [shownA, shownB, validated] = await Promise.all([run(['checkpoints', 'show', a.id.slice(0, 5), '--json']), run(['checkpoints', 'show', b.id]), run(['checkpoints', 'validate', a.id.slice(0, 7)])]);
    expect(shownA.code, shownA.stderr).to.equal(0);
    const detail = json<Detail>(shownA);
    expect(detail.id).to.equal(a.id);
    const stage = (id: string) => detail.stageDetails.find((s) => s.stage === id)!;
    expect(detail.stageDetails.map((s) => s.stage)).to.deep.equal(['read', 'exclaim', 'steps', 'publish']);
    for (const s of detail.stageDetails) {
      expect(s.status).to.equal('completed');
      expect(s.fingerprint).to.match(/^[0-9a-f]{16,}$/);
      expect(s.history).to.deep.equal({ ran: 1, reused: 0, failed: 0 });
    }
    expect(stage('steps').subSteps).to.equal(3);
    expect(stage('read').next).to.deep.include({ action: 'reuse' });
    expect(stage('exclaim').next!.action).to.equal('run');
    expect(stage('exclaim').next!.reason).to.match(/suffix/);
    expect(stage('publish').next!.action).to.equal('run');

    expect(shownB.code, shownB.stderr).to.equal(0);
    expect(shownB.stdout).to.match(/✖ exclaim\s+failed/);
    expect(shownB.stdout).to.match(/error\s+.*told to fail/);
    expect(shownB.stdout).to.match(/Note: pipeline file .*failing\.yaml no longer exists/);

    expect(validated.code, validated.stderr).to.equal(0);
    expect(validated.stdout).to.match(new RegExp(`✔ ${a.id}\\s+4 artifacts verified`));
  });

  it('exports a run as seed-compatible JSON and imports it, rejecting bad files with exit 2', async () => {
    const exported = await run(['checkpoints', 'export', a.id.slice(0, 6), 'a.json']);
    expect(exported.code, exported.stderr).to.equal(0);
    const data = JSON.parse(await readFile(join(t.dir, 'a.json'), 'utf8')) as Record<string, any>;
    for (const field of ['input_file', 'pipeline_id', 'created_at', 'last_updated', 'completed_stages', 'current_stage', 'failed_stage', 'checkpoints', 'metadata', 'status']) expect(data).to.have.property(field);
    expect(data).to.include({ id: a.id, pipeline_id: 'text', status: 'completed', current_stage: null, failed_stage: null });
    expect(data.completed_stages).to.have.members(['read', 'exclaim', 'steps', 'publish']);
    expect(data.checkpoints.every((c: { success: boolean }) => c.success)).to.equal(true);
    expect(data.stages.read.artifacts[0]).to.have.keys(['name', 'path', 'bytes', 'sha256', 'mtimeMs']);
    expect(Object.keys(data.steps)).to.have.length(3);
    expect(Object.keys(data.steps).every((k) => k.startsWith('steps:'))).to.equal(true);

    const wrongShape = { ...data, status: 'done', stages: { ...data.stages, read: { ...data.stages.read, fingerprint: undefined } } };
    const missingArtifact = structuredClone(data);
    const gone = join(t.dir, '.spx', 'runs', a.id, 'exclaim', 'gone.txt');
    missingArtifact.stages.exclaim.artifacts[0].path = gone;
    missingArtifact.stages.exclaim.outputs.text.path = gone;
    // A twin of a under another id: its directory copied to runs/<twin id> (without a's ownership
    // marker, so the import hands it to this store) and every recorded path rewritten to it.
    twinId = `${a.id.slice(0, 6)}${a.id.slice(6) === '000000' ? '111111' : '000000'}`;
    await cp(join(t.dir, '.spx', 'runs', a.id), join(t.dir, '.spx', 'runs', twinId), { recursive: true });
    await rm(join(t.dir, '.spx', 'runs', twinId, RUN_MARKER));
    const twin = JSON.parse(JSON.stringify({ ...data, id: twinId }).replaceAll(`/runs/${a.id}/`, `/runs/${twinId}/`));
    await t.write('shape.json', JSON.stringify(wrongShape));
    await t.write('missing-artifact.json', JSON.stringify(missingArtifact));
    await t.write('broken.json', '{\n  "id": "abc",\n  "status": }\n');
    await t.write('twin.json', JSON.stringify(twin));

    const other = `sqlite://${join(t.dir, 'other.sqlite')}`;
    const [intoOther, exists, broken, shape, missing, noFile, twinned] = await Promise.all([
      run(['checkpoints', 'import', 'a.json', '--store', other, '--json']),
      run(['checkpoints', 'import', 'a.json', '--json']),
      run(['checkpoints', 'import', 'broken.json']),
      run(['checkpoints', 'import', 'shape.json', '--json']),
      run(['checkpoints', 'import', 'missing-artifact.json']),
      run(['checkpoints', 'import', 'nope.json']),
      run(['checkpoints', 'import', 'twin.json']),
    ]);
    expect(intoOther.code, intoOther.stderr).to.equal(0);
    // The publishing stage's record stays behind: its files are exports, written again by the next run.
    expect(json(intoOther)).to.deep.equal({ id: a.id, replaced: false, stages: 3, steps: 3, artifacts: 3, republish: ['publish'] });
    expect(exists.code).to.equal(2);
    expect(json<{ error: { code: string; hint: string } }>(exists).error).to.include({ code: 'CHECKPOINT_EXISTS' });
    expect(broken.code).to.equal(2);
    expect(broken.stderr).to.match(/broken\.json:3:\d+ error IMPORT_INVALID: broken\.json is not valid JSON/);
    expect(shape.code).to.equal(2);
    const shapeErrors = (json<{ error: { code: string; errors: Array<{ message: string }> } }>(shape).error.errors ?? []).map((e) => e.message).join('\n');
    expect(shapeErrors).to.match(/\/status must be one of/);
    expect(shapeErrors).to.match(/\/stages\/read is missing field "fingerprint"/);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.include('error IMPORT_INVALID');
    expect(missing.stderr).to.include(`${gone} of stage "exclaim" is missing`);
    expect(noFile.code).to.equal(2);
    expect(noFile.stderr).to.match(/error INPUT_MISSING: Export file "nope\.json" does not exist/);
    for (const r of [broken, missing, noFile]) noStack(r);
    expect(twinned.code, twinned.stderr).to.equal(0);

    const [fromOther, importedPlan, namedPlan, ambiguous, unknown] = await Promise.all([
      run(['checkpoints', 'show', a.id, '--store', other, '--json', '--no-plan']),
      run(['checkpoints', 'show', a.id, '--store', other, '--json']),
      run(['checkpoints', 'show', a.id, '--store', other, '--json', '--pipeline', 'pipeline.yaml']),
      run(['checkpoints', 'show', a.id.slice(0, 6)]),
      run(['checkpoints', 'delete', 'zzzz', '--json']),
    ]);
    expect(fromOther.code, fromOther.stderr).to.equal(0);
    expect(json<Detail>(fromOther)).to.include({ id: a.id, status: 'completed', subSteps: 3 });
    // An imported run names a pipeline file (code): it is loaded only when the user names it.
    expect(importedPlan.code, importedPlan.stderr).to.equal(0);
    expect(json<Detail>(importedPlan).planNote).to.match(/^the run was imported, so its pipeline file .*pipeline\.yaml and the plugins it names are not loaded; pass --pipeline FILE/);
    expect(json<Detail>(importedPlan).stageDetails.every((d) => d.next === null)).to.equal(true);
    expect(namedPlan.code, namedPlan.stderr).to.equal(0);
    expect(json<Detail>(namedPlan).planNote).to.equal(null);
    expect(json<Detail>(namedPlan).stageDetails.find((d) => d.stage === 'read')!.next).to.deep.include({ action: 'reuse' });
    expect(json<Detail>(namedPlan).stageDetails.find((d) => d.stage === 'publish')!.next).to.deep.include({ action: 'run' });
    expect(ambiguous.code).to.equal(2);
    expect(ambiguous.stderr).to.match(/error CHECKPOINT_AMBIGUOUS: Run id "[0-9a-f]{6}" is ambiguous/);
    expect(ambiguous.stderr).to.include(a.id).and.to.include(twin.id);
    expect(unknown.code).to.equal(2);
    expect(json<{ error: { code: string } }>(unknown).error.code).to.equal('CHECKPOINT_NOT_FOUND');
  });

  it('validate re-hashes every artifact and exits 1 with a per-artifact report', async () => {
    // Same size, same mtime, different bytes: only a full re-hash notices.
    const record = JSON.parse(await readFile(join(t.dir, 'a.json'), 'utf8')).stages.read.artifacts[0] as { path: string; mtimeMs: number };
    const before = await stat(record.path);
    const original = await readFile(record.path, 'utf8');
    await writeFile(record.path, original.toLowerCase());
    await utimes(record.path, before.atime, before.mtime);
    const [all, none] = await Promise.all([run(['checkpoints', 'validate', '--all', '--json']), run(['checkpoints', 'validate'])]);
    expect(all.code).to.equal(1);
    const report = json<{ ok: boolean; runs: Array<{ id: string; ok: boolean; artifacts: Array<{ stage: string; ok: boolean; reason?: string }> }>; error: { code: string } }>(all);
    expect(report.ok).to.equal(false);
    expect(report.error.code).to.equal('ARTIFACT_INVALID');
    const runA = report.runs.find((r) => r.id === a.id)!;
    expect(runA.ok).to.equal(false);
    expect(runA.artifacts.filter((x) => !x.ok)).to.deep.equal([{ stage: 'read', path: record.path, bytes: original.length, ok: false, reason: 'content changed (sha256 differs)' }]);
    expect(report.runs.find((r) => r.id === b.id)!.ok).to.equal(true);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.include('error USAGE: Pass a run id or --all.');
  });

  it('cleanup selects old or invalid runs and orphaned directories of this store; --dry-run deletes nothing', async () => {
    // An orphan: a directory this store made (its marker says so) whose run state is gone.
    const orphan = join(t.dir, '.spx', 'runs', '0rphan000000');
    await mkdir(join(orphan, 'stage'), { recursive: true });
    await writeFile(join(orphan, 'stage', 'left.txt'), 'left over');
    const identity = await openStore({ url: `sqlite://${join(t.dir, '.spx', 'state.sqlite')}` }).then(async (store) => {
      try {
        return await storeIdentity(store);
      } finally {
        await store.close();
      }
    });
    await writeFile(join(orphan, RUN_MARKER), JSON.stringify({ schema: 'spx-run-dir', schemaVersion: 1, runId: '0rphan000000', storeId: identity.id, store: identity.location, createdAt: new Date().toISOString() }));
    // Not spx's: a directory without a marker, named like a run.
    const userData = join(t.dir, '.spx', 'runs', 'userdata0000');
    await mkdir(userData);
    await writeFile(join(userData, 'mine.txt'), 'not a run');
    const [preview, old, noSelection, badHours] = await Promise.all([
      run(['checkpoints', 'cleanup', '--invalid', '--dry-run', '--json']),
      run(['checkpoints', 'cleanup', '--older-than', '0', '--dry-run', '--json']),
      run(['checkpoints', 'cleanup']),
      run(['checkpoints', 'cleanup', '--older-than', 'soon']),
    ]);
    type Cleanup = { dryRun: boolean; removed: Array<{ id: string; reason: string; keys: number; dirs: string[] }>; leftAlone: Array<{ dir: string; reason: string }>; freedBytes: number };
    expect(preview.code, preview.stderr).to.equal(0);
    const planned = json<Cleanup>(preview);
    expect(planned.dryRun).to.equal(true);
    expect(planned.removed.map((r) => r.id).sort()).to.deep.equal([a.id, '0rphan000000'].sort());
    expect(planned.leftAlone).to.deep.include({ dir: userData, reason: 'no ownership marker (not made by spx, or by a version before markers)' });
    expect(planned.removed.find((r) => r.id === a.id)!.reason).to.match(/1 invalid artifact \(read: content changed/);
    expect(planned.removed.find((r) => r.id === a.id)!.keys).to.equal(4); // run state + 3 sub-steps
    expect(existsSync(orphan)).to.equal(true);
    expect(json<Cleanup>(old).removed.map((r) => r.id)).to.include.members([a.id, b.id, twinId]);
    expect(noSelection.code).to.equal(2);
    expect(noSelection.stderr).to.include('error USAGE: Nothing selected');
    expect(badHours.code).to.equal(2);
    expect(badHours.stderr).to.include('--older-than "soon" is not a number of hours');

    const done = await run(['checkpoints', 'cleanup', '--invalid', '--json']);
    expect(done.code, done.stderr).to.equal(0);
    const removed = json<Cleanup>(done);
    expect(removed.removed.map((r) => r.id).sort()).to.deep.equal([a.id, '0rphan000000'].sort());
    expect(removed.freedBytes).to.be.greaterThan(0);
    expect(existsSync(orphan)).to.equal(false);
    expect(existsSync(join(userData, 'mine.txt')), 'user data is left alone').to.equal(true);
    expect(existsSync(join(t.dir, '.spx', 'runs', twinId)), 'the imported twin (valid) is kept').to.equal(true);
    expect(existsSync(join(t.dir, '.spx', 'runs', a.id))).to.equal(false);
    expect(existsSync(join(t.dir, 'out', 'doc.txt')), 'exports are kept').to.equal(true);
    const store = await openStore({ url: `sqlite://${join(t.dir, '.spx', 'state.sqlite')}` });
    try {
      const left: string[] = [];
      for await (const key of store.keys('')) left.push(key);
      expect(left.filter((k) => k.includes(a.id))).to.deep.equal([]);
      expect(left).to.include(`run:${b.id}`);
    } finally {
      await store.close();
    }
  });

  it('run --keep-intermediates keeps a cheap file; cleanup --prune removes it, keeps the run and reports the bytes freed', async () => {
    const own = await tempDir();
    try {
      // read → copy (declared cheap) → publish
      await own.write('derived.yaml', `spx: 1\nname: derived\nversion: 1.0.0\nplugins: ["${TEXT_PLUGIN}", "${DERIVE_PLUGIN}"]\ninputs:\n  doc: { type: file }\nstages:\n  read:\n    uses: text/read\n    with: { input: "\${{ inputs.doc }}", transform: upper }\n  copy:\n    uses: derive/copy\n    with: { from: "\${{ stages.read.outputs.text }}" }\n  publish:\n    uses: text/publish\n    with: { from: "\${{ stages.copy.outputs.text }}" }\n`);
      await own.write('doc.md', 'hello world');
      const first = await spx(['run', 'derived.yaml', 'doc.md', '--keep-intermediates'], own.dir);
      expect(first.code, first.stderr).to.equal(0);
      expect(first.stdout).not.to.include('pruned');
      const runId = /run ([0-9a-f]{12})/.exec(first.stdout)![1]!;
      const copyDir = join(own.dir, '.spx', 'runs', runId, 'copy');
      const copyFile = async () => join(copyDir, (await readdir(copyDir))[0]!, 'copy.txt');
      expect(existsSync(await copyFile()), 'kept').to.equal(true);

      const preview = await spx(['checkpoints', 'cleanup', '--prune', '--dry-run', '--json'], own.dir);
      expect(preview.code, preview.stderr).to.equal(0);
      expect(json<{ pruned: Array<{ id: string; bytes: number }>; freedBytes: number }>(preview)).to.deep.include({ pruned: [{ id: runId, reason: '1 intermediate file', keys: 0, dirs: [], bytes: 11 }], freedBytes: 11 });
      expect(existsSync(await copyFile()), 'a dry run deletes nothing').to.equal(true);
      const pruned = await spx(['checkpoints', 'cleanup', '--prune'], own.dir);
      expect(pruned.code, pruned.stderr).to.equal(0);
      expect(pruned.stdout).to.include(`✔ pruned ${runId}  1 intermediate file (11 B); the run is kept`);
      expect(pruned.stdout).to.include('Pruned 1 run, freed 11 B.');
      expect(existsSync(await copyFile()), 'pruned').to.equal(false);
      const validate = await spx(['checkpoints', 'validate', runId], own.dir);
      expect(validate.code, validate.stdout + validate.stderr).to.equal(0);
      expect(validate.stdout).to.include('1 artifact pruned (11 B, made again when a run needs it)');
      const again = await spx(['run', 'derived.yaml', 'doc.md'], own.dir);
      expect(again.stdout).to.include('0 ran, 3 reused');
      expect(await readFile(join(own.dir, 'doc.txt'), 'utf8')).to.equal('HELLO WORLD');
    } finally {
      await own.remove();
    }
  });

  it('delete refuses a run a live process holds (exit 4), removes one by prefix; bad ids, flags and arguments exit 2', async () => {
    // A lease held by this (live) test process, as a running `spx run` would hold it.
    const store = await openStore({ url: `sqlite://${join(t.dir, '.spx', 'state.sqlite')}` });
    let results: CliResult[];
    try {
      await store.set(`lock:${b.id}`, { token: 'test', pid: process.pid, host: hostname(), since: new Date().toISOString(), heartbeat: Date.now() + 600_000 });
      results = await Promise.all([run(['checkpoints', 'delete', b.id]), run(['checkpoints', 'list', '--bogus']), run(['checkpoints', 'show'])]);
      await store.delete(`lock:${b.id}`);
    } finally {
      await store.close();
    }
    const [locked, badFlag, missingArg] = results as [CliResult, CliResult, CliResult];
    expect(locked.code).to.equal(4);
    expect(locked.stderr).to.include(`error RUN_LOCKED: Run ${b.id} is in use by pid ${process.pid}`);
    expect(existsSync(join(t.dir, '.spx', 'runs', b.id))).to.equal(true);

    const deleted = await run(['checkpoints', 'delete', b.id.slice(0, 4), '--json']);
    expect(deleted.code, deleted.stderr).to.equal(0);
    const result = json<{ id: string; keys: number; dirs: string[] }>(deleted);
    expect(result).to.deep.include({ id: b.id, dirs: [join(t.dir, '.spx', 'runs', b.id)] });
    expect(result.keys).to.be.at.least(1);
    expect(existsSync(join(t.dir, '.spx', 'runs', b.id))).to.equal(false);
    const empty = join(t.dir, 'empty');
    await mkdir(empty);
    const [again, list, emptyList, emptyShow] = await Promise.all([
      run(['checkpoints', 'delete', b.id]),
      run(['checkpoints', 'list', '--json']),
      spx(['checkpoints', 'list', '--json'], empty),
      spx(['checkpoints', 'show', b.id], empty),
    ]);
    // Where no store exists, read-only commands say so and create nothing.
    expect(emptyList.code).to.equal(0);
    expect(json<{ runs: Row[] }>(emptyList).runs).to.deep.equal([]);
    expect(emptyShow.code).to.equal(2);
    expect(emptyShow.stderr).to.include(`error CHECKPOINT_NOT_FOUND: No run with id "${b.id}": there is no state store at ${join(empty, '.spx', 'state.sqlite')}`);
    expect(existsSync(join(empty, '.spx'))).to.equal(false);
    expect(again.code).to.equal(2);
    expect(again.stderr).to.include(`error CHECKPOINT_NOT_FOUND: No run with id "${b.id}"`);
    expect(badFlag.code).to.equal(2);
    expect(badFlag.stderr).to.match(/error USAGE: .*--bogus/);
    expect(missingArg.code).to.equal(2);
    expect(missingArg.stderr).to.match(/error USAGE: Missing (1 )?required arg/);
    for (const r of [locked, again, badFlag, missingArg]) noStack(r);
    expect(json<{ runs: Row[] }>(list).runs.map((r) => r.id)).to.not.include(b.id);
  });
});
