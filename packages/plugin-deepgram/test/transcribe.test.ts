// deepgram/transcribe against the fake server: word timings and speakers from one request, chunks
// stitched at their offsets with speakers linked through the overlaps, resume without paying a
// finished chunk again, and every API fault the client must survive or report.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { isSpxError, type Transcript, type Diarization } from '@spx/core';
import { openStore } from '@spx/core/engine';
import { runStageForTest } from '@spx/core/testing';
import type { Chunk } from '@spx/plugin-ffmpeg';
import { transcribeStage } from '../src/index.js';
import { startFakeDeepgram, type FakeDeepgram, type FakeDeepgramOptions } from '../src/testing/index.js';
import { SAMPLE, envFor, sampleChunks } from './helpers.js';

const readJson = async <T>(ref: unknown) => JSON.parse(await readFile((ref as { path: string }).path, 'utf8')) as T;
/** Start (rounded) and speaker of each change of speaker. */
const turnsOf = (t: Transcript) => t.segments.filter((s, i) => i === 0 || s.speaker !== t.segments[i - 1]!.speaker).map((s) => [Math.round(s.start), s.speaker]);

describe('deepgram/transcribe', () => {
  let dir: string;
  let chunks: Chunk[];
  let fake: FakeDeepgram | undefined;
  const start = async (options: FakeDeepgramOptions = {}) => {
    fake = await startFakeDeepgram(options);
    return fake;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-deepgram-'));
    chunks = await sampleChunks(join(dir, 'chunks'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('transcribes one file with word timings, confidence and SPEAKER_nn speakers, and its turns', async () => {
    const server = await start();
    const { result, accounting } = await runStageForTest(transcribeStage, { params: { audio: SAMPLE }, env: envFor(server) });
    const transcript = await readJson<Transcript>(result.outputs.transcript);
    expect(transcript).to.deep.include({ engine: 'deepgram', model: 'nova-3', timestamps: 'word', language: 'en' });
    expect(turnsOf(transcript)).to.deep.equal([[1, 'SPEAKER_00'], [5, 'SPEAKER_01'], [11, 'SPEAKER_00'], [15, 'SPEAKER_01'], [21, 'SPEAKER_00'], [25, 'SPEAKER_01'], [30, 'SPEAKER_00']]);
    const words = transcript.segments.flatMap((s) => s.words ?? []);
    expect(words.length).to.be.greaterThan(50);
    expect(words.every((w) => w.confidence !== undefined && w.confidence <= 1 && w.speaker?.startsWith('SPEAKER_'))).to.equal(true);
    expect(words[0]!.text).to.match(/^[A-Z]/);
    const diarization = await readJson<Diarization>(result.outputs.diarization);
    expect(diarization.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
    expect(diarization.turns.filter((turn, i) => i === 0 || turn.speaker !== diarization.turns[i - 1]!.speaker)).to.have.length(7);
    expect(server.requests[0]!.query).to.deep.include({ model: ['nova-3'], diarize_model: ['latest'], utterances: ['true'], smart_format: ['true'] });
    expect(accounting.paidStepsRun).to.equal(1);
  });

  it('stitches chunks at their offsets and links their per-request speakers through the overlaps', async () => {
    expect(chunks.length).to.be.greaterThan(2);
    const server = await start();
    const { result } = await runStageForTest(transcribeStage, { params: { chunks }, env: envFor(server) });
    const transcript = await readJson<Transcript>(result.outputs.transcript);
    // The same two voices as in one request, although chunk 2 hears the second voice first.
    expect(turnsOf(transcript)).to.deep.equal([[1, 'SPEAKER_00'], [5, 'SPEAKER_01'], [11, 'SPEAKER_00'], [15, 'SPEAKER_01'], [21, 'SPEAKER_00'], [25, 'SPEAKER_01'], [30, 'SPEAKER_00']]);
    const words = transcript.segments.flatMap((s) => s.words ?? []);
    words.forEach((w, i) => expect(i === 0 || w.start >= words[i - 1]!.end, `word ${i} starts before the previous ends`).to.equal(true));
    expect(words.at(-1)!.end).to.be.within(30, 33.4);
    expect(transcript.chunks!.map((c) => c.index)).to.deep.equal(chunks.map((c) => c.index));
    expect(server.requests).to.have.length(chunks.length);
  });

  it('resumes after a failed chunk without sending a finished one again', async () => {
    const server = await start({ script: [null, { type: 'status', status: 400 }] });
    const store = await openStore({ url: 'memory://' });
    try {
      const failed = await runStageForTest(transcribeStage, { params: { chunks, concurrency: 1 }, env: envFor(server), store }).catch((e: unknown) => e);
      expect(isSpxError(failed) && failed.code).to.equal('API_ERROR');
      const again = await runStageForTest(transcribeStage, { params: { chunks, concurrency: 1 }, env: envFor(server), store });
      expect(again.accounting.paidStepsRun).to.equal(chunks.length - 1);
      expect([...server.successesByHash().values()].every((n) => n === 1)).to.equal(true);
      expect(server.successCount()).to.equal(chunks.length);
    } finally {
      await store.close();
    }
  });

  it('retries 429 with Retry-After, 503, a 502 page and a reset, then succeeds', async () => {
    const server = await start({ script: [{ type: 'rate-limit', retryAfter: 0 }, { type: 'server-error', status: 503 }, { type: 'server-error', status: 502 }, { type: 'reset' }] });
    const { result } = await runStageForTest(transcribeStage, { params: { audio: SAMPLE }, env: envFor(server) });
    expect(turnsOf(await readJson<Transcript>(result.outputs.transcript))).to.have.length(7);
    expect(server.requests.map((r) => r.status)).to.deep.equal([429, 503, 502, -1, 200]);
  });

  it('reports a malformed answer as API_BAD_RESPONSE and a rejected key as API_KEY_REJECTED naming the variable, never the key', async () => {
    const server = await start({ script: [{ type: 'malformed' }], echoKey: true });
    const malformed = await runStageForTest(transcribeStage, { params: { audio: SAMPLE }, env: envFor(server) }).catch((e: unknown) => e);
    expect(isSpxError(malformed) && malformed.code).to.equal('API_BAD_RESPONSE');
    const secret = 'dg-wrong-SECRET-91c2';
    const rejected = await runStageForTest(transcribeStage, { params: { audio: SAMPLE }, env: envFor(server, { DEEPGRAM_API_KEY: secret }) }).catch((e: unknown) => e);
    expect(isSpxError(rejected) && rejected.code).to.equal('API_KEY_REJECTED');
    expect((rejected as Error).message).to.contain('DEEPGRAM_API_KEY').and.contain('Invalid credentials').and.not.contain(secret);
    expect(server.requests.filter((r) => !r.authorized)).to.have.length(1);
  });

  it('refuses audio over the limits before sending anything, and does not retry a 504 past the processing cap', async () => {
    const server = await start({ maxAudioSeconds: 10 });
    const long = await runStageForTest(transcribeStage, { params: { audio: SAMPLE, maxDuration: 20 }, env: envFor(server) }).catch((e: unknown) => e);
    expect(isSpxError(long) && long.code).to.equal('INPUT_INVALID');
    expect((long as Error).message).to.contain('maxDuration 20');
    expect(server.requests).to.have.length(0);
    const capped = await runStageForTest(transcribeStage, { params: { audio: SAMPLE }, env: envFor(server) }).catch((e: unknown) => e);
    expect(isSpxError(capped) && capped.code).to.equal('API_TIMEOUT');
    expect((capped as Error & { hint?: string }).hint).to.contain('ffmpeg/chunk');
    expect(server.requests.map((r) => r.status)).to.deep.equal([504]);
  });

  it('names the over-size upload the service refuses (413)', async () => {
    const server = await start({ maxBodyBytes: 100_000 });
    const error = await runStageForTest(transcribeStage, { params: { audio: SAMPLE }, env: envFor(server) }).catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('API_ERROR');
    expect((error as Error).message).to.contain('413').and.contain('Payload size exceeds');
  });
});
