// assemblyai/transcribe: checks the file against AssemblyAI's limits, uploads it once, creates
// one transcript job with speaker labels (its id checkpointed before any poll), polls it to the
// end, and writes a canonical Transcript with word timestamps and SPEAKER_nn labels.
import { basename } from 'node:path';
import { SpxError, Type, checkBaseUrl, defaultRetryPolicy, defineStage, runRemoteJob, writeTranscriptFiles, type FileRef, type Pricing, type Static } from '@spx/core';
import { checkedUpload } from '@spx/plugin-ffmpeg';
import { AssemblyAIClient, BASE_URL_VARIABLE, KEY_VARIABLE, SERVICE, type TranscriptRequest } from '../client.js';
import { transcriptFromResult } from '../convert.js';
import { jobState, uploadAudio, type JobRecord } from '../jobs.js';

/** Today's documented pair (2026): Universal-3.5 Pro, falling back to Universal-2 for its other languages. */
export const DEFAULT_SPEECH_MODELS = ['universal-3-5-pro', 'universal-2'];

/** The API's limits: upload body 2.2 GB, 10 hours, at least 160 ms. */
export const LIMITS = { maxBytes: 2_200_000_000, maxSeconds: 10 * 3600, minSeconds: 0.16 };

/**
 * An estimate: $0.21 per audio hour for Universal-3 Pro (published; Universal-3.5 Pro kept that
 * rate, unconfirmed) plus $0.02 for speaker labels (unconfirmed). Override with `pricing:`.
 */
export const PRICING: Pricing = { unit: 'audio hour', usd: 0.23 };

const TranscribeParamsSchema = Type.Object(
  {
    audio: Type.String({ minLength: 1, description: 'Audio file to transcribe (e.g. ${{ stages.convert.outputs.audio }}).' }),
    speechModels: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: DEFAULT_SPEECH_MODELS, description: 'speech_models in priority order; the API falls back to the next one for languages a model lacks.' }),
    languageCode: Type.Optional(Type.String({ minLength: 2, description: 'Language such as "en" or "es"; default: detected.' })),
    speakersExpected: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, description: 'Exact number of speakers, when certain.' })),
    minSpeakers: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    maxSpeakers: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    pollIntervalMs: Type.Integer({ minimum: 1, default: 3000, description: 'First delay between polls; grows by half each poll.' }),
    maxPollIntervalMs: Type.Integer({ minimum: 1, default: 15_000, description: 'Longest delay between polls.' }),
    pollTimeoutMs: Type.Integer({ minimum: 1, default: 1_800_000, description: 'Deadline for one wait on the job (default 30 min); a rerun keeps waiting on the same job.' }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1000, description: 'Timeout per HTTP request in ms (default SPX_HTTP_TIMEOUT_MS or 120000); raise it for large uploads on slow links.' })),
  },
  { additionalProperties: false },
);

export type TranscribeParams = Static<typeof TranscribeParamsSchema>;

export interface TranscribeOutputs extends Record<string, unknown> {
  transcript: FileRef;
  raw: FileRef;
  transcriptId: string;
  speakers: string[];
  language: string | null;
}

export const transcribeStage = defineStage<typeof TranscribeParamsSchema, TranscribeOutputs>({
  description: 'Transcription with speaker labels and word timestamps by the AssemblyAI API (one async job).',
  version: '1',
  pricing: PRICING,
  executionParams: ['pollIntervalMs', 'maxPollIntervalMs', 'pollTimeoutMs', 'timeoutMs'],
  params: TranscribeParamsSchema,
  outputs: {
    transcript: { kind: 'file', description: 'Canonical spx Transcript: one segment per speaker turn, word timestamps, SPEAKER_nn labels.' },
    raw: { kind: 'file', description: 'The completed job as the API returned it (id, status, words, utterances, duration, language, model).' },
    transcriptId: { kind: 'json', description: 'AssemblyAI transcript id.' },
    speakers: { kind: 'json', description: 'Speaker labels in order of first appearance.' },
    language: { kind: 'json', description: 'Language code the API reported, or null.' },
  },
  preflight(ctx) {
    if (!ctx.env[KEY_VARIABLE]?.trim()) throw missingKey();
    checkBaseUrl(ctx.env[BASE_URL_VARIABLE], BASE_URL_VARIABLE, KEY_VARIABLE);
    checkSpeakers(ctx.params);
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const p = ctx.params;
    checkSpeakers(p);
    const apiKey = ctx.env[KEY_VARIABLE]?.trim();
    if (!apiKey) throw missingKey();
    const client = new AssemblyAIClient({
      apiKey,
      baseURL: ctx.env[BASE_URL_VARIABLE]?.trim() || undefined,
      signal: ctx.signal,
      policy: { ...defaultRetryPolicy(ctx.env), ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}) },
      timeoutSetting: 'timeoutMs',
      onRetry: (event) => ctx.logger.warn(`${SERVICE}: ${event.reason}; retrying in ${event.delayMs} ms (attempt ${event.attempt + 1}).`),
    });
    const audio = await checkedUpload(p.audio, LIMITS, SERVICE, ctx);
    const name = basename(audio.path);
    const uploadUrl = await uploadAudio(client, ctx.step, audio.path, audio.sha256, ctx.logger);
    const request = transcriptRequest(p, uploadUrl);
    const { id, value, submittedHere } = await runRemoteJob({
      ctx,
      service: SERVICE,
      noun: 'transcript',
      what: `transcription of ${name}`,
      key: `transcript/${audio.sha256.slice(0, 24)}/job`,
      paid: true,
      schedule: { intervalMs: p.pollIntervalMs, maxIntervalMs: Math.max(p.pollIntervalMs, p.maxPollIntervalMs), timeoutMs: p.pollTimeoutMs, timeoutSetting: 'pollTimeoutMs' },
      submit: async () => {
        const created = await client.create(request);
        const record: JobRecord = { id: created.id, submittedAt: new Date().toISOString() };
        return { record };
      },
      idOf: (record) => record.id,
      poll: async (jobId) => jobState(await client.get(jobId), jobId),
    });
    const transcript = transcriptFromResult(value, { requestedModels: p.speechModels, ...(audio.duration === undefined ? {} : { duration: audio.duration }) });
    if (submittedHere) ctx.usage((transcript.duration ?? 0) / 3600);
    const { transcript: file, raw, speakers, language } = await writeTranscriptFiles(ctx, transcript, { name: 'assemblyai-transcript.json', answer: value });
    const outputs: TranscribeOutputs = { transcript: file, raw, transcriptId: id, speakers, language };
    return { outputs, metadata: { transcriptId: id, model: transcript.model ?? null, segments: transcript.segments.length, speakers: speakers.length } };
  },
});

function missingKey(): SpxError {
  return new SpxError('MISSING_API_KEY', `${KEY_VARIABLE} is not set; assemblyai/transcribe needs it.`, {
    hint: `Create a key at https://www.assemblyai.com/dashboard and export ${KEY_VARIABLE}=… before running (it is read from the environment only, never stored).`,
  });
}

function checkSpeakers(p: Partial<TranscribeParams>): void {
  if (p.minSpeakers !== undefined && p.maxSpeakers !== undefined && p.minSpeakers > p.maxSpeakers) {
    throw new SpxError('PARAMS_INVALID', `minSpeakers (${p.minSpeakers}) is greater than maxSpeakers (${p.maxSpeakers}).`, { hint: 'Make minSpeakers ≤ maxSpeakers, or set speakersExpected alone.' });
  }
  if (p.speakersExpected !== undefined && (p.minSpeakers !== undefined || p.maxSpeakers !== undefined)) {
    throw new SpxError('PARAMS_INVALID', 'speakersExpected is set together with minSpeakers/maxSpeakers.', { hint: 'Set speakersExpected alone when the count is certain, else only minSpeakers/maxSpeakers.' });
  }
}

export function transcriptRequest(p: TranscribeParams, audioUrl: string): TranscriptRequest {
  const range = p.minSpeakers !== undefined || p.maxSpeakers !== undefined;
  return {
    audio_url: audioUrl,
    speech_models: [...p.speechModels],
    speaker_labels: true,
    punctuate: true,
    format_text: true,
    ...(p.languageCode ? { language_code: p.languageCode } : { language_detection: true }),
    ...(p.speakersExpected !== undefined ? { speakers_expected: p.speakersExpected } : {}),
    ...(range ? { speaker_options: { ...(p.minSpeakers !== undefined ? { min_speakers_expected: p.minSpeakers } : {}), ...(p.maxSpeakers !== undefined ? { max_speakers_expected: p.maxSpeakers } : {}) } } : {}),
  };
}
