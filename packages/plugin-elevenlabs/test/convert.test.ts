import { expect } from 'chai';
import { confidenceOf, readDetail, transcriptFromScribe, type ApiToken } from '../src/index.js';

const token = (text: string, type: ApiToken['type'], start: number, speaker_id = 'speaker_3', logprob = 0): ApiToken => ({ text, type, start, end: start + 0.2, speaker_id, logprob });

describe('Scribe answer → canonical transcript', () => {
  it('maps logprob to a 0..1 confidence', () => {
    expect(confidenceOf(0)).to.equal(1);
    expect(confidenceOf(-0.6931)).to.be.closeTo(0.5, 1e-4);
    expect(confidenceOf(3)).to.equal(1);
    expect(confidenceOf(undefined)).to.equal(undefined);
  });

  it('joins text as the spacing tokens say (none between Japanese words), and numbers speakers by appearance', () => {
    const words = [token('今日は', 'word', 0), token('晴れ', 'word', 0.3), token(' ', 'spacing', 0.5), token('Yes.', 'word', 1, 'speaker_0', -0.1)];
    const transcript = transcriptFromScribe({ words, language_code: 'jpn' }, { model: 'scribe_v2', diarized: true, audioEvents: false });
    expect(transcript.segments.map((s) => [s.speaker, s.text])).to.deep.equal([
      ['SPEAKER_00', '今日は晴れ'],
      ['SPEAKER_01', 'Yes.'],
    ]);
    expect(transcript.segments[1]!.words![0]!.confidence).to.be.closeTo(Math.exp(-0.1), 1e-4);
  });

  it('reads the four error body shapes', () => {
    expect(readDetail('{"detail":{"type":"validation_error","code":"invalid_parameters","message":"bad","param":"keyterms"}}')).to.deep.equal({ code: 'invalid_parameters', message: 'bad (param keyterms)' });
    expect(readDetail('{"detail":{"status":"invalid_api_key","message":"Invalid API key"}}')).to.deep.equal({ code: 'invalid_api_key', message: 'Invalid API key' });
    expect(readDetail('{"detail":[{"loc":["body","model_id"],"msg":"Field required","type":"missing"}]}')).to.deep.equal({ code: 'validation_error', message: 'model_id: Field required' });
    expect(readDetail('{"detail":"Not Found"}')).to.deep.equal({ message: 'Not Found' });
  });
});
