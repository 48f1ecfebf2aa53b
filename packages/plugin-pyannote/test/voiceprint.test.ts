import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Store } from '@spx/core/engine';
import { runStageForTest } from '@spx/core/testing';
import { voiceprintStage, type VoiceprintFile } from '../src/index.js';
import { startFakePyannote, type FakePyannote } from '../src/testing/index.js';
import { FAST, makeVoices, rejection, removeDir, sqliteStore, tempDir, fakeEnv, type Env, type Voices } from './helpers.js';

describe('pyannote/voiceprint', () => {
  let voices: Voices;
  let fake: FakePyannote;
  let env: Env;
  let dir: string;
  let store: Store;

  before(async () => {
    voices = await makeVoices();
  });
  after(async () => {
    await removeDir(voices?.dir);
  });
  afterEach(async () => {
    await store?.close();
    await fake?.close();
    await removeDir(dir);
  });

  async function setup(options: Parameters<typeof startFakePyannote>[0] = {}): Promise<void> {
    fake = await startFakePyannote(options);
    env = fakeEnv(fake);
    dir = await tempDir();
    store = await sqliteStore(dir);
  }

  const run = (params: Record<string, unknown>, runId = 'run-1') => runStageForTest(voiceprintStage, { params: { ...FAST, ...params }, store, dir, env, runId });

  it('writes a voiceprint file labelled with the sample name', async () => {
    await setup();
    const { result, accounting } = await run({ sample: voices.alice });
    const file = JSON.parse(await readFile(result.outputs.voiceprint.path, 'utf8')) as VoiceprintFile;
    expect(file).to.include({ format: 'spx-voiceprint', label: 'alice', model: 'precision-2' });
    expect(Buffer.from(file.voiceprint, 'base64').toString()).to.match(/^spx-fake-voiceprint:[0-9a-f]{64}:/);
    expect(result.outputs).to.include({ label: 'alice', cached: false });
    expect(fake.counts).to.include({ uploads: 1, voiceprints: 1, jobsCreated: 1 });
    expect(accounting.paidStepsRun).to.equal(1);
    expect(accounting.usage).to.be.greaterThan(0);
  });

  it('reuses the cached voiceprint in another run: no upload, no job', async () => {
    await setup();
    const first = await run({ sample: voices.alice, label: 'Alice' }, 'run-1');
    const requests = fake.counts.requests;
    const second = await run({ sample: voices.alice, label: 'Alice' }, 'run-2');
    expect(fake.counts.requests).to.equal(requests);
    expect(fake.counts.voiceprints).to.equal(1);
    expect(second.result.outputs.cached).to.equal(true);
    expect(second.accounting.paidStepsReused).to.equal(1);
    expect(second.accounting.usage).to.equal(0);
    const a = JSON.parse(await readFile(first.result.outputs.voiceprint.path, 'utf8')) as VoiceprintFile;
    const b = JSON.parse(await readFile(second.result.outputs.voiceprint.path, 'utf8')) as VoiceprintFile;
    expect(b.voiceprint).to.equal(a.voiceprint);
  });

  it('makes a new voiceprint for a different sample', async () => {
    await setup();
    await run({ sample: voices.alice });
    await run({ sample: voices.bob });
    expect(fake.counts.voiceprints).to.equal(2);
  });

  it('reports a sample the API refuses as API_JOB_FAILED', async () => {
    await setup({ voiceprintMaxSeconds: 1 });
    const error = await rejection(() => run({ sample: voices.dialog }));
    expect(error.code).to.equal('API_JOB_FAILED');
    expect(error.message).to.contain('at most 1 s');
  });

  it('refuses a label the API reserves before any request', async () => {
    await setup();
    const bySchema = await rejection(() => run({ sample: voices.alice, label: 'SPEAKER_01' }));
    expect(bySchema.code).to.equal('PARAMS_INVALID');
    const fromName = join(dir, 'speaker_3.wav');
    await copyFile(voices.alice, fromName);
    const byName = await rejection(() => run({ sample: fromName }));
    expect(byName.code).to.equal('PARAMS_INVALID');
    expect(byName.message).to.contain('speaker_3');
    expect(fake.counts.requests).to.equal(0);
  });

  it('reports a missing sample as INPUT_MISSING before any request', async () => {
    await setup();
    const error = await rejection(() => run({ sample: `${voices.dir}/nobody.wav` }));
    expect(error.code).to.equal('INPUT_MISSING');
    expect(fake.counts.requests).to.equal(0);
  });
});
