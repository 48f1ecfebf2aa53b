// ffmpeg/convert: any file ffmpeg reads -> the format the next stages want (16 kHz mono WAV by default).
import { join } from 'node:path';
import { defineStage, SpxError, Type, type FileRef, type Static } from '@spx/core';
import { convertAudioMeasured, encoderArgs, MEDIA_TYPES } from '../convert.js';
import { audioDurationKnown, probeAudio, type AudioInfo } from '../probe.js';
import { checkAborted, encodeParams, inputParam, preflightBinaries, resolveInput, secondsProgress } from './common.js';

const ConvertParamsSchema = Type.Object(
  {
    input: inputParam,
    ...encodeParams,
    start: Type.Optional(Type.Number({ minimum: 0, description: 'Trim: start, in seconds.' })),
    end: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Trim: end, in seconds.' })),
    normalize: Type.Boolean({ default: false, description: 'EBU R128 loudness normalisation to -16 LUFS (ffmpeg loudnorm).' }),
  },
  { additionalProperties: false },
);

export type ConvertParams = Static<typeof ConvertParamsSchema>;

export const EXTENSIONS = { wav: 'wav', flac: 'flac', mp3: 'mp3', opus: 'opus' } as const;

function checkParams(params: ConvertParams): void {
  encoderArgs(params);
  if (params.end !== undefined && params.end <= (params.start ?? 0)) {
    throw new SpxError('PARAMS_INVALID', `end ${params.end} must be after start ${params.start ?? 0}.`, { hint: 'Use an end time in seconds greater than start.' });
  }
}

export const convertStage = defineStage<typeof ConvertParamsSchema, { audio: FileRef; info: AudioInfo }>({
  description: 'Converts any audio or video file to WAV/FLAC/MP3/Opus at a given rate and channel count, optionally trimmed and loudness-normalised.',
  version: '1',
  params: ConvertParamsSchema,
  retention: { audio: 'cheap' },
  outputs: {
    audio: { kind: 'file', description: 'The converted audio file.' },
    info: { kind: 'json', description: 'Metadata of the converted file: duration (s), sampleRate, channels, codec, formatName, bytes, streams.' },
  },
  preflight(ctx) {
    preflightBinaries(ctx.env);
    checkParams(ctx.params);
  },
  async run(ctx) {
    const params = ctx.params;
    checkParams(params);
    const input = resolveInput(params.input);
    checkAborted(ctx, `converting "${input}"`);
    const source = await probeAudio(input, { signal: ctx.signal, env: ctx.env });
    const output = join(ctx.artifacts.dir, `audio.${EXTENSIONS[params.format]}`);
    const total = Math.min(params.end ?? source.duration, source.duration) - (params.start ?? 0);
    const written = await convertAudioMeasured({
      input,
      output,
      format: params.format,
      sampleRate: params.sampleRate,
      channels: params.channels,
      bitrate: params.bitrate,
      start: params.start,
      end: params.end,
      normalize: params.normalize,
      duration: source.duration,
      inputSampleRate: source.sampleRate,
      strict: audioDurationKnown(source),
      signal: ctx.signal,
      env: ctx.env,
      onProgress: secondsProgress(ctx, Math.max(0, total), 'converting'),
      hash: true,
      probe: true,
    });
    const audio: FileRef = { kind: 'file', path: output, bytes: written.bytes, sha256: written.sha256 ?? '', mediaType: MEDIA_TYPES[params.format] };
    const info = written.info ?? (await probeAudio(output, { signal: ctx.signal, env: ctx.env }));
    return {
      outputs: { audio, info },
      metadata: { sourceCodec: source.codec, sourceDuration: source.duration, duration: info.duration, bytes: info.bytes },
    };
  },
});
