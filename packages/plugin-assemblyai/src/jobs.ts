// AssemblyAI as an adapter of @spx/core's remote-job kit: the file is uploaded once (kept as a
// sub-step while AssemblyAI keeps it), the transcript job's id is checkpointed the moment the
// create answer arrives, and a resumed run polls that same job. AssemblyAI bills audio processed,
// not waiting time, and has no cancel call (DELETE only removes data), so at the deadline the job
// keeps running and a rerun collects it (docs/writing-plugins.md, "The timeout policy").
import { uploadKeptFor, type JobState, type Logger, type Memo } from '@spx/core';
import { SERVICE, type AssemblyAIClient, type ApiTranscript } from './client.js';

/** The stored job record (sub-step `transcript/<sha256 prefix>/job`). */
export interface JobRecord {
  id: string;
  submittedAt: string;
}

/** An upload that is never transcribed is deleted after 24 h. */
export const UPLOAD_KEPT_MS = 24 * 3600 * 1000;

/** Uploads a file once; the stored upload_url (`{ uploadUrl, uploadedAt }`) is reused while AssemblyAI still keeps it. */
export function uploadAudio(client: AssemblyAIClient, memo: Memo, path: string, sha256: string, logger: Logger): Promise<string> {
  return uploadKeptFor({
    memo,
    key: `upload/${sha256}`,
    field: 'uploadUrl',
    keptMs: UPLOAD_KEPT_MS,
    upload: async () => {
      const uploadUrl = await client.upload(path);
      logger.info(`Uploaded ${path} to ${SERVICE}.`);
      return uploadUrl;
    },
  });
}

/** What the API says about a job, as the kit reads it; the value keeps only what the stage needs. */
export function jobState(transcript: ApiTranscript | undefined, id: string): JobState<ApiTranscript> {
  if (!transcript) return { state: 'gone', reason: `${SERVICE} does not know transcript ${id}` };
  switch (transcript.status) {
    case 'completed':
      // A deleted transcript stays "completed" with its words removed.
      if (!Array.isArray(transcript.words)) return { state: 'gone', reason: `transcript ${id} no longer holds its words (deleted)` };
      return { state: 'succeeded', status: 'completed', value: kept(transcript) };
    case 'error':
      return { state: 'failed', status: 'error', reason: typeof transcript.error === 'string' && transcript.error ? transcript.error : 'no reason given' };
    default:
      return { state: 'pending', status: transcript.status };
  }
}

function kept(t: ApiTranscript): ApiTranscript {
  return {
    id: t.id,
    status: t.status,
    words: t.words ?? null,
    utterances: t.utterances ?? null,
    audio_duration: t.audio_duration ?? null,
    language_code: t.language_code ?? null,
    speech_model_used: t.speech_model_used ?? null,
  };
}
