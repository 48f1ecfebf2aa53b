// spx ui in a real browser (Debian's chromium through playwright-core) against a real `spx ui`
// over a store made by a real run of the standard pipeline (fake APIs on 127.0.0.1): runs list →
// run → transcript; playback moves the highlighted word; a renamed speaker reaches the
// re-exported SRT and VTT with only the export stage rerun and no paid call repeated. A screenshot
// of each page is saved in the directory the test prints.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openStore, type RunState } from '@spx/core/engine';
import { CHROMIUM, CHROMIUM_ARGS } from '../support/browser.js';
import { REPO, spx, startSpx } from '../support/cli.js';
import { sqliteUrl, standardArgs, startFakes, type Fakes } from '../support/standard.js';

const SHOTS = join(REPO, 'test-output', 'ui');
/** The shipped standard pipeline's version, as the runs list shows it. */
const STANDARD_VERSION = /^version: (\S+)$/m.exec(readFileSync(join(REPO, 'pipelines', 'standard.yaml'), 'utf8'))![1]!;

describe('e2e: spx ui in chromium', function () {
  this.timeout(120_000);
  let dir: string;
  let fakes: Fakes;
  let browser: Browser;
  let page: Page;
  let ui: ReturnType<typeof startSpx>;
  let url: string;
  let runId: string;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: the browser tests need it (bash scripts/setup.sh installs it; or apt-get install -y --no-install-recommends chromium).`);
    await mkdir(SHOTS, { recursive: true });
    console.log(`      screenshots: ${SHOTS}`);
    dir = await mkdtemp(join(tmpdir(), 'spx-ui-e2e-'));
    fakes = await startFakes();
    const run = await spx(standardArgs(), { cwd: dir, env: fakes.env });
    expect(run.code, run.stderr + run.stdout).to.equal(0);
    runId = /run ([0-9a-f]{12})/.exec(run.stdout)![1]!;
    ui = startSpx(['ui', '--port', '0', '--json'], { cwd: dir, env: fakes.env });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      ui.child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"url":"([^"]+)"/.exec(out);
        if (m) resolve(m[1]!);
      });
      ui.done.then((r) => reject(new Error(`spx ui exited: ${r.stderr}`)));
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (error) => console.error(`      page error: ${error.message}`));
  });
  after(async () => {
    await browser?.close();
    if (ui) {
      ui.child.kill('SIGINT');
      await ui.done;
    }
    await fakes?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('goes from the runs list to a run to its transcript', async () => {
    await page.goto(url);
    expect(new URL(page.url()).search, 'the token left the address bar').to.equal('');
    const row = page.locator(`tr[data-run="${runId}"]`);
    await row.waitFor();
    expect(await row.textContent()).to.contain(`standard@${STANDARD_VERSION}`).and.to.contain('completed').and.to.contain('5/5');
    await page.screenshot({ path: join(SHOTS, 'runs.png') });

    await row.click();
    await page.locator('.gantt').waitFor();
    for (const stage of ['convert', 'diarize', 'transcribe', 'merge', 'export']) expect(await page.locator(`tr[data-stage="${stage}"]`).textContent()).to.contain('ran');
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.locator('text=✔ verifies').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'run.png'), fullPage: true });

    await page.getByText('Review transcript').click();
    await page.locator('.utt').first().waitFor();
    expect(await page.locator('.utt').count()).to.be.greaterThan(2);
    await page.screenshot({ path: join(SHOTS, 'transcript.png') });
  });

  it('plays the audio from a clicked word and moves the highlight along the words', async () => {
    const start = page.locator('[data-w="1:0"]');
    await start.click();
    await page.waitForFunction(() => document.querySelector('.w.now')?.getAttribute('data-w') === '1:0');
    // A later word of the same utterance (or a later utterance) takes the highlight as playback goes on.
    await page.waitForFunction(() => {
      const [u, w] = (document.querySelector('.w.now')?.getAttribute('data-w') ?? '0:0').split(':').map(Number);
      return u! > 1 || (u === 1 && w! >= 2);
    }, undefined, { timeout: 15_000 });
    const time = await page.evaluate(() => document.querySelector('audio')!.currentTime);
    expect(time).to.be.greaterThan(4);
    await page.screenshot({ path: join(SHOTS, 'transcript-playing.png') });
    await page.evaluate(() => document.querySelector('audio')!.pause());
  });

  it('renames a speaker, fixes a line and reassigns one; re-export reruns only export and the SRT and VTT show them', async () => {
    const uploads = fakes.openai.successCount();
    const diarizations = fakes.pyannote.counts.diarizations;
    await page.fill('input[data-speaker="SPEAKER_00"]', 'Anna Berg');
    await page.locator('form.speaker-name', { has: page.locator('input[data-speaker="SPEAKER_00"]') }).getByRole('button', { name: 'Rename' }).click();
    await page.getByText('Saved edits are not in the exports yet.').waitFor();
    expect(await page.locator('.utt select.speaker').first().inputValue()).to.equal('SPEAKER_00');
    expect(await page.locator('.utt').first().textContent()).to.contain('Anna Berg');

    await page.locator('.utt[data-utt="2"] button[aria-label="Edit text"]').click();
    await page.fill('.utt[data-utt="2"] textarea', 'Papa echo kilo, fixed by hand.');
    await page.locator('.utt[data-utt="2"]').getByRole('button', { name: 'Save' }).click();
    await page.locator('.utt[data-utt="2"].edited').waitFor();
    await page.locator('.utt[data-utt="1"] select.speaker').selectOption('SPEAKER_00');
    await page.locator('.utt[data-utt="1"].edited').waitFor();

    await page.getByRole('button', { name: 'Re-export…' }).click();
    await page.locator('.plan-box li[data-stage="export"]').waitFor();
    expect(await page.locator('.plan-box li[data-stage="export"]').textContent()).to.match(/^run export/);
    for (const stage of ['convert', 'diarize', 'transcribe', 'merge']) expect(await page.locator(`.plan-box li[data-stage="${stage}"]`).textContent()).to.match(/^reuse/);
    await page.getByRole('button', { name: 'Run it' }).click();
    await page.getByText('Export completed').waitFor({ timeout: 60_000 });
    await page.getByText('The exports have every saved edit.').waitFor();
    await page.screenshot({ path: join(SHOTS, 'transcript-renamed.png') });

    const srt = await readFile(join(dir, 'out', 'meeting.srt'), 'utf8');
    const vtt = await readFile(join(dir, 'out', 'meeting.vtt'), 'utf8');
    expect(srt).to.contain('Anna Berg:').and.not.to.contain('SPEAKER_00');
    expect(vtt).to.contain('<v Anna Berg>').and.not.to.contain('SPEAKER_00');
    expect(srt).to.contain('fixed by hand.');
    const json = JSON.parse(await readFile(join(dir, 'out', 'meeting.json'), 'utf8')) as { utterances: Array<{ speaker: string; name: string; text: string }> };
    expect(json.utterances[1]).to.include({ speaker: 'SPEAKER_00', name: 'Anna Berg' });
    expect(json.utterances[2]!.text).to.equal('Papa echo kilo, fixed by hand.');
    const store = await openStore({ url: sqliteUrl(dir) });
    try {
      const state = (await store.get<RunState>(`run:${runId}`))!;
      expect(state.metadata.history.at(-1)).to.deep.include({ ran: ['export'], reused: ['convert', 'diarize', 'transcribe', 'merge'] });
    } finally {
      await store.close();
    }
    expect(fakes.openai.successCount(), 'no transcription paid again').to.equal(uploads);
    expect(fakes.pyannote.counts.diarizations, 'no diarization paid again').to.equal(diarizations);
  });
});
