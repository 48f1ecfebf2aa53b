// ffmpeg/chunk: splits long audio into pieces under a size and/or duration limit, cutting in
// silence near each limit. Probe, silence detection and every chunk are checkpointed sub-steps;
// a chunk is reused on resume only if its file still verifies (size + sha256), else it is re-cut.
import { join } from 'node:path';
import { defineStage, mapPool, SpxError, Type, type FileRef, type Static } from '@spx/core';
import { encodedBytesPerSecond, type AudioFormat } from '@spx/core/formats';
import { DEFAULT_BITRATES, encoderArgs, extractSegmentMeasured, MEDIA_TYPES } from '../convert.js';
import { chunkLimit, planChunks } from '../plan.js';
import { audioDurationKnown, probeAudio, type AudioInfo } from '../probe.js';
import { detectSilences, type Silence } from '../silence.js';
import { checkAborted, encodeParams, inputParam, preflightBinaries, resolveInput, secondsProgress } from './common.js';
import { EXTENSIONS } from './convert.js';

const ChunkParamsSchema = Type.Object(
  {
    input: inputParam,
    maxDuration: Type.Number({ exclusiveMinimum: 0, default: 600, description: 'Longest chunk in seconds, overlap included.' }),
    maxBytes: Type.Integer({ minimum: 10000, default: 24000000, description: 'Largest chunk file in bytes (24 MB keeps under a 25 MB upload limit).' }),
    overlap: Type.Number({ minimum: 0, default: 0, description: 'Seconds each chunk repeats from the end of the previous one.' }),
    searchWindow: Type.Number({ minimum: 0, default: 30, description: 'How far before the limit to look for a silence to cut in, seconds.' }),
    noiseDb: Type.Number({ exclusiveMaximum: 0, default: -35, description: 'Silence threshold in dB.' }),
    minSilence: Type.Number({ exclusiveMinimum: 0, default: 0.3, description: 'Shortest silence to cut in, seconds.' }),
    ...encodeParams,
    concurrency: Type.Integer({ minimum: 1, maximum: 16, default: 1, description: 'Chunks cut at the same time (one ffmpeg each). Changing it never reruns finished work.' }),
  },
  { additionalProperties: false },
);

export type ChunkParams = Static<typeof ChunkParamsSchema>;

export interface Chunk {
  index: number;
  /** Offset of the chunk in the input, seconds. */
  start: number;
  end: number;
  file: FileRef;
}

/** Upper bound of encoded bytes per second of the chunks, so a byte limit is never exceeded. */
function chunkBytesPerSecond(params: ChunkParams): number {
  const bitrate = params.format === 'mp3' || params.format === 'opus' ? (params.bitrate ?? DEFAULT_BITRATES[params.format]) : undefined;
  return encodedBytesPerSecond(params.format, { sampleRate: params.sampleRate, channels: params.channels, bitrate });
}

function checkParams(params: ChunkParams): void {
  encoderArgs(params);
  if (params.maxDuration === undefined && params.maxBytes === undefined) {
    throw new SpxError('PARAMS_INVALID', 'ffmpeg/chunk needs maxDuration or maxBytes.', { hint: 'Set maxDuration (seconds) and/or maxBytes.' });
  }
  const limit = chunkLimit({ maxDuration: params.maxDuration, maxBytes: params.maxBytes, bytesPerSecond: chunkBytesPerSecond(params) });
  if (params.overlap * 2 >= limit) throw new SpxError('PARAMS_INVALID', `overlap ${params.overlap} s is too long for chunks of at most ${limit.toFixed(3)} s.`, { hint: 'Use an overlap shorter than half the chunk length.' });
}

const chunkName = (index: number, format: AudioFormat): string => `chunk-${String(index).padStart(4, '0')}.${EXTENSIONS[format]}`;

export const chunkStage = defineStage<typeof ChunkParamsSchema, { chunks: Chunk[]; manifest: FileRef; info: AudioInfo }>({
  description: 'Splits long audio into chunks under a size and/or duration limit, cutting in silences near the limit, with optional overlap.',
  version: '1',
  params: ChunkParamsSchema,
  executionParams: ['concurrency'],
  retention: { chunks: 'cheap' },
  outputs: {
    chunks: { kind: 'json', description: 'List of {index, start, end, file}: start/end are offsets in the input (s), file is the chunk FileRef.' },
    manifest: { kind: 'file', description: 'chunks.json: the same list plus the source duration, for tools outside spx.' },
    info: { kind: 'json', description: 'ffprobe metadata of the input.' },
  },
  preflight(ctx) {
    preflightBinaries(ctx.env);
    checkParams(ctx.params);
  },
  async run(ctx) {
    const params = ctx.params;
    checkParams(params);
    const input = resolveInput(params.input);
    checkAborted(ctx, `chunking "${input}"`);
    const info = await ctx.step('probe', () => probeAudio(input, { signal: ctx.signal, env: ctx.env }));
    const rate = chunkBytesPerSecond(params);
    const limit = chunkLimit({ maxDuration: params.maxDuration, maxBytes: params.maxBytes, bytesPerSecond: rate });
    let silences: Silence[] = [];
    if (info.duration > limit) {
      silences = await ctx.step('silences', () =>
        detectSilences(input, { noiseDb: params.noiseDb, minSilence: params.minSilence, duration: info.duration, signal: ctx.signal, env: ctx.env, onProgress: secondsProgress(ctx, info.duration, 'finding silences') }),
      );
    }
    const strict = audioDurationKnown(info);
    const plan = planChunks({ duration: info.duration, silences, maxDuration: params.maxDuration, maxBytes: params.maxBytes, bytesPerSecond: rate, overlap: params.overlap, searchWindow: params.searchWindow });
    let inSilence = 0;
    let finished = 0;
    const chunks = await mapPool(
      plan,
      params.concurrency,
      async (piece): Promise<Chunk> => {
        const name = chunkName(piece.index, params.format);
        const file = await ctx.step(
          `chunk:${piece.index}:${piece.start}-${piece.end}`,
          async () => {
            const output = join(ctx.artifacts.dir, name);
            const written = await extractSegmentMeasured({ input, output, start: piece.start, end: piece.end, format: params.format, sampleRate: params.sampleRate, channels: params.channels, bitrate: params.bitrate, signal: ctx.signal, env: ctx.env, strict, hash: true });
            const ref: FileRef = { kind: 'file', path: output, bytes: written.bytes, sha256: written.sha256 ?? '', mediaType: MEDIA_TYPES[params.format] };
            return ref;
          },
          { reuseIf: (stored) => ctx.artifacts.verify(stored) },
        );
        if (params.maxBytes !== undefined && file.bytes > params.maxBytes) {
          ctx.logger.warn(`${name} is ${file.bytes} B, over maxBytes ${params.maxBytes} B; lower the bitrate or maxBytes.`);
        }
        if (piece.end < info.duration && silences.some((s) => s.start <= piece.end && piece.end <= s.end)) inSilence++;
        finished++;
        ctx.progress({ done: finished, total: plan.length, message: `chunk ${finished}/${plan.length}` });
        return { index: piece.index, start: piece.start, end: piece.end, file };
      },
      ctx.signal,
    );
    const manifest = await ctx.artifacts.write('chunks.json', `${JSON.stringify({ source: input, duration: info.duration, chunks }, null, 2)}\n`, 'application/json');
    return {
      outputs: { chunks, manifest, info },
      metadata: { chunks: chunks.length, cutsInSilence: inSilence, hardCuts: chunks.length - 1 - inSilence, limitSeconds: Math.round(limit * 1000) / 1000 },
    };
  },
});
