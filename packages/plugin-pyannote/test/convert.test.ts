import { execFileSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { readWavInfo, writeRttm } from '@spx/core/formats';
import { diarizationFromOutput, identifiedDiarization } from '../src/index.js';
import { timelineTranscript } from '../src/convert.js';
import { removeDir } from './helpers.js';

describe('convert', () => {
  it('keeps regular and exclusive turns apart, sorted, with speakers in order of appearance', () => {
    const d = diarizationFromOutput(
      {
        diarization: [
          { speaker: 'SPEAKER_01', start: 5.4, end: 9.9 },
          { speaker: 'SPEAKER_00', start: 0.5, end: 5.6 },
          { speaker: 'SPEAKER_00', start: 7, end: 6 },
        ],
        exclusiveDiarization: [
          { speaker: 'SPEAKER_00', start: 0.5, end: 5.4 },
          { speaker: 'SPEAKER_01', start: 5.4, end: 9.9 },
        ],
      },
      { model: 'precision-2', duration: 10.0004 },
    );
    expect(d.turns.map((t) => [t.speaker, t.start, t.end])).to.deep.equal([['SPEAKER_00', 0.5, 5.6], ['SPEAKER_01', 5.4, 9.9]]);
    expect(d.exclusiveTurns).to.have.length(2);
    expect(d.speakers).to.deep.equal(['SPEAKER_00', 'SPEAKER_01']);
    expect(d.duration).to.equal(10);
  });

  it('names matched speakers from voiceprints and identification, leaving others anonymous', () => {
    const { diarization, matches } = identifiedDiarization(
      {
        diarization: [
          { speaker: 'SPEAKER_00', start: 0.5, end: 5.2 },
          { speaker: 'SPEAKER_01', start: 5.4, end: 9.9 },
          { speaker: 'SPEAKER_02', start: 10, end: 11 },
        ],
        identification: [{ speaker: 'Mark', start: 10, end: 11, diarizationSpeaker: 'SPEAKER_02', match: 'Mark' }],
        voiceprints: [
          { speaker: 'SPEAKER_00', match: 'Lex', confidence: { Lex: 87, Mark: 12 } },
          { speaker: 'SPEAKER_01', match: null, confidence: { Lex: 20, Mark: 31 } },
        ],
      },
      { model: 'precision-2' },
    );
    expect(diarization.turns.map((t) => t.speaker)).to.deep.equal(['Lex', 'SPEAKER_01', 'Mark']);
    expect(diarization.turns[0]!.confidence).to.equal(0.87);
    expect(diarization.names).to.deep.equal({ Lex: 'Lex', Mark: 'Mark' });
    expect(matches.find((m) => m.speaker === 'SPEAKER_01')).to.deep.include({ match: null, confidence: 0.31 });
  });

  it('writes RTTM fields without spaces', () => {
    expect(writeRttm([{ speaker: 'Ada Lovelace', start: 1, end: 2.5 }], 'my call')).to.equal('SPEAKER my_call 1 1.000 1.500 <NA> <NA> Ada_Lovelace <NA> <NA>\n');
  });

  it('builds a speaker-only timeline from exclusive turns, joining touching turns of one speaker', () => {
    const timeline = timelineTranscript({
      format: 'spx-diarization',
      version: 1,
      engine: 'pyannoteai',
      turns: [{ speaker: 'A', start: 0, end: 3 }],
      exclusiveTurns: [
        { speaker: 'A', start: 0, end: 1 },
        { speaker: 'A', start: 1.02, end: 2 },
        { speaker: 'B', start: 2, end: 3 },
      ],
      speakers: ['A', 'B'],
    });
    expect(timeline).to.include({ format: 'spx-transcript', timestamps: 'segment' });
    expect(timeline.segments).to.deep.equal([
      { start: 0, end: 2, speaker: 'A', text: '(speech, 2.0 s)' },
      { start: 2, end: 3, speaker: 'B', text: '(speech, 1.0 s)' },
    ]);
  });

  it('reads the duration of an ffmpeg WAV (with a LIST chunk) from its header', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spx-wav-'));
    try {
      const file = join(dir, 'tone.wav');
      execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1.5', '-ar', '16000', '-ac', '1', file]);
      expect((await readWavInfo(file))?.duration).to.be.closeTo(1.5, 0.001);
      const mp3 = join(dir, 'tone.mp3');
      execFileSync('ffmpeg', ['-v', 'error', '-i', file, mp3]);
      expect(await readWavInfo(mp3)).to.equal(undefined);
    } finally {
      await removeDir(dir);
    }
  });
});
