import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { isSpxError } from '@spx/core';
import { builtinAdapters, turnsFromSegments, whisperDiarization, whisperDiarizationOutput, whisperx, whisperxOutput } from '../src/index.js';
import { fakeWhisperDiarizationOutput, fakeWhisperxOutput } from '../src/testing/index.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const info = (engine: string, diarized = true) => ({ engine, model: 'owner/model:abc', duration: 7, diarized });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isSpxError(error) ? String(error.code) : 'not-spx';
  }
  return undefined;
}

describe('adapters/whisper-diarization', () => {
  const result = whisperDiarizationOutput(fixture('whisper-diarization.json'), info('replicate/whisper-diarization'));

  it('maps segments with trimmed text, speakers and word timestamps', () => {
    const { transcript } = result;
    expect(transcript).to.include({ format: 'spx-transcript', version: 1, engine: 'replicate/whisper-diarization', model: 'owner/model:abc', language: 'en', timestamps: 'word', duration: 7 });
    expect(transcript.segments).to.have.length(3);
    expect(transcript.segments[0]).to.include({ start: 0, end: 4.12, text: 'Hi, thanks for calling.', speaker: 'SPEAKER_00' });
    expect(transcript.segments[1]!.text).to.equal('No problem.');
    expect(transcript.segments[0]!.words![0]).to.deep.equal({ text: 'Hi,', start: 0, end: 0.32, confidence: 0.98, speaker: 'SPEAKER_00' });
  });

  it('drops the UNKNOWN label instead of inventing a speaker', () => {
    const last = result.transcript.segments[2]!;
    expect(last.speaker).to.equal(undefined);
    expect(last.words![0]!.speaker).to.equal(undefined);
    expect(result.diarization!.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
  });

  it('builds exclusive speaker turns from the labelled words', () => {
    const d = result.diarization!;
    expect(d).to.include({ format: 'spx-diarization', version: 1, engine: 'replicate/whisper-diarization' });
    expect(d.turns).to.deep.equal([
      { speaker: 'SPEAKER_00', start: 0, end: 4.12 },
      { speaker: 'SPEAKER_01', start: 4.5, end: 6 },
    ]);
    expect(d.exclusiveTurns).to.deep.equal(d.turns);
  });

  it('builds the model input with the file field and optional settings', () => {
    expect(whisperDiarization.input('data:audio/wav;base64,AA==', { speakers: 2, language: 'en', prompt: 'Acme' }, {})).to.deep.equal({
      file: 'data:audio/wav;base64,AA==',
      num_speakers: 2,
      language: 'en',
      prompt: 'Acme',
    });
    expect(whisperDiarization.diarizes({})).to.equal(true);
  });

  it('rejects an output it cannot read with API_BAD_RESPONSE', () => {
    expect(codeOf(() => whisperDiarizationOutput(null, info('e')))).to.equal('API_BAD_RESPONSE');
    expect(codeOf(() => whisperDiarizationOutput({ segments: 'x' }, info('e')))).to.equal('API_BAD_RESPONSE');
    expect(codeOf(() => whisperDiarizationOutput({ segments: [{ text: 'no times' }] }, info('e')))).to.equal('API_BAD_RESPONSE');
  });
});

describe('adapters/whisperx', () => {
  it('maps aligned words and places an unaligned digit between its neighbours', () => {
    const { transcript, diarization } = whisperxOutput(fixture('whisperx-aligned.json'), info('replicate/whisperx'));
    expect(transcript).to.include({ language: 'en', timestamps: 'word' });
    expect(transcript.segments[0]).to.include({ text: 'Hi, thanks for calling.', speaker: 'SPEAKER_00', start: 0.031 });
    const words = transcript.segments[1]!.words!;
    expect(words.map((w) => w.text)).to.deep.equal(['It', 'is', '42', 'now.']);
    expect(words[2]).to.deep.equal({ text: '42', start: 4.9, end: 6 });
    expect(words[0]).to.include({ confidence: 0.8, speaker: 'SPEAKER_01' });
    // The second segment has no speaker of its own but its words do: turns come from the words.
    expect(transcript.segments[1]!.speaker).to.equal(undefined);
    expect(diarization!.turns).to.deep.equal([
      { speaker: 'SPEAKER_00', start: 0.031, end: 1.6 },
      { speaker: 'SPEAKER_01', start: 4.5, end: 4.9 },
      { speaker: 'SPEAKER_01', start: 6, end: 6.5 },
    ]);
  });

  it('keeps segment timestamps only when the output is not aligned, and no diarization unless asked', () => {
    const result = whisperxOutput(fixture('whisperx-plain.json'), info('replicate/whisperx', false));
    expect(result.transcript).to.include({ language: 'de', timestamps: 'segment' });
    expect(result.transcript.segments.map((s) => s.text)).to.deep.equal(['Hallo, danke für Ihren Anruf.', 'Gern geschehen.']);
    expect(result.transcript.segments[0]!.words).to.equal(undefined);
    expect(result.diarization).to.equal(undefined);
  });

  it('asks for alignment always and for diarization only with diarize, passing HF_TOKEN', () => {
    expect(whisperx.input('https://x/a.wav', { language: 'en' }, { HF_TOKEN: 'hf_secret' })).to.deep.equal({ audio_file: 'https://x/a.wav', align_output: true, language: 'en' });
    expect(whisperx.input('https://x/a.wav', { diarize: true, speakers: 3 }, { HF_TOKEN: 'hf_secret' })).to.deep.equal({
      audio_file: 'https://x/a.wav',
      align_output: true,
      diarization: true,
      huggingface_access_token: 'hf_secret',
      min_speakers: 3,
      max_speakers: 3,
    });
    expect(whisperx.requiredEnv!({ diarize: true })).to.deep.equal(['HF_TOKEN']);
    expect(whisperx.requiredEnv!({})).to.deep.equal([]);
  });

  it('rejects an output it cannot read with API_BAD_RESPONSE', () => {
    expect(codeOf(() => whisperxOutput('text', info('e')))).to.equal('API_BAD_RESPONSE');
    expect(codeOf(() => whisperxOutput({ detected_language: 'en' }, info('e')))).to.equal('API_BAD_RESPONSE');
  });
});

describe('adapters (shared)', () => {
  it('registers both built-in adapters by name', () => {
    expect(Object.keys(builtinAdapters).sort()).to.deep.equal(['whisper-diarization', 'whisperx']);
  });

  it('merges same-speaker pieces closer than the join gap into one turn', () => {
    const turns = turnsFromSegments([
      { start: 0, end: 1, text: 'a', speaker: 'A' },
      { start: 1.2, end: 2, text: 'b', speaker: 'A' },
      { start: 3, end: 4, text: 'c', speaker: 'A' },
      { start: 4, end: 5, text: 'd', speaker: 'B' },
    ]);
    expect(turns).to.deep.equal([
      { speaker: 'A', start: 0, end: 2 },
      { speaker: 'A', start: 3, end: 4 },
      { speaker: 'B', start: 4, end: 5 },
    ]);
  });

  it('reads the fake server outputs of both models', () => {
    const wd = whisperDiarizationOutput(fakeWhisperDiarizationOutput(9.5, { speakers: 3 }), info('replicate/whisper-diarization'));
    expect(wd.diarization!.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01', 'SPEAKER_02']);
    expect(wd.transcript.segments.at(-1)!.end).to.be.at.most(9.5);
    const wx = whisperxOutput(fakeWhisperxOutput(9.5, { align: true, diarization: true }), info('replicate/whisperx'));
    expect(wx.transcript.timestamps).to.equal('word');
    expect(wx.transcript.segments.flatMap((s) => s.words ?? []).every((w) => w.end >= w.start)).to.equal(true);
  });
});
