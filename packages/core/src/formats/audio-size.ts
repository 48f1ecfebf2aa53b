// How many bytes a second of audio takes once encoded, as an upper bound: chunk planners turn a
// byte limit (an upload limit, a `maxBytes` param) into seconds with it, so a chunk cut to the
// planned length stays under the limit. Per-file headers are not included (planners reserve
// them separately). The factors were measured with ffmpeg 5.1 (pcm_s16le, flac, libmp3lame
// CBR, libopus VBR in Ogg) on white noise, full-scale random samples, pure tones, chords,
// silence and the shipped speech samples, at 16 and 48 kHz, mono and stereo; the test
// packages/plugin-ffmpeg/test/audio-size.test.ts re-measures them on every run:
//   wav   exactly 2 bytes per sample and channel.
//   flac  at most 1.018 × PCM (random full-scale samples, stored verbatim, plus frame headers),
//         and ffmpeg adds an 8 KiB padding block per file: 1.05 covers both for chunks of 20 s
//         and more; real recordings are 0.1–0.6 × PCM.
//   mp3   CBR: 1.0022 × bitrate/8 (frame padding).
//   opus  VBR: up to 1.93 × bitrate/8 on a pure tone, 1.43 × on speech at 64 kbit/s, under 1 ×
//         on noise and silence; Ogg page overhead included.
import { SpxError } from '../errors/errors.js';

export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'opus';
export const AUDIO_FORMATS: readonly AudioFormat[] = ['wav', 'flac', 'mp3', 'opus'];

/** Encoded size over the nominal rate (PCM for wav/flac, bitrate/8 for mp3/opus), as an upper bound. */
export const ENCODED_SIZE_FACTORS: Readonly<Record<AudioFormat, number>> = { wav: 1, flac: 1.05, mp3: 1.02, opus: 2 };

/** Bits per second of a bitrate given as 64000 or "64k" ("1.5M"); NaN when it is neither. */
export function bitrateValue(bitrate: string | number): number {
  if (typeof bitrate === 'number') return bitrate;
  const match = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(bitrate);
  if (!match) return Number.NaN;
  const scale = match[2] === '' ? 1 : match[2]?.toLowerCase() === 'k' ? 1000 : 1_000_000;
  return Number(match[1]) * scale;
}

export interface EncodedRate {
  sampleRate: number;
  channels: number;
  /** mp3/opus: the encoder's bitrate (64000 or "64k"); ignored for wav/flac. */
  bitrate?: string | number;
}

/** Upper bound of encoded bytes per second of audio in `format` (see the factors above). */
export function encodedBytesPerSecond(format: AudioFormat, rate: EncodedRate): number {
  if (format === 'wav' || format === 'flac') return rate.sampleRate * rate.channels * 2 * ENCODED_SIZE_FACTORS[format];
  const bits = rate.bitrate === undefined ? Number.NaN : bitrateValue(rate.bitrate);
  if (!(bits > 0)) throw new SpxError('PARAMS_INVALID', `Bitrate "${String(rate.bitrate)}" is not valid for ${format}.`, { hint: 'Use bits per second like 64000 or a value like "64k".' });
  return (bits / 8) * ENCODED_SIZE_FACTORS[format];
}
