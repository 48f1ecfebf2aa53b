import { expect } from 'chai';
import { isSpxError } from '@spx/core';
import { transcriptFromResult, type ApiTranscript } from '../src/index.js';

const word = (text: string, start: number, end: number, speaker: string) => ({ text, start, end, confidence: 0.9, speaker });

describe('AssemblyAI answer → canonical transcript', () => {
  it('turns ms into seconds and names speakers SPEAKER_nn in order of first appearance', () => {
    const result: ApiTranscript = {
      id: 't1',
      status: 'completed',
      words: [word('Hi.', 1200, 1500, 'B'), word('Hello.', 2250, 2600, 'A')],
      utterances: [
        { speaker: 'B', start: 1200, end: 1500, text: 'Hi.', words: [word('Hi.', 1200, 1500, 'B')] },
        { speaker: 'A', start: 2250, end: 2600, text: 'Hello.', words: [word('Hello.', 2250, 2600, 'A')] },
      ],
      audio_duration: 3,
      speech_model_used: 'universal-2',
    };
    const transcript = transcriptFromResult(result, { requestedModels: ['universal-3-5-pro', 'universal-2'] });
    expect(transcript.segments.map((s) => [s.speaker, s.start, s.end])).to.deep.equal([
      ['SPEAKER_00', 1.2, 1.5],
      ['SPEAKER_01', 2.25, 2.6],
    ]);
    expect(transcript.segments[1]!.words![0]).to.deep.equal({ text: 'Hello.', start: 2.25, end: 2.6, confidence: 0.9, speaker: 'SPEAKER_01' });
    expect(transcript).to.include({ model: 'universal-2', duration: 3, timestamps: 'word' });
  });

  it('groups words into speaker turns when there are no utterances, and refuses words without times', () => {
    const words = [word('a', 0, 100, 'A'), word('b', 200, 300, 'A'), word('c', 400, 500, 'B')];
    const transcript = transcriptFromResult({ id: 't2', status: 'completed', words, utterances: null }, { requestedModels: ['universal-2'] });
    expect(transcript.segments.map((s) => s.text)).to.deep.equal(['a b', 'c']);
    let error: unknown;
    try {
      transcriptFromResult({ id: 't3', status: 'completed', words: [{ text: 'x', start: Number.NaN, end: 1 }] }, { requestedModels: ['universal-2'] });
    } catch (e) {
      error = e;
    }
    expect(isSpxError(error) && error.code).to.equal('API_BAD_RESPONSE');
  });
});
