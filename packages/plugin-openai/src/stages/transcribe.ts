// Stage openai/transcribe: audio → canonical Transcript JSON through /v1/audio/transcriptions.
// `chunks` mode cuts long audio at silences into compressed uploads; `turns` mode uploads
// one speaker's turn group at a time. Every finished upload is a paid sub-step checkpoint,
// so a rerun after a crash or Ctrl-C sends only the pieces that had not finished.
//
// Prompt continuity: whisper-style models read `prompt` as preceding text. Feeding chunk
// i-1's tail into chunk i makes chunk i wait for chunk i-1, which serialises the work. So the
// previous text is used only when concurrency is 1; with concurrency > 1 every chunk gets the
// pipeline-level `prompt` and the chunks run in parallel.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { extname } from 'node:path';
import { canonicalJson, checkBaseUrl, defineStage, Enum, mapPool, readDiarization, roundMs as round, sha256, sha256File, pieceResult, SpxError, stitch, Type, type PieceResult, type Json, type PreflightContext, type StageContext, type Static } from '@spx/core';
import { encodedBytesPerSecond, type AudioFormat } from '@spx/core/formats';
import { detectSilences, extractSegment, planChunks, probeAudio } from '@spx/plugin-ffmpeg';
import { BASE_URL_VARIABLE, createClient, KEY_VARIABLE, transcribeUpload, UPLOAD_LIMIT_BYTES } from '../client.js';
import { DEFAULT_MODEL, KNOWN_MODELS, modelInfo, type ModelInfo } from '../models.js';
import { tail } from '../prompt.js';
import { groupTurns } from '../turns.js';

const TranscribeParamsSchema = Type.Object(
  {
    audio: Type.String({ minLength: 1, description: 'Audio file to transcribe.' }),
    model: Type.String({ minLength: 1, default: DEFAULT_MODEL, examples: [...KNOWN_MODELS], description: 'Transcription model; unknown names are sent as given.' }),
    mode: Enum(['auto', 'chunks', 'turns'], { default: 'auto', description: 'auto: turns when `turns` is given, else chunks.' }),
    turns: Type.Optional(Type.String({ minLength: 1, description: 'Diarization JSON file (turn mode input).' })),
    language: Type.String({ default: 'auto', description: 'ISO-639-1 code, or auto to let the model detect it.' }),
    prompt: Type.Optional(Type.String({ description: 'Vocabulary or context hint sent with every upload (where the model accepts one).' })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    responseFormat: Type.Optional(Enum(['json', 'verbose_json', 'diarized_json'], { description: 'Override the response format chosen for the model (for compatible servers).' })),
    baseURL: Type.Optional(Type.String({ pattern: '^https?://', description: 'OpenAI-compatible endpoint including /v1; default OPENAI_BASE_URL, then api.openai.com.' })),
    concurrency: Type.Integer({ minimum: 1, maximum: 32, default: 4, description: 'Uploads in flight at once.' }),
    maxDuration: Type.Number({ exclusiveMinimum: 0, default: 600, description: 'Longest upload in seconds; longer audio is split at silences.' }),
    maxBytes: Type.Integer({ minimum: 65536, maximum: UPLOAD_LIMIT_BYTES, default: 20 * 1024 * 1024, description: 'Largest upload in bytes (service limit 25 MiB).' }),
    overlap: Type.Number({ minimum: 0, default: 1, description: 'Seconds chunks share, de-duplicated by word times (word-timestamp models only).' }),
    chunkFormat: Enum(['flac', 'mp3', 'opus', 'wav'], { default: 'flac', description: 'Encoding of uploaded chunks.' }),
    bitrate: Type.Optional(Type.String({ pattern: '^\\d+[kK]?$', description: 'For mp3/opus chunks (default 48k mp3, 32k opus).' })),
    sampleRate: Enum([8000, 12000, 16000, 24000, 48000], { type: 'integer', default: 16000 }),
    silenceDb: Type.Number({ maximum: -1, default: -35, description: 'Silence threshold for cut points, dB.' }),
    minSilence: Type.Number({ exclusiveMinimum: 0, default: 0.4, description: 'Shortest silence used as a cut point, seconds.' }),
    previousTextPrompt: Type.Boolean({ default: true, description: 'With concurrency 1, prompt each upload with the end of the previous text.' }),
    minTurn: Type.Number({ minimum: 0, default: 1, description: 'Turn groups shorter than this (s) are folded into a neighbour.' }),
    maxTurnGap: Type.Number({ minimum: 0, default: 1.5, description: 'Same-speaker turns closer than this (s) are uploaded together.' }),
    turnPadding: Type.Number({ minimum: 0, maximum: 2, default: 0.2, description: 'Audio kept around each turn group, seconds.' }),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, description: 'Attempts per upload (default SPX_RETRY_MAX_ATTEMPTS or 6).' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1000, description: 'Timeout per attempt in ms (default SPX_HTTP_TIMEOUT_MS or 120000).' })),
  },
  { additionalProperties: false },
);

export type TranscribeParams = Static<typeof TranscribeParamsSchema>;

/** Extensions the service accepts as they are (an upload of the original file needs one). */
const UPLOADABLE = new Set(['flac', 'mp3', 'mp4', 'mpeg', 'mpga', 'm4a', 'ogg', 'wav', 'webm']);
const EXTENSION: Record<AudioFormat, string> = { flac: 'flac', mp3: 'mp3', opus: 'ogg', wav: 'wav' };
const DEFAULT_BITRATE: Record<AudioFormat, string | undefined> = { mp3: '48k', opus: '32k', flac: undefined, wav: undefined };

/** A span of the input to upload: a chunk, or a turn group with its speaker. */
interface Piece {
  index: number;
  start: number;
  end: number;
  speaker?: string;
  /** Turn mode: the group's own span (words outside it came from the padding). */
  clip?: { start: number; end: number };
}

interface Plan {
  duration: number;
  /** The input itself is uploaded (small enough, accepted format). */
  direct: boolean;
  pieces: Piece[];
}

export const transcribeStage = defineStage<typeof TranscribeParamsSchema, { transcript: unknown }>({
  description: 'Transcribes audio with the OpenAI audio API (chunked at silences, or per speaker turn) into a Transcript JSON.',
  version: '1',
  pricing: { unit: 'audio minute', usd: 0.006 },
  executionParams: ['concurrency', 'maxAttempts', 'timeoutMs'],
  params: TranscribeParamsSchema,
  outputs: {
    transcript: { kind: 'file', description: 'Transcript JSON (format spx-transcript) with segments, words where the model gives them, and per-chunk provenance.' },
  },
  preflight(ctx: PreflightContext<TranscribeParams>) {
    if (!ctx.env[KEY_VARIABLE]) {
      throw new SpxError('MISSING_API_KEY', `${KEY_VARIABLE} is not set; stage "${ctx.stageId}" (openai/transcribe) needs it.`, {
        hint: `Export ${KEY_VARIABLE}=sk-... (the key is read from the environment only and never stored).`,
        stage: ctx.stageId,
      });
    }
    if (ctx.params.baseURL) checkBaseUrl(ctx.params.baseURL, `baseURL of stage "${ctx.stageId}"`, KEY_VARIABLE, 'PARAMS_INVALID');
    else checkBaseUrl(ctx.env[BASE_URL_VARIABLE], BASE_URL_VARIABLE, KEY_VARIABLE);
    if (ctx.params.mode === 'turns' && !ctx.params.turns) {
      throw new SpxError('PARAMS_INVALID', `Stage "${ctx.stageId}" uses mode turns but has no \`turns\` file.`, {
        hint: 'Pass `turns: ${{ stages.<diarize>.outputs.diarization }}` or use mode chunks.',
        stage: ctx.stageId,
      });
    }
  },
  run,
});

async function run(ctx: StageContext<TranscribeParams>) {
  const p = ctx.params;
  ctx.signal.throwIfAborted();
  const apiKey = ctx.env[KEY_VARIABLE];
  if (!apiKey) ctx.fail('MISSING_API_KEY', `${KEY_VARIABLE} is not set.`, { hint: `Export ${KEY_VARIABLE}=sk-... and run the same command again.` });
  const mode = p.mode === 'auto' ? (p.turns ? 'turns' : 'chunks') : p.mode;
  if (mode === 'turns' && !p.turns) ctx.fail('PARAMS_INVALID', 'Mode turns needs a `turns` file.', { hint: 'Pass the diarization output as `turns:` or use mode chunks.' });
  const model = modelInfo(p.model, p.responseFormat);
  if (!model.known && !p.responseFormat) ctx.logger.info(`Model "${model.id}" is not one this plugin knows; sending it with response_format json (text only).`);
  const language = p.language && p.language !== 'auto' ? p.language : undefined;

  const inputHash = (await sha256File(p.audio).catch((error: unknown) => {
    throw new SpxError('INPUT_MISSING', `Cannot read the audio file "${p.audio}": ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, { hint: 'Check the `audio:` path.', cause: error });
  })).slice(0, 16);
  const format = p.chunkFormat;
  const bitrate = p.bitrate ?? DEFAULT_BITRATE[format];
  // Word-level de-duplication needs word times; text-only models get abutting chunks.
  const overlap = model.timestamps === 'word' ? p.overlap : 0;
  const planKey = sha256(canonicalJson({ mode, maxDuration: p.maxDuration, maxBytes: p.maxBytes, overlap, format, bitrate, sampleRate: p.sampleRate, silenceDb: p.silenceDb, minSilence: p.minSilence, turns: p.turns ? { minTurn: p.minTurn, maxTurnGap: p.maxTurnGap, turnPadding: p.turnPadding } : null })).slice(0, 12);
  const turnsHash = p.turns ? (await sha256File(p.turns).catch(() => 'missing')).slice(0, 12) : '';

  const plan = await ctx.step(`plan:${inputHash}:${planKey}${turnsHash ? `:${turnsHash}` : ''}`, async (): Promise<Plan> => {
    const info = await probeAudio(p.audio, { signal: ctx.signal, env: ctx.env });
    if (mode === 'turns') {
      const diarization = await readDiarization(p.turns!);
      const groups = groupTurns(diarization, { maxGap: p.maxTurnGap, minTurn: p.minTurn, maxDuration: p.maxDuration, padding: p.turnPadding, duration: info.duration });
      const pieces: Piece[] = groups.map((g) => ({ index: g.index, start: round(g.cutStart), end: round(g.cutEnd), speaker: g.speaker, clip: { start: g.start, end: g.end } }));
      return { duration: info.duration, direct: false, pieces };
    }
    const ext = extname(p.audio).slice(1).toLowerCase();
    if (UPLOADABLE.has(ext) && info.bytes <= p.maxBytes && info.duration <= p.maxDuration) {
      return { duration: info.duration, direct: true, pieces: [{ index: 0, start: 0, end: info.duration }] };
    }
    const bytesPerSecond = encodedBytesPerSecond(format, { sampleRate: p.sampleRate, channels: 1, bitrate });
    const needsSplit = info.duration > p.maxDuration || info.duration * bytesPerSecond > p.maxBytes - 4096;
    const silences = needsSplit ? await detectSilences(p.audio, { noiseDb: p.silenceDb, minSilence: p.minSilence, signal: ctx.signal, env: ctx.env, duration: info.duration }) : [];
    const chunks = planChunks({ duration: info.duration, silences, maxDuration: p.maxDuration, maxBytes: p.maxBytes, bytesPerSecond, overlap });
    return { duration: info.duration, direct: false, pieces: chunks.map((c) => ({ index: c.index, start: c.start, end: c.end })) };
  });

  if (mode === 'turns' && plan.pieces.length === 0) ctx.logger.warn('The turns file has no speech turns; the transcript is empty.');
  const client = createClient({
    apiKey: apiKey!,
    env: ctx.env,
    ...(p.baseURL ? { baseURL: p.baseURL } : {}),
    policy: { ...(p.maxAttempts ? { maxAttempts: p.maxAttempts } : {}), ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}) },
    onRetry: (event) => ctx.logger.warn(`OpenAI: ${event.reason}; retry ${event.attempt} in ${event.delayMs} ms`),
  });
  // Everything that changes what the service answers; the model is part of it.
  const requestKey = sha256(canonicalJson({ model: model.id, format: model.responseFormat, language: language ?? null, prompt: p.prompt ?? null, temperature: p.temperature ?? null })).slice(0, 12);
  const total = plan.pieces.length;
  const texts: string[] = new Array<string>(total).fill('');
  let done = 0;
  let sent = 0;
  let uploadedBytes = 0;
  let sentSeconds = 0;
  await mkdir(ctx.artifacts.dir, { recursive: true });
  // Audio of a piece, cut once (at most `concurrency` pieces are held in memory ahead of upload).
  const prepared = new Map<number, Promise<{ bytes: Uint8Array; filename: string }>>();
  const audioFor = (i: number) => {
    let job = prepared.get(i);
    if (!job) {
      job = cutPiece(ctx, p, plan, plan.pieces[i]!, format, bitrate);
      prepared.set(i, job);
    }
    return job;
  };
  ctx.progress({ done: 0, total, message: `${mode === 'turns' ? 'turn group' : 'chunk'} 0/${total}` });

  let results: PieceResult[];
  try {
    results = await mapPool(
      plan.pieces,
      p.concurrency,
      async (piece, i) => {
        const label = `${mode === 'turns' ? 'turn group' : 'chunk'} ${i + 1}/${total} (${piece.start.toFixed(1)}-${piece.end.toFixed(1)} s)`;
        const stored = await ctx.step(
          `${mode}:${inputHash}:${planKey}:${requestKey}:${piece.index}`,
          async (): Promise<PieceResult> => {
            const { bytes, filename } = await audioFor(i);
            prepared.delete(i);
            // While this upload waits on the network, cut the piece this worker is likely to take next.
            if (!plan.direct && i + p.concurrency < total) void audioFor(i + p.concurrency).catch(() => undefined);
            const prompt = promptFor(p, model, texts, i);
            const answer = await linked(ctx.signal, (signal) =>
              transcribeUpload(client, { bytes, filename, model, signal, label, ...(language ? { language } : {}), ...(prompt ? { prompt } : {}), ...(p.temperature !== undefined ? { temperature: p.temperature } : {}) }),
            );
            sent++;
            uploadedBytes += bytes.byteLength;
            sentSeconds += piece.end - piece.start;
            ctx.usage((piece.end - piece.start) / 60);
            return pieceResult({ ...piece, sha256: sha256(bytes), bytes: bytes.byteLength }, answer);
          },
          { paid: true },
        );
        texts[i] = stored.text;
        done++;
        ctx.progress({ done, total, message: `${mode === 'turns' ? 'turn group' : 'chunk'} ${done}/${total}` });
        return stored;
      },
      ctx.signal,
    );
  } finally {
    // No cut keeps running after the stage returns (a look-ahead whose piece was reused or never reached).
    await Promise.allSettled(prepared.values());
  }

  const clip = new Map(plan.pieces.filter((piece) => piece.clip).map((piece) => [piece.index, piece.clip!]));
  const detected = results.find((r) => r.language)?.language;
  const timestamps = mode === 'turns' ? (model.timestamps === 'word' ? 'word' : 'segment') : model.timestamps;
  const transcript = stitch(results, { engine: 'openai', model: model.id, language: language ?? detected, timestamps, duration: plan.duration, mode, clip });
  if (model.diarizes && mode === 'chunks' && total > 1) ctx.logger.warn('Speaker labels of a diarizing model are per chunk (prefixed c<chunk>-); use turn mode for consistent speakers.');
  const ref = await ctx.artifacts.write('transcript.json', `${JSON.stringify(transcript, null, 2)}\n`, 'application/json');
  const minutes = plan.pieces.reduce((sum, piece) => sum + (piece.end - piece.start), 0) / 60;
  return {
    outputs: { transcript: ref },
    metadata: {
      model: model.id,
      mode,
      timestamps,
      pieces: total,
      piecesSent: sent,
      piecesReused: total - sent,
      audioMinutes: round(minutes),
      minutesSent: round(sentSeconds / 60),
      uploadedBytes,
      ...(model.usdPerMinute !== undefined ? { estimatedUsd: round(minutes * model.usdPerMinute) } : {}),
      segments: transcript.segments.length,
      ...(transcript.language ? { language: transcript.language } : {}),
    } satisfies Record<string, Json>,
  };
}

/** The bytes to upload for `piece`: the input itself, or a re-encoded cut of it. */
async function cutPiece(ctx: StageContext<TranscribeParams>, p: TranscribeParams, plan: Plan, piece: Piece, format: AudioFormat, bitrate: string | undefined): Promise<{ bytes: Uint8Array; filename: string }> {
  if (plan.direct) return { bytes: await readFile(p.audio), filename: `audio${extname(p.audio).toLowerCase()}` };
  const filename = `chunk-${String(piece.index).padStart(4, '0')}.${EXTENSION[format]}`;
  const tmp = ctx.artifacts.tmpPath(filename);
  try {
    await linked(ctx.signal, (signal) => extractSegment({ input: p.audio, output: tmp, start: piece.start, end: piece.end, format, sampleRate: p.sampleRate, channels: 1, ...(bitrate ? { bitrate } : {}), signal, env: ctx.env }));
    return { bytes: await readFile(tmp), filename };
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Runs `fn` with a child of `parent` that stops listening when `fn` ends, so a long run with
 * hundreds of uploads does not pile abort listeners onto the stage's signal.
 */
async function linked<T>(parent: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const child = new AbortController();
  const forward = () => child.abort(parent.reason);
  if (parent.aborted) forward();
  else parent.addEventListener('abort', forward, { once: true });
  try {
    return await fn(child.signal);
  } finally {
    parent.removeEventListener('abort', forward);
  }
}

/** Whether uploads are prompted with the previous upload's text (see the note at the top). */
function chainPrompts(p: TranscribeParams, model: ModelInfo): boolean {
  return p.previousTextPrompt && p.concurrency === 1 && model.prompt;
}

function promptFor(p: TranscribeParams, model: ModelInfo, texts: string[], i: number): string | undefined {
  if (!model.prompt) return undefined;
  const previous = chainPrompts(p, model) && i > 0 ? tail(texts[i - 1] ?? '') : '';
  const prompt = [p.prompt?.trim(), previous].filter(Boolean).join(' ');
  return prompt || undefined;
}
