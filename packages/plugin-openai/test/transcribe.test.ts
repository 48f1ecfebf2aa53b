import { getEventListeners } from 'node:events';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { isSpxError, type Diarization, type FileRef, type Transcript } from '@spx/core';
import { openStore, type Store } from '@spx/core/engine';
import { runStageForTest } from '@spx/core/testing';
import plugin, { transcribeStage } from '@spx/plugin-openai';
import { faults, startFakeOpenAI, type FakeOpenAI } from '@spx/plugin-openai/testing';
import { durationOf, longSpeech, shortSpeech, tempDir } from './helpers.js';

const KEY = 'sk-test-SECRET-5f3a9c2e71';
/** The stage's environment (ctx.env): the key, fast retries, and PATH for ffmpeg. */
const env = { OPENAI_API_KEY: KEY, SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '20', SPX_RETRY_MAX_ATTEMPTS: '4', PATH: process.env.PATH };

describe('openai/transcribe', function () {
  let dir: string;
  let cleanup: () => Promise<void>;
  let shortWav: string;
  let longWav: string;
  let longDuration: number;
  let fake: FakeOpenAI | undefined;
  const stores: Store[] = [];

  before(async () => {
    ({ dir, cleanup } = await tempDir());
    shortWav = shortSpeech(dir);
    longWav = longSpeech(dir);
    longDuration = durationOf(longWav);
  });
  after(async () => {
    await cleanup();
  });
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
    while (stores.length) await stores.pop()!.close();
  });

  const start = async (options: Parameters<typeof startFakeOpenAI>[0] = {}) => (fake = await startFakeOpenAI({ apiKey: KEY, ...options }));
  const sqlite = async (name: string) => {
    const store = await openStore({ url: `sqlite://${join(dir, `${name}.sqlite`)}` });
    stores.push(store);
    return store;
  };
  const read = async (ref: unknown) => JSON.parse(await readFile((ref as FileRef).path, 'utf8')) as Transcript;
  const words = (t: Transcript) => t.segments.flatMap((s) => s.words ?? []);
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected the stage to fail');
      },
      (error: unknown) => {
        if (!isSpxError(error)) throw error;
        return error;
      },
    );

  it('transcribes a short file in one upload with word timestamps', async () => {
    await start();
    const { result, accounting } = await runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL } });
    const t = await read(result.outputs.transcript);
    expect(t).to.include({ format: 'spx-transcript', version: 1, engine: 'openai', model: 'whisper-1', timestamps: 'word', language: 'en' });
    expect(t.duration).to.be.closeTo(durationOf(shortWav), 0.01);
    expect(t.chunks).to.have.length(1);
    expect(fake!.requests).to.have.length(1);
    // The original WAV is accepted as it is, so it is uploaded unchanged.
    expect(fake!.requests[0]!.filename).to.equal('audio.wav');
    expect(t.chunks![0]!.sha256).to.equal(fake!.requests[0]!.sha256);
    expect(words(t).length).to.be.greaterThan(3);
    expect(words(t).at(-1)!.end).to.be.at.most(t.duration! + 0.001);
    expect(accounting.usage).to.be.closeTo(durationOf(shortWav) / 60, 0.001);
    expect(accounting.paidStepsRun).to.equal(1);
    expect(result.metadata).to.include({ model: 'whisper-1', mode: 'chunks', piecesSent: 1 });
  });

  it('splits a long file at silences into FLAC chunks and stitches monotonic, offset timestamps', async () => {
    await start();
    const controller = new AbortController();
    const { result } = await runStageForTest(transcribeStage, { env, params: { audio: longWav, baseURL: fake!.baseURL, maxDuration: 6, overlap: 0.5 }, signal: controller.signal });
    // Uploads and cuts listen on child signals, so nothing stays attached to the stage's signal.
    expect(getEventListeners(controller.signal, 'abort')).to.have.length(0);
    const t = await read(result.outputs.transcript);
    const chunks = t.chunks!;
    expect(chunks.length).to.be.within(4, 6);
    expect(chunks[0]!.start).to.equal(0);
    expect(chunks.at(-1)!.end).to.be.closeTo(longDuration, 0.01);
    for (const [i, c] of chunks.entries()) {
      expect(c.end - c.start).to.be.at.most(6.001);
      if (i > 0) expect(c.start).to.be.closeTo(chunks[i - 1]!.end - 0.5, 0.002);
    }
    // Every request was a 16 kHz mono FLAC of the chunk's length, one per chunk.
    expect(fake!.requests.map((r) => r.filename).sort()).to.deep.equal(chunks.map((c) => `chunk-${String(c.index).padStart(4, '0')}.flac`));
    for (const c of chunks) {
      const req = fake!.requests.find((r) => r.sha256 === c.sha256)!;
      expect(req.duration).to.be.closeTo(c.end - c.start, 0.02);
      expect(req.fileBytes).to.equal(c.bytes);
    }
    const all = words(t);
    for (let i = 1; i < all.length; i++) expect(all[i]!.start, `word ${i}`).to.be.at.least(all[i - 1]!.end - 1e-9);
    for (let i = 1; i < t.segments.length; i++) expect(t.segments[i]!.start).to.be.at.least(t.segments[i - 1]!.start);
    // Words of each chunk are shifted into that chunk's range.
    for (const segment of t.segments) {
      const chunk = chunks.find((c) => c.index === segment.chunk)!;
      for (const w of segment.words!) expect(w.start).to.be.within(chunk.start - 1e-9, chunk.end + 1e-9);
    }
    expect(all.at(-1)!.end).to.be.closeTo(longDuration, 0.3);
    // The overlap is counted once: the kept words are about what one pass over the audio gives.
    expect(all.length).to.be.closeTo(Math.round(longDuration * 2.5), chunks.length);
  });

  it('resumes after a failure mid-chunks without sending a finished chunk again', async () => {
    await start({ fault: (info) => (info.successes >= 2 ? faults.status(400, 'Scripted crash') : null) });
    const store = await sqlite('resume');
    const params = { audio: longWav, baseURL: fake!.baseURL, maxDuration: 6, concurrency: 1, overlap: 0 };
    const error = await failure(runStageForTest(transcribeStage, { env, params, store, dir: join(dir, 'resume') }));
    expect(error.code).to.equal('API_ERROR');
    expect(error.message).to.contain('chunk 3/');
    expect(fake!.successCount()).to.equal(2);
    fake!.setFaults({ fault: null });
    const second = await runStageForTest(transcribeStage, { env, params, store, dir: join(dir, 'resume') });
    const t = await read(second.result.outputs.transcript);
    const counts = fake!.successesByHash();
    expect(counts.size).to.equal(t.chunks!.length);
    for (const c of t.chunks!) expect(counts.get(c.sha256!), `chunk ${c.index}`).to.equal(1);
    expect(second.accounting.paidStepsReused).to.equal(2);
    expect(second.accounting.paidStepsRun).to.equal(t.chunks!.length - 2);
    expect(second.result.metadata).to.include({ piecesReused: 2 });
    // With concurrency 1 each upload is prompted with the end of the previous chunk's text,
    // also right after the resume (the previous text comes from the checkpoint).
    const third = fake!.requests.filter((r) => r.status === 200)[2]!;
    const secondText = t.segments.filter((s) => s.chunk === 1).map((s) => s.text).join(' ');
    const prompt = third.fields.prompt?.[0] ?? '';
    expect(prompt.split(' ').length).to.be.greaterThan(3);
    expect(secondText.endsWith(prompt)).to.equal(true);
  });

  it('resumes after Ctrl-C: aborts the in-flight request with ABORTED and reruns only the rest', async () => {
    const controller = new AbortController();
    // The third request arrives after two chunks are checkpointed; Ctrl-C lands while it is in flight.
    await start({ latencyMs: 300, fault: (info) => void (info.attempt === 2 && controller.abort()) });
    const store = await sqlite('abort');
    const params = { audio: longWav, baseURL: fake!.baseURL, maxDuration: 6, concurrency: 1 };
    const error = await failure(runStageForTest(transcribeStage, { env, params, store, signal: controller.signal }));
    expect(error.code).to.equal('ABORTED');
    expect(fake!.successCount()).to.equal(2);
    fake!.setFaults({ fault: null });
    const second = await runStageForTest(transcribeStage, { env, params, store });
    const t = await read(second.result.outputs.transcript);
    for (const c of t.chunks!) expect(fake!.successesByHash().get(c.sha256!), `chunk ${c.index}`).to.equal(1);
    expect(second.accounting.paidStepsReused).to.equal(2);
    expect(second.accounting.paidStepsRun).to.equal(t.chunks!.length - 2);
  });

  it('retries 429 honouring retry-after, 5xx sequences and connection resets', async () => {
    await start({ script: [faults.rateLimit(1), faults.serverError(500), faults.serverError(502), faults.reset()] });
    const { result, events } = await runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL, maxAttempts: 5 } });
    expect((await read(result.outputs.transcript)).segments.length).to.be.greaterThan(0);
    expect(fake!.requests.map((r) => r.status)).to.deep.equal([429, 500, 502, 0, 200]);
    const retries = events.filter((e) => e.type === 'stage-log' && e.message.includes('retry')).map((e) => (e as { message: string }).message);
    expect(retries).to.have.length(4);
    expect(retries[0]).to.contain('HTTP 429').and.contain('in 1000 ms');
  });

  it('gives up after the configured attempts with API_ERROR on persistent 503', async () => {
    await start({ fault: () => faults.serverError(503) });
    const error = await failure(runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL, maxAttempts: 3 } }));
    expect(error.code).to.equal('API_ERROR');
    expect(error.retryable).to.equal(true);
    expect(fake!.requests).to.have.length(3);
  });

  it('times out a slow answer per attempt and retries it', async () => {
    await start({ script: [faults.slow(3000)] });
    const { result } = await runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL, timeoutMs: 1000 } });
    expect(result.metadata).to.include({ piecesSent: 1 });
    expect(fake!.requests.map((r) => r.fault ?? 'ok')).to.deep.equal(['slow', 'ok']);
  });

  it('fails without retrying on a rejected key, naming the variable and never the key', async () => {
    await start({ apiKey: 'sk-the-right-one' });
    const error = await failure(runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL } }));
    expect(error.code).to.equal('API_KEY_REJECTED');
    expect(error.message).to.contain('OPENAI_API_KEY was rejected');
    expect(JSON.stringify(error.toJSON()) + String(error.stack)).not.to.contain(KEY);
    expect(fake!.requests).to.have.length(1);
  });

  it('says which model does not exist (404) and refuses oversized uploads (413) without retrying', async () => {
    await start();
    const missing = await failure(runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL, model: 'whisper-9' } }));
    expect(missing.code).to.equal('MODEL_UNAVAILABLE');
    expect(missing.exitCode).to.equal(2);
    expect(missing.message).to.contain('"whisper-9" is not available');
    expect(missing.hint).to.contain('gpt-transcribe').and.contain('pyannote-stt').and.contain('deepgram');
    await fake!.close();
    await start({ maxBodyBytes: 20_000 });
    const large = await failure(runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL } }));
    expect(large.pluginCode).to.equal('FILE_TOO_LARGE');
    expect(large.message).to.contain('too large');
    expect(large.hint).to.contain('maxDuration');
    expect(fake!.requests).to.have.length(1);
  });

  it('after the shutdown, names the retirement, the replacement model and the pipelines with word timings', async () => {
    await start({ retiredModels: ['whisper-1'] });
    const retired = await failure(runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL, model: 'whisper-1' } }));
    expect(retired.code).to.equal('MODEL_UNAVAILABLE');
    expect(retired.message).to.contain('retires whisper-1').and.contain('2027-02-26').and.contain('no longer available');
    expect(retired.hint).to.contain('model: gpt-transcribe').and.contain('standard-turns').and.contain('pyannote-stt, deepgram, local');
    expect(fake!.requests).to.have.length(1);
  });

  it('does not retry 403 and reports it as API_KEY_REJECTED naming the model', async () => {
    await start({ script: [faults.status(403, 'You do not have access to this model.')] });
    const error = await failure(runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL, model: 'gpt-4o-transcribe' } }));
    expect(error.code).to.equal('API_KEY_REJECTED');
    expect(error.message).to.contain('"gpt-4o-transcribe"');
    expect(fake!.requests).to.have.length(1);
  });

  it('reports a malformed JSON answer as API_BAD_RESPONSE', async () => {
    await start({ script: [faults.malformed()] });
    const error = await failure(runStageForTest(transcribeStage, { env, params: { audio: shortWav, baseURL: fake!.baseURL } }));
    expect(error.code).to.equal('API_BAD_RESPONSE');
  });

  it('records text-only models as timestamps none, with abutting chunks', async () => {
    await start();
    const { result } = await runStageForTest(transcribeStage, { env, params: { audio: longWav, baseURL: fake!.baseURL, model: 'gpt-4o-mini-transcribe', maxDuration: 8 } });
    const t = await read(result.outputs.transcript);
    expect(t.timestamps).to.equal('none');
    expect(words(t)).to.have.length(0);
    for (const [i, c] of t.chunks!.entries()) if (i > 0) expect(c.start).to.equal(t.chunks![i - 1]!.end);
    expect(t.segments.map((s) => [s.start, s.end])).to.deep.equal(t.chunks!.map((c) => [c.start, c.end]));
    expect(fake!.requests.every((r) => r.fields.response_format?.[0] === 'json')).to.equal(true);
  });

  it('sends only the pipeline prompt when chunks run concurrently, and none to the diarizing model', async () => {
    await start();
    await runStageForTest(transcribeStage, { env, params: { audio: longWav, baseURL: fake!.baseURL, maxDuration: 8, concurrency: 3, prompt: 'Glossary: spx.' } });
    const whisper = fake!.requests.filter((r) => r.model === 'whisper-1');
    expect(whisper.length).to.be.greaterThan(2);
    expect(whisper.map((r) => r.fields.prompt)).to.deep.equal(whisper.map(() => ['Glossary: spx.']));
    const { result } = await runStageForTest(transcribeStage, { env, params: { audio: longWav, baseURL: fake!.baseURL, maxDuration: 8, model: 'gpt-4o-transcribe-diarize', prompt: 'ignored' } });
    const diarized = fake!.requests.filter((r) => r.model === 'gpt-4o-transcribe-diarize');
    expect(diarized.every((r) => r.status === 200 && !r.fields.prompt && r.fields.chunking_strategy?.[0] === 'auto' && r.fields.response_format?.[0] === 'diarized_json')).to.equal(true);
    const t = await read(result.outputs.transcript);
    expect(t.timestamps).to.equal('segment');
    // Labels are per upload, so they carry their chunk.
    expect(new Set(t.segments.map((s) => s.speaker))).to.include('c0-A').and.include('c1-A');
  });

  it('passes unknown model names through and honours OPENAI_BASE_URL', async () => {
    await start({ models: ['gpt-transcribe-2027'] });
    const { result } = await runStageForTest(transcribeStage, { env: { ...env, OPENAI_BASE_URL: fake!.baseURL }, params: { audio: shortWav, model: 'gpt-transcribe-2027', language: 'de', temperature: 0.2 } });
    expect((await read(result.outputs.transcript)).timestamps).to.equal('none');
    expect(fake!.requests[0]!.fields).to.deep.include({ model: ['gpt-transcribe-2027'], language: ['de'], temperature: ['0.2'], response_format: ['json'] });
  });

  it('transcribes per speaker turn group in turn mode, carrying speaker and turn times', async () => {
    await start();
    const turns: Diarization = {
      format: 'spx-diarization',
      version: 1,
      engine: 'test',
      speakers: ['S1', 'S2'],
      turns: [
        { speaker: 'S1', start: 0.1, end: 3.3 },
        { speaker: 'S2', start: 4.2, end: 7.4 },
        { speaker: 'S2', start: 7.5, end: 7.8 },
        { speaker: 'S1', start: 8.0, end: 8.3 },
        { speaker: 'S1', start: 8.5, end: 11.5 },
        { speaker: 'S2', start: 12.3, end: 15.6 },
      ],
    };
    const turnsFile = join(dir, 'turns.json');
    await writeFile(turnsFile, JSON.stringify(turns));
    const { result } = await runStageForTest(transcribeStage, { env, params: { audio: longWav, baseURL: fake!.baseURL, model: 'gpt-4o-transcribe', turns: turnsFile } });
    const t = await read(result.outputs.transcript);
    expect(result.metadata).to.include({ mode: 'turns', pieces: 4 });
    expect(t.timestamps).to.equal('segment');
    expect(t.segments.map((s) => [s.speaker, s.start, s.end])).to.deep.equal([
      ['S1', 0.1, 3.3],
      ['S2', 4.2, 7.8],
      ['S1', 8.0, 11.5],
      ['S2', 12.3, 15.6],
    ]);
    expect(t.segments.every((s) => s.text.length > 0)).to.equal(true);
  });

  it('refuses a turns file that is not a valid Diarization, naming the file and the field, before any upload', async () => {
    await start();
    const turnsFile = join(dir, 'turns-bad.json');
    await writeFile(turnsFile, JSON.stringify({ format: 'spx-diarization', version: 1, engine: 'test', speakers: ['A'], turns: [{ speaker: 'A', start: 0, end: 1 }, { speaker: 'A', start: 2, end: '3' }] }));
    const error = await failure(runStageForTest(transcribeStage, { env, params: { audio: longWav, baseURL: fake!.baseURL, turns: turnsFile } }));
    expect(error.code).to.equal('INPUT_INVALID');
    expect(error.message).to.contain(turnsFile).and.contain('/turns/1/end');
    expect(fake!.requests).to.have.length(0);
  });

  it('clips whisper words to the turn group in turn mode and labels them with the speaker', async () => {
    await start();
    const turnsFile = join(dir, 'turns-w.json');
    await writeFile(turnsFile, JSON.stringify({ format: 'spx-diarization', version: 1, engine: 'test', speakers: ['A', 'B'], turns: [{ speaker: 'A', start: 0, end: 3.4 }, { speaker: 'B', start: 4.2, end: 7.4 }] }));
    const { result } = await runStageForTest(transcribeStage, { env, params: { audio: longWav, baseURL: fake!.baseURL, turns: turnsFile } });
    const t = await read(result.outputs.transcript);
    expect(t.timestamps).to.equal('word');
    for (const w of words(t)) {
      expect(w.speaker).to.be.oneOf(['A', 'B']);
      const [lo, hi] = w.speaker === 'A' ? [0, 3.4] : [4.2, 7.4];
      expect((w.start + w.end) / 2).to.be.within(lo, hi);
    }
  });

  it('keeps the key out of the SQLite store, artifacts and outputs', async () => {
    await start();
    const store = await sqlite('secret');
    const runDir = join(dir, 'secret-run');
    const { result } = await runStageForTest(transcribeStage, { env, params: { audio: longWav, baseURL: fake!.baseURL, maxDuration: 8 }, store, dir: runDir });
    await store.close();
    stores.pop();
    const files = [join(dir, 'secret.sqlite'), ...(await listFiles(runDir))];
    expect(files.length).to.be.greaterThan(1);
    for (const file of files) expect((await readFile(file)).includes(KEY), file).to.equal(false);
    expect(JSON.stringify(result)).not.to.contain(KEY);
  });

  it('fails preflight with MISSING_API_KEY when the key is not set', async () => {
    const run = () => transcribeStage.preflight!({ stageId: 'tr', params: { audio: 'x.wav' } as never, env: {} });
    expect(run).to.throw().with.property('code', 'MISSING_API_KEY');
    expect(() => transcribeStage.preflight!({ stageId: 'tr', params: { audio: 'x.wav' } as never, env: { OPENAI_API_KEY: 'k' } })).not.to.throw();
    expect(() => transcribeStage.preflight!({ stageId: 'tr', params: { audio: 'x.wav', mode: 'turns' } as never, env: { OPENAI_API_KEY: 'k' } })).to.throw().with.property('code', 'PARAMS_INVALID');
  });

  it('is registered as openai/transcribe with audio-minute pricing', () => {
    expect(plugin.stages['openai/transcribe']).to.equal(transcribeStage);
    expect(transcribeStage.pricing).to.deep.equal({ unit: 'audio minute', usd: 0.006 });
  });
});

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
