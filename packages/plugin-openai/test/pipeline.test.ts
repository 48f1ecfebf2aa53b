// openai/transcribe under the core runner: preflight before any stage, a real SQLite store,
// stage reuse on rerun, and a resumed run after Ctrl-C that sends only the missing chunks.
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect } from 'chai';
import { type FileRef, type Transcript } from '@spx/core';
import { corePlugin, loadPipeline, openStore, runPipeline, type Store } from '@spx/core/engine';
import { startFakeOpenAI, type FakeOpenAI } from '@spx/plugin-openai/testing';
import { longSpeech, tempDir } from './helpers.js';

const packageJson = createRequire(import.meta.url).resolve('../package.json');
const KEY = 'sk-pipeline-SECRET-0d1e2f';

const PIPELINE = `
spx: 1
name: openai-only
version: 1.0.0
description: Transcribe with OpenAI in small chunks.
plugins: ["@spx/plugin-openai"]
inputs:
  audio: { type: file, description: Recording }
stages:
  transcribe:
    uses: openai/transcribe
    with: { audio: "\${{ inputs.audio }}", maxDuration: 6, concurrency: 1 }
`;

describe('openai/transcribe in a pipeline', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let audio: string;
  let pipelineFile: string;
  let fake: FakeOpenAI;
  let store: Store;
  let env: Record<string, string | undefined>;

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    audio = longSpeech(dir);
    pipelineFile = join(dir, 'pipeline.yaml');
    await writeFile(pipelineFile, PIPELINE);
  });
  after(() => cleanup());
  beforeEach(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
    store = await openStore({ url: `sqlite://${join(dir, `state-${Date.now()}.sqlite`)}` });
    env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '20', PATH: process.env.PATH };
  });
  afterEach(async () => {
    await store.close();
    await fake.close();
  });

  const run = async (signal?: AbortSignal) =>
    runPipeline({
      pipeline: await loadPipeline(pipelineFile, { builtins: [corePlugin], resolveFrom: [packageJson] }),
      inputs: { audio },
      store,
      workDir: join(dir, 'work'),
      outDir: join(dir, 'out'),
      env,
      ...(signal ? { signal } : {}),
    });

  it('fails in preflight with MISSING_API_KEY before anything is uploaded', async () => {
    env = { ...env, OPENAI_API_KEY: undefined };
    const error = await run().then(
      (summary) => summary.error,
      (e: unknown) => e,
    );
    expect(error).to.have.property('code', 'MISSING_API_KEY');
    expect(fake.requests).to.have.length(0);
  });

  it('resumes an interrupted run with only the missing chunks, then reuses the stage', async () => {
    const controller = new AbortController();
    // Ctrl-C while the third upload is in flight (its answer is held back).
    fake.setFaults({ fault: (info) => (info.attempt === 2 ? (controller.abort(), { type: 'slow', delayMs: 1000 }) : null) });
    const first = await run(controller.signal).catch((e: unknown) => ({ status: 'interrupted', error: e }));
    expect(first.status).to.equal('interrupted');
    expect(fake.successCount()).to.equal(2);
    fake.setFaults({ fault: null });

    const second = await run();
    expect(second.status, second.error?.message).to.equal('completed');
    const ref = second.state.stages.transcribe!.outputs.transcript as FileRef;
    const transcript = JSON.parse(await readFile(ref.path, 'utf8')) as Transcript;
    for (const c of transcript.chunks!) expect(fake.successesByHash().get(c.sha256!), `chunk ${c.index}`).to.equal(1);
    expect(second.saved.paidCalls).to.equal(2);

    const before = fake.requests.length;
    const third = await run();
    expect(third.reused).to.deep.equal(['transcribe']);
    expect(fake.requests.length).to.equal(before);
  });
});
