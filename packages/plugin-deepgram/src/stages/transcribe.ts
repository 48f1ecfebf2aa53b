// deepgram/transcribe: audio → canonical Transcript (word timings, speakers, confidence) and the
// speaker turns as a Diarization, through Deepgram's synchronous /v1/listen with diarization.
//
// Long recordings come as chunks from ffmpeg/chunk (cut at silences, overlapping by a few
// seconds), not as one request: one request holds an HTTP connection until the whole file is
// processed, the service cancels it past its processing cap (504), and Deepgram keeps no copy of
// the answer — a crash or a dropped connection late in a long request loses it, paid. Each chunk
// is a paid sub-step checkpointed as soon as it answers, so a rerun sends only unfinished chunks.
// Speakers are numbered per request, so they are linked across chunks through the overlaps
// (core's stitch with speakers: 'link'). Callback mode would need a public HTTPS endpoint on
// ports 80/443/8080/8443 that is listening when Deepgram answers; a command-line run has none.
import { readFile, stat } from 'node:fs/promises';
import { canonicalJson, defineStage, Enum, mapPool, sha256, sha256File, pieceResult, SpxError, stitch, diarizationFrom, roundMs, Type, type FileRef, type Json, type PieceResult, type StageContext, type Static } from '@spx/core';
import { readWavInfo } from '@spx/core/formats';
import { KEY_VARIABLE, MAX_UPLOAD_BYTES, SERVICE, type ListenQuery } from '../client.js';
import { listenPiece } from '../convert.js';
import { clientFor, preflightEnv } from './common.js';

const ChunkSchema = Type.Object(
  {
    index: Type.Integer({ minimum: 0 }),
    start: Type.Number({ minimum: 0 }),
    end: Type.Number({ minimum: 0 }),
    file: Type.Object({ path: Type.String({ minLength: 1 }), sha256: Type.String(), bytes: Type.Integer({ minimum: 0 }) }, { additionalProperties: true }),
  },
  { additionalProperties: true },
);

const TranscribeParamsSchema = Type.Object(
  {
    audio: Type.Optional(Type.String({ minLength: 1, description: 'One audio file, sent whole (at most maxDuration seconds).' })),
    chunks: Type.Optional(Type.Array(ChunkSchema, { minItems: 1, description: 'The chunks output of ffmpeg/chunk: one request per chunk, stitched at their offsets.' })),
    model: Type.String({ minLength: 1, default: 'nova-3', description: 'Deepgram model (the API default base-general is older, so one is always sent).' }),
    language: Type.String({ minLength: 1, default: 'en', description: 'BCP-47 code, or multi for code-switching.' }),
    diarizeModel: Enum(['latest', 'v1', 'v2'], { default: 'latest', description: 'Diarizer (diarize_model); latest is v2 for pre-recorded audio.' }),
    smartFormat: Type.Boolean({ default: true, description: 'Punctuation, numerals and paragraphs (smart_format).' }),
    keyterms: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100, description: 'Terms to boost (keyterm, Nova-3 only).' })),
    maxDuration: Type.Number({ exclusiveMinimum: 0, default: 1800, description: 'Longest audio per request, seconds; longer audio must come as chunks.' }),
    concurrency: Type.Integer({ minimum: 1, maximum: 32, default: 4, description: 'Requests in flight at once (the project limit is 100).' }),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'Attempts per request (default SPX_RETRY_MAX_ATTEMPTS or 6).' })),
    timeoutMs: Type.Integer({ minimum: 1000, default: 660_000, description: 'Timeout per attempt, ms: above the 10-minute processing cap.' }),
  },
  { additionalProperties: false, anyOf: [{ required: ['audio'] }, { required: ['chunks'] }] },
);

export type TranscribeParams = Static<typeof TranscribeParamsSchema>;

export interface TranscribeOutputs extends Record<string, unknown> {
  transcript: FileRef;
  diarization: FileRef;
}

/** Published pay-as-you-go rate for Nova-3 pre-recorded audio (a third-party figure of 2026-08; override with `pricing:`). */
export const PRICING = { unit: 'audio minute', usd: 0.0077 } as const;

/** One request: a span of the input and the file holding it. */
interface Piece {
  index: number;
  start: number;
  end: number;
  path: string;
  sha256: string;
  bytes: number;
}

export const transcribeStage = defineStage<typeof TranscribeParamsSchema, TranscribeOutputs>({
  description: 'Transcribes audio with Deepgram /v1/listen (diarized, word timings), one paid request per chunk, into a Transcript and a Diarization.',
  version: '1',
  pricing: PRICING,
  executionParams: ['concurrency', 'maxAttempts', 'timeoutMs'],
  params: TranscribeParamsSchema,
  outputs: {
    transcript: { kind: 'file', description: 'Transcript JSON (spx-transcript): utterances with words, speakers SPEAKER_00… linked across chunks, word confidence.' },
    diarization: { kind: 'file', description: 'Diarization JSON (spx-diarization): the speaker turns of the words.' },
  },
  preflight(ctx) {
    preflightEnv(ctx.env);
  },
  run,
});

async function run(ctx: StageContext<TranscribeParams>) {
  const p = ctx.params;
  ctx.signal.throwIfAborted();
  const client = clientFor(ctx, { timeoutMs: p.timeoutMs, ...(p.maxAttempts ? { maxAttempts: p.maxAttempts } : {}) });
  const pieces = await piecesOf(p);
  // Limits first: nothing is sent (or paid) when one piece would be refused.
  for (const piece of pieces) {
    if (piece.bytes > MAX_UPLOAD_BYTES) ctx.fail('INPUT_INVALID', `${label(piece, pieces.length)} is ${piece.bytes} bytes, over ${SERVICE}'s 2 GB limit.`, { hint: 'Cut it into chunks with ffmpeg/chunk (see pipelines/deepgram.yaml).' });
    if (piece.end - piece.start > p.maxDuration + 0.5) {
      ctx.fail('INPUT_INVALID', `${label(piece, pieces.length)} is ${(piece.end - piece.start).toFixed(1)} s long, over maxDuration ${p.maxDuration} s per request.`, {
        hint: 'Pass the chunks of ffmpeg/chunk (maxDuration at most this stage\'s) instead of one file, or raise maxDuration.',
      });
    }
  }
  const query: ListenQuery = { model: p.model, language: p.language, diarize_model: p.diarizeModel, smart_format: p.smartFormat, punctuate: true, utterances: true, keyterm: p.keyterms };
  const requestKey = sha256(canonicalJson(query as Json)).slice(0, 12);
  let sent = 0;
  let done = 0;
  let sentSeconds = 0;
  ctx.progress({ done: 0, total: pieces.length, message: `chunk 0/${pieces.length}` });
  const results = await mapPool(
    pieces,
    p.concurrency,
    async (piece): Promise<PieceResult> => {
      const result = await ctx.step(
        `listen:${piece.sha256.slice(0, 24)}:${requestKey}:${roundMs(piece.start)}`,
        async (): Promise<PieceResult & { requestId?: string }> => {
          const audio = await readFile(piece.path);
          if (sha256(audio) !== piece.sha256) ctx.fail('INPUT_CHANGED', `${label(piece, pieces.length)} (${piece.path}) changed since it was cut.`, { hint: 'Run the same command again with --from-stage on the stage that cut it.' });
          const answer = listenPiece(await client.listen(audio, query, label(piece, pieces.length), ctx.signal));
          sent++;
          sentSeconds += piece.end - piece.start;
          ctx.usage((piece.end - piece.start) / 60);
          return { ...pieceResult(piece, answer), ...(answer.requestId ? { requestId: answer.requestId } : {}) };
        },
        { paid: true },
      );
      done++;
      ctx.progress({ done, total: pieces.length, message: `chunk ${done}/${pieces.length}` });
      return result;
    },
    ctx.signal,
  );
  const duration = Math.max(...pieces.map((piece) => piece.end));
  const detected = results.find((r) => r.language)?.language;
  const language = p.language === 'multi' ? detected : p.language;
  const transcript = stitch(results, { engine: 'deepgram', model: p.model, timestamps: 'word', duration, mode: 'chunks', speakers: 'link', ...(language ? { language } : {}) });
  const diarization = diarizationFrom(transcript.segments, 'deepgram', `${p.model} diarizer ${p.diarizeModel}`, transcript.duration);
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const outputs = {
    transcript: await ctx.artifacts.write('transcript.json', json(transcript), 'application/json'),
    diarization: await ctx.artifacts.write('diarization.json', json(diarization), 'application/json'),
  };
  const minutes = pieces.reduce((sum, piece) => sum + (piece.end - piece.start), 0) / 60;
  return {
    outputs,
    metadata: {
      model: p.model,
      requests: pieces.length,
      requestsSent: sent,
      requestsReused: pieces.length - sent,
      audioMinutes: roundMs(minutes),
      minutesSent: roundMs(sentSeconds / 60),
      speakers: diarization.speakers.length,
      segments: transcript.segments.length,
      estimatedUsd: roundMs(minutes * PRICING.usd),
    } satisfies Record<string, Json>,
  };
}

function label(piece: Piece, total: number): string {
  return total === 1 ? 'the audio' : `chunk ${piece.index + 1}/${total} (${piece.start.toFixed(1)}-${piece.end.toFixed(1)} s)`;
}

/** The requests to send: the given chunks in time order, or the one audio file. */
async function piecesOf(p: TranscribeParams): Promise<Piece[]> {
  if (p.chunks) {
    return [...p.chunks].sort((a, b) => a.start - b.start || a.index - b.index).map((chunk) => {
      if (!(chunk.end > chunk.start)) throw new SpxError('PARAMS_INVALID', `Chunk ${chunk.index} ends (${chunk.end} s) before it starts (${chunk.start} s).`, { hint: 'Pass the chunks output of ffmpeg/chunk unchanged.' });
      return { index: chunk.index, start: chunk.start, end: chunk.end, path: chunk.file.path, sha256: chunk.file.sha256, bytes: chunk.file.bytes };
    });
  }
  const path = p.audio!;
  const info = await stat(path).catch((error: unknown) => {
    throw new SpxError('INPUT_MISSING', `Cannot read the audio file "${path}": ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, { hint: 'Check the `audio:` path.', cause: error });
  });
  if (!info.isFile() || info.size === 0) throw new SpxError('INPUT_INVALID', `The audio "${path}" is empty or not a file.`, { hint: 'Point `audio:` at a non-empty audio file.' });
  const duration = (await readWavInfo(path).catch(() => undefined))?.duration;
  if (duration === undefined) throw new SpxError('INPUT_INVALID', `The audio "${path}" is not a WAV file, so its length cannot be checked before paying.`, { hint: `Convert it first (ffmpeg/convert, format wav), or pass ffmpeg/chunk's chunks; ${KEY_VARIABLE} is only used once the length is known.` });
  return [{ index: 0, start: 0, end: duration, path, sha256: await sha256File(path), bytes: info.size }];
}
