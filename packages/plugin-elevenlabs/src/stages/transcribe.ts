// elevenlabs/transcribe: checks the file against Scribe's limits, sends it in one multipart
// request (synchronous: the answer is the transcript), checkpoints the answer as a paid sub-step
// the moment it arrives, and writes a canonical Transcript with word timestamps and SPEAKER_nn.
import { basename, extname } from 'node:path';
import { SpxError, Type, checkBaseUrl, defaultRetryPolicy, defineStage, writeTranscriptFiles, type FileRef, type Pricing, type Static } from '@spx/core';
import { MEDIA_TYPES, checkedUpload } from '@spx/plugin-ffmpeg';
import { BASE_URL_VARIABLE, KEY_VARIABLE, SERVICE, ScribeClient, type ApiTranscription } from '../client.js';
import { transcriptFromScribe } from '../convert.js';

export const DEFAULT_MODEL = 'scribe_v2';

/** Scribe's limits: a file under 5 GB, at least 100 ms, up to 10 hours (the 2025 figure; current value unconfirmed). */
export const LIMITS = { maxBytes: 5_000_000_000 - 1, maxSeconds: 10 * 3600, minSeconds: 0.1 };

/** An estimate: $0.22 per audio hour for Scribe batch (2026, third-party; unconfirmed). Override with `pricing:`. */
export const PRICING: Pricing = { unit: 'audio hour', usd: 0.22 };

const TranscribeParamsSchema = Type.Object(
  {
    audio: Type.String({ minLength: 1, description: 'Audio file to transcribe (e.g. ${{ stages.convert.outputs.audio }}).' }),
    model: Type.String({ minLength: 1, default: DEFAULT_MODEL, description: 'model_id: scribe_v2 (default) or scribe_v1.' }),
    diarize: Type.Boolean({ default: true, description: 'Label speakers (speaker ids become SPEAKER_nn).' }),
    numSpeakers: Type.Optional(Type.Integer({ minimum: 1, maximum: 32, description: 'Most speakers to tell apart; default: the model decides.' })),
    diarizationThreshold: Type.Optional(Type.Number({ minimum: 0.1, maximum: 0.4, description: 'Higher: fewer speakers. Only with diarize and without numSpeakers.' })),
    languageCode: Type.Optional(Type.String({ minLength: 2, maxLength: 3, description: 'ISO 639-1 or -3 code; default: detected.' })),
    tagAudioEvents: Type.Boolean({ default: false, description: 'Ask for audio events such as "(laughter)"; they are kept as words.' }),
    timeoutMs: Type.Integer({ minimum: 1000, default: 900_000, description: 'How long the one synchronous request may take (default 15 min); a timeout is not retried.' }),
  },
  { additionalProperties: false },
);

export type TranscribeParams = Static<typeof TranscribeParamsSchema>;

export interface TranscribeOutputs extends Record<string, unknown> {
  transcript: FileRef;
  raw: FileRef;
  transcriptionId: string | null;
  speakers: string[];
  language: string | null;
}

export const transcribeStage = defineStage<typeof TranscribeParamsSchema, TranscribeOutputs>({
  description: 'Transcription with speaker labels and word timestamps by ElevenLabs Scribe (one synchronous request).',
  version: '1',
  pricing: PRICING,
  executionParams: ['timeoutMs'],
  params: TranscribeParamsSchema,
  outputs: {
    transcript: { kind: 'file', description: 'Canonical spx Transcript: one segment per speaker turn, word timestamps, confidence from logprob, SPEAKER_nn labels.' },
    raw: { kind: 'file', description: 'The answer as the API returned it (spacing and audio_event tokens included).' },
    transcriptionId: { kind: 'json', description: 'ElevenLabs transcription id, or null when the answer has none.' },
    speakers: { kind: 'json', description: 'Speaker labels in order of first appearance.' },
    language: { kind: 'json', description: 'Language code the API reported (2 or 3 letters), or null.' },
  },
  preflight: (ctx) => void checkedSetup(ctx.env, ctx.params),
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const p = ctx.params;
    const apiKey = checkedSetup(ctx.env, p);
    const audio = await checkedUpload(p.audio, LIMITS, SERVICE, ctx);
    const client = new ScribeClient({
      apiKey,
      baseURL: ctx.env[BASE_URL_VARIABLE]?.trim() || undefined,
      signal: ctx.signal,
      policy: { ...defaultRetryPolicy(ctx.env), timeoutMs: p.timeoutMs },
      timeoutSetting: 'timeoutMs',
      onRetry: (event) => ctx.logger.warn(`${SERVICE}: ${event.reason}; retrying in ${event.delayMs} ms (attempt ${event.attempt + 1}).`),
    });
    let paidHere = false;
    const answer = await ctx.step(
      `scribe/${audio.sha256.slice(0, 24)}`,
      async (): Promise<ApiTranscription> => {
        ctx.progress({ done: 0, total: 1, message: `transcribing ${basename(audio.path)}` });
        const result = await client.transcribe({
          path: audio.path,
          mediaType: MEDIA_TYPES[extname(audio.path).slice(1).toLowerCase() as keyof typeof MEDIA_TYPES] ?? 'application/octet-stream',
          modelId: p.model,
          diarize: p.diarize,
          tagAudioEvents: p.tagAudioEvents,
          ...(p.numSpeakers !== undefined ? { numSpeakers: p.numSpeakers } : {}),
          ...(p.diarizationThreshold !== undefined ? { diarizationThreshold: p.diarizationThreshold } : {}),
          ...(p.languageCode ? { languageCode: p.languageCode } : {}),
        });
        paidHere = true;
        return result;
      },
      { paid: true },
    );
    const transcript = transcriptFromScribe(answer, { model: p.model, diarized: p.diarize, audioEvents: p.tagAudioEvents, ...(audio.duration === undefined ? {} : { duration: audio.duration }) });
    if (paidHere) ctx.usage((transcript.duration ?? 0) / 3600);
    const { transcript: file, raw, speakers, language } = await writeTranscriptFiles(ctx, transcript, { name: 'elevenlabs-transcription.json', answer });
    const outputs: TranscribeOutputs = { transcript: file, raw, transcriptionId: typeof answer.transcription_id === 'string' ? answer.transcription_id : null, speakers, language };
    return { outputs, metadata: { transcriptionId: outputs.transcriptionId, model: p.model, segments: transcript.segments.length, speakers: speakers.length } };
  },
});

/** The key (from the run's environment only), a base URL without credentials, consistent diarization params. */
function checkedSetup(env: Readonly<Record<string, string | undefined>>, p: Partial<TranscribeParams>): string {
  const apiKey = env[KEY_VARIABLE]?.trim();
  if (!apiKey) {
    throw new SpxError('MISSING_API_KEY', `${KEY_VARIABLE} is not set; elevenlabs/transcribe needs it.`, {
      hint: `Create a key at https://elevenlabs.io/app/settings/api-keys and export ${KEY_VARIABLE}=… before running (it is read from the environment only, never stored).`,
    });
  }
  checkBaseUrl(env[BASE_URL_VARIABLE], BASE_URL_VARIABLE, KEY_VARIABLE);
  if (p.diarizationThreshold !== undefined && (p.diarize === false || p.numSpeakers !== undefined)) {
    throw new SpxError('PARAMS_INVALID', 'diarizationThreshold applies only with diarize: true and without numSpeakers.', { hint: 'Remove diarizationThreshold, or set diarize: true and leave numSpeakers out.' });
  }
  return apiKey;
}
