import { expect } from 'chai';
import { summarizeStderr } from '../src/index.js';

describe('summarizeStderr', () => {
  it('drops demuxer tags and the path prefix, keeps the first two distinct reasons', () => {
    const lines = ['[mov,mp4,m4a,3gp,3g2,mj2 @ 0x561f3e7e48c0] moov atom not found', 'file:/tmp/a b.m4a: Invalid data found when processing input', 'file:/tmp/a b.m4a: Invalid data found when processing input'];
    expect(summarizeStderr(lines, '/tmp/a b.m4a')).to.equal('moov atom not found; Invalid data found when processing input');
  });

  it('ignores informational lines and generic closing remarks', () => {
    const lines = ['Input #0, wav, from \'x.wav\':', '  Duration: 00:00:03.00, bitrate: 256 kb/s', 'Stream mapping:', 'Decoder (codec none) not found for input stream #0:0', 'Conversion failed!'];
    expect(summarizeStderr(lines)).to.equal('Decoder (codec none) not found for input stream #0:0');
  });

  it('says so when ffmpeg printed nothing useful', () => {
    expect(summarizeStderr(['', 'Conversion failed!'])).to.equal('ffmpeg gave no reason');
  });
});
