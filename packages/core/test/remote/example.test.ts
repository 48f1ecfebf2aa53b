// The worked example of docs/writing-plugins.md ("Calling an async job API"): the file the doc
// shows is the file this test loads as a local plugin and runs, interrupted mid-poll and resumed.
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { SpxError } from '../../src/index.js';
import { corePlugin, loadPipeline, openStore, runPipeline, type Store } from '../../src/engine.js';
import { startFakeShout, type FakeShout } from './fake-shout.js';

const EXAMPLE = fileURLToPath(new URL('../../../../docs/examples/shout-plugin.ts', import.meta.url));
const DOC = fileURLToPath(new URL('../../../../docs/writing-plugins.md', import.meta.url));

describe('docs example: an async-job plugin on the remote-job kit', () => {
  let dir: string;
  let store: Store;
  let fake: FakeShout;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-shout-'));
    store = await openStore({ url: `sqlite://${join(dir, 'state.sqlite')}` });
    fake = await startFakeShout({ steps: 3 });
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is shown in docs/writing-plugins.md exactly as it is in the repository', async () => {
    const doc = await readFile(DOC, 'utf8');
    const marker = '<!-- docs/examples/shout-plugin.ts -->\n```ts\n';
    const start = doc.indexOf(marker);
    expect(start, 'the doc marks where the example starts').to.be.greaterThan(-1);
    const shown = doc.slice(start + marker.length, doc.indexOf('\n```\n', start + marker.length) + 1);
    expect(shown).to.equal(await readFile(EXAMPLE, 'utf8'));
  });

  it('runs as a local plugin, resumes the same job after an interrupt and writes the result', async () => {
    const pipelineFile = join(dir, 'shout.yaml');
    await writeFile(pipelineFile, `spx: 1\nname: shout\nversion: 1.0.0\nplugins: ["${EXAMPLE}"]\ninputs:\n  text: { type: file }\nstages:\n  shout:\n    uses: shout/upper\n    with: { file: "\${{ inputs.text }}", pollIntervalMs: 5, maxPollIntervalMs: 20 }\n`);
    const input = join(dir, 'note.txt');
    await writeFile(input, 'resume me\n');
    const env = { SHOUT_API_KEY: fake.apiKey, SHOUT_BASE_URL: fake.baseURL };
    const run = async (signal?: AbortSignal) =>
      runPipeline({ pipeline: await loadPipeline(pipelineFile, { builtins: [corePlugin] }), inputs: { text: input }, store, workDir: join(dir, 'work'), outDir: join(dir, 'out'), env, ...(signal ? { signal } : {}) });

    const controller = new AbortController();
    fake.options.onRequest = (method, _path, f) => {
      if (method === 'GET' && f.counts.polls === 1) controller.abort(new SpxError('ABORTED', 'interrupted'));
    };
    const interrupted = await run(controller.signal).catch((error: unknown) => ({ status: 'thrown', error }));
    expect(interrupted.status).to.not.equal('completed');
    fake.options.onRequest = undefined;

    const summary = await run();
    expect(summary.status, summary.error?.message).to.equal('completed');
    expect(fake.counts).to.include({ uploads: 1, jobs: 1 });
    const shouted = summary.state.stages.shout!.outputs!.text as { path: string };
    expect(await readFile(shouted.path, 'utf8')).to.equal('RESUME ME\n');
  });
});
