// spx edit: names and corrections saved as the run's edits; the next run reruns only the export
// stage (no paid sub-step repeats), every export shows the edit, and checkpoints show lists it.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { SCRIPT_TEXT, scriptPipeline } from '../../../core/test/fixtures/script-pipeline.js';
import { json, spx, tempDir, type TempDir } from '../helpers.js';

describe('spx edit', function () {
  this.timeout(120_000);
  let t: TempDir;
  let ledger: string;
  const run = (args: string[]) => spx(args, t.dir, { SPX_TEST_LEDGER: ledger });
  const paidLines = async () => (await readFile(ledger, 'utf8')).split('\n').filter((l) => l.startsWith('script:')).length;

  before(async () => {
    t = await tempDir();
    ledger = join(t.dir, 'ledger.txt');
    await writeFile(ledger, '');
    await t.write('pipeline.yaml', scriptPipeline());
    await t.write('meeting.txt', SCRIPT_TEXT);
    const first = await run(['run', 'pipeline.yaml', 'meeting.txt', '--out', 'out']);
    expect(first.code, first.stderr).to.equal(0);
  });
  after(() => t.remove());

  it('saves names and a corrected line; the next run reruns only export and every format shows them', async () => {
    const id = (json<{ runs: Array<{ id: string }> }>(await run(['checkpoints', 'list', '--json'])).runs[0]!).id;
    await t.write('names.yaml', 'SPEAKER_01: Ben Ode\n');
    const edit = await run(['edit', id.slice(0, 6), '--name', 'SPEAKER_00=Anna Berg', '--names', 'names.yaml', '--text', '3=Let us look at the figures.']);
    expect(edit.code, edit.stderr).to.equal(0);
    expect(edit.stdout).to.contain('SPEAKER_00 → Anna Berg').and.to.contain('1 utterance edit');

    const paidBefore = await paidLines();
    const again = await run(['run', 'pipeline.yaml', 'meeting.txt', '--out', 'out', '--json']);
    expect(again.code, again.stderr).to.equal(0);
    const summary = JSON.parse(again.stdout.trim().split('\n').pop()!) as { results: Array<{ ran: string[]; reused: string[] }> };
    expect(summary.results[0]!.ran).to.deep.equal(['export']);
    expect(summary.results[0]!.reused).to.deep.equal(['transcribe', 'merge']);
    expect(await paidLines(), 'paid sub-steps run again').to.equal(paidBefore);

    const srt = await readFile(join(t.dir, 'out', 'meeting.srt'), 'utf8');
    const vtt = await readFile(join(t.dir, 'out', 'meeting.vtt'), 'utf8');
    for (const text of [srt, vtt, await readFile(join(t.dir, 'out', 'meeting.txt'), 'utf8')]) {
      expect(text).to.contain('Anna Berg').and.to.contain('Ben Ode').and.to.contain('the figures.');
      expect(text).not.to.contain('SPEAKER_0');
    }
    expect(vtt).to.contain('<v Ben Ode>');

    const show = await run(['checkpoints', 'show', id, '--no-plan']);
    expect(show.stdout).to.match(/edits\s+SPEAKER_00 → Anna Berg; SPEAKER_01 → Ben Ode; 1 utterance edit \(1 text, 0 speaker\)/);
    const detail = json<{ edits: { speakers: Record<string, string>; texts: number } }>(await run(['checkpoints', 'show', id, '--no-plan', '--json']));
    expect(detail.edits).to.deep.include({ speakers: { SPEAKER_00: 'Anna Berg', SPEAKER_01: 'Ben Ode' }, texts: 1 });

    const cleared = await run(['edit', id, '--clear']);
    expect(cleared.code, cleared.stderr).to.equal(0);
    const plain = await run(['run', 'pipeline.yaml', 'meeting.txt', '--out', 'out']);
    expect(plain.stdout).to.contain('1 ran, 2 reused');
    expect(await readFile(join(t.dir, 'out', 'meeting.srt'), 'utf8')).to.contain('SPEAKER_00:');
  });

  it('refuses an utterance number the transcript does not have, and a names file that is not a map', async () => {
    const id = (json<{ runs: Array<{ id: string }> }>(await run(['checkpoints', 'list', '--json'])).runs[0]!).id;
    const bad = await run(['edit', id, '--text', '9=nothing']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/USAGE: --text: there is no utterance 9 \(the transcript has 3\)/);
    await t.write('list.yaml', '- Anna\n- Ben\n');
    const notMap = await run(['edit', id, '--names', 'list.yaml']);
    expect(notMap.code).to.equal(2);
    expect(notMap.stderr).to.match(/EDITS_INVALID: The speaker names file list\.yaml is not a map/);
  });
});
