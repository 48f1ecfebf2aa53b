// The fake ElevenLabs server keeps to the API contract the client is written against.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { startFakeElevenLabs, type FakeElevenLabs } from '../src/testing/index.js';

const SAMPLE = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));

describe('fake ElevenLabs server', () => {
  let fake: FakeElevenLabs;
  afterEach(() => fake?.close());

  const post = async (fields: Record<string, string>, file = true, key = fake.apiKey) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (file) form.append('file', new Blob([await readFile(SAMPLE)], { type: 'audio/wav' }), 'meeting.wav');
    const response = await fetch(`${fake.baseURL}/v1/speech-to-text`, { method: 'POST', headers: { 'xi-api-key': key }, body: form });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it('answers a wrong key 401 and a missing model_id 422 in their shapes', async () => {
    fake = await startFakeElevenLabs();
    const denied = await post({ model_id: 'scribe_v2' }, true, 'nope');
    expect(denied.status).to.equal(401);
    expect(denied.json.detail).to.include({ code: 'invalid_api_key', status: 'invalid_api_key' });
    expect((await post({})).json).to.deep.equal({ detail: [{ loc: ['body', 'model_id'], msg: 'Field required', type: 'missing' }] });
    expect((await post({ model_id: 'scribe_v2' }, false)).status).to.equal(422);
    expect((await post({ model_id: 'scribe_v1', keyterms: 'spx' })).status).to.equal(400);
    expect((await post({ model_id: 'scribe_v2', diarize: 'true', num_speakers: '2', diarization_threshold: '0.3' })).status).to.equal(422);
    expect(fake.counts.transcriptions).to.equal(0);
  });

  it('answers word, spacing and audio_event tokens in float seconds, and keeps the transcript by id', async () => {
    fake = await startFakeElevenLabs();
    const { status, json } = await post({ model_id: 'scribe_v2', diarize: 'true' });
    expect(status).to.equal(200);
    const words = json.words as Array<{ type: string; start: number; logprob: number; speaker_id: string }>;
    expect(new Set(words.map((w) => w.type))).to.deep.equal(new Set(['word', 'spacing', 'audio_event']));
    expect(words.every((w) => w.logprob <= 0 && /^speaker_\d+$/.test(w.speaker_id))).to.equal(true);
    expect(Number.isInteger(words[0]!.start)).to.equal(false);
    const stored = await fetch(`${fake.baseURL}/v1/speech-to-text/transcripts/${json.transcription_id as string}`, { headers: { 'xi-api-key': fake.apiKey } });
    expect(stored.status).to.equal(200);
  });
});
