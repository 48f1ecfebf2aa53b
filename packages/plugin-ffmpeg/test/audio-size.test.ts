// Measures core's encoded-size estimate against what this plugin's encoders really write: for
// every format, on speech, a pure tone (the worst case of Opus VBR) and full-scale white noise
// (the worst case of FLAC), the file is never larger than the estimate × its seconds plus
// the 4096 header bytes planChunks reserves, and the estimate is not loose beyond the stated ratio.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { encodedBytesPerSecond, type AudioFormat } from '@spx/core/formats';
import { convertAudioMeasured } from '../src/index.js';
import { env, removeDir, tempDir } from './helpers.js';

const SECONDS = 6;
const HEADER_BYTES = 4096;
const SPEECH = join(dirname(fileURLToPath(import.meta.url)), '../../../samples/meeting.wav');

interface Case {
  format: AudioFormat;
  bitrate?: string;
  sampleRate: number;
  channels: number;
  /** The largest file over all signals is at least this share of the estimate (how tight it is). */
  tightness: number;
}

const CASES: Case[] = [
  { format: 'wav', sampleRate: 16000, channels: 1, tightness: 0.99 },
  { format: 'flac', sampleRate: 16000, channels: 1, tightness: 0.9 },
  { format: 'flac', sampleRate: 48000, channels: 2, tightness: 0.9 },
  { format: 'mp3', bitrate: '32k', sampleRate: 16000, channels: 1, tightness: 0.97 },
  { format: 'mp3', bitrate: '64k', sampleRate: 16000, channels: 1, tightness: 0.97 },
  { format: 'opus', bitrate: '24k', sampleRate: 16000, channels: 1, tightness: 0.7 },
  { format: 'opus', bitrate: '32k', sampleRate: 16000, channels: 1, tightness: 0.6 },
  { format: 'opus', bitrate: '64k', sampleRate: 48000, channels: 1, tightness: 0.5 },
];

describe('encoded size estimate (core encodedBytesPerSecond) against real encodes', function () {
  this.timeout(120_000);
  let dir: string;
  const signals: Record<string, string> = {};

  before(async () => {
    dir = await tempDir();
    const lavfi = (name: string, graph: string) => {
      signals[name] = join(dir, `${name}.wav`);
      execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-filter_complex', graph, '-t', String(SECONDS), signals[name]!]);
    };
    lavfi('tone', 'sine=frequency=1000:sample_rate=48000,aformat=channel_layouts=stereo');
    // Independent white noise in each channel, near full scale: nothing for FLAC to predict.
    lavfi('noise', 'anoisesrc=seed=1:amplitude=1:sample_rate=48000[a];anoisesrc=seed=2:amplitude=1:sample_rate=48000[b];[a][b]amerge=inputs=2');
    signals.speech = join(dir, 'speech.wav');
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', SPEECH, '-t', String(SECONDS), signals.speech]);
  });
  after(() => removeDir(dir));

  for (const c of CASES) {
    it(`${c.format}${c.bitrate ? ` ${c.bitrate}` : ''} at ${c.sampleRate} Hz × ${c.channels}: never over the estimate, at least ${c.tightness} of it at worst`, async () => {
      const perSecond = encodedBytesPerSecond(c.format, { sampleRate: c.sampleRate, channels: c.channels, bitrate: c.bitrate });
      let largest = 0;
      for (const [name, input] of Object.entries(signals)) {
        const output = join(dir, `${name}-${c.format}-${c.bitrate ?? ''}-${c.sampleRate}-${c.channels}.${c.format}`);
        const written = await convertAudioMeasured({ input, output, env, format: c.format, sampleRate: c.sampleRate, channels: c.channels, ...(c.bitrate ? { bitrate: c.bitrate } : {}) });
        const allowed = perSecond * written.seconds + HEADER_BYTES;
        expect(written.bytes, `${name}: ${written.bytes} B for ${written.seconds} s, estimate ${Math.round(allowed)} B`).to.be.at.most(allowed);
        largest = Math.max(largest, written.bytes / (perSecond * written.seconds));
      }
      expect(largest, 'largest file / estimate').to.be.at.least(c.tightness);
    });
  }
});
