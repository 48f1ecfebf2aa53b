// ffmpeg/probe: duration, streams and codecs of a file as JSON.
import { defineStage, Type, type Static } from '@spx/core';
import { probeAudio, type AudioInfo } from '../probe.js';
import { checkAborted, inputParam, preflightBinaries, resolveInput } from './common.js';

const ProbeParamsSchema = Type.Object({ input: inputParam }, { additionalProperties: false });

export type ProbeParams = Static<typeof ProbeParamsSchema>;

export const probeStage = defineStage<typeof ProbeParamsSchema, { info: AudioInfo }>({
  description: 'Reads duration, streams and codecs of an audio or video file with ffprobe.',
  version: '1',
  params: ProbeParamsSchema,
  outputs: {
    info: { kind: 'json', description: 'duration (s), sampleRate, channels, codec, formatName, bytes, bitRate, streams[]' },
  },
  preflight: (ctx) => preflightBinaries(ctx.env),
  async run(ctx) {
    const input = resolveInput(ctx.params.input);
    checkAborted(ctx, `probing "${input}"`);
    const info = await probeAudio(input, { signal: ctx.signal, env: ctx.env });
    return { outputs: { info }, metadata: { duration: info.duration, codec: info.codec } };
  },
});
