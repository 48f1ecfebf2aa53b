// ffmpeg/probe: duration, streams and codecs of a file as JSON.
import { defineStage } from '@spx/core';
import { probeAudio, type AudioInfo } from '../probe.js';
import { checkAborted, inputParam, preflightBinaries, resolveInput } from './common.js';

export interface ProbeParams {
  input: string;
}

export const probeStage = defineStage<ProbeParams, { info: AudioInfo }>({
  description: 'Reads duration, streams and codecs of an audio or video file with ffprobe.',
  version: '1',
  params: {
    type: 'object',
    additionalProperties: false,
    required: ['input'],
    properties: { input: inputParam },
  },
  outputs: {
    info: { kind: 'json', description: 'duration (s), sampleRate, channels, codec, formatName, bytes, bitRate, streams[]' },
  },
  preflight: (ctx) => preflightBinaries(ctx.env),
  async run(ctx) {
    const input = resolveInput(ctx.params.input);
    checkAborted(ctx, `probing "${input}"`);
    const info = await probeAudio(input, { signal: ctx.signal });
    return { outputs: { info }, metadata: { duration: info.duration, codec: info.codec } };
  },
});
