// Replicate as an adapter of @spx/core's remote-job kit: what a prediction's state means, the
// record kept for it, the audio reference sent with it (inline, or uploaded once), and the
// seconds it is billed for. Waiting, resuming, replacing and the deadline are the kit's.
import { readFile } from 'node:fs/promises';
import { excerpt, uploadOnce, type JobState, type Logger, type Memo } from '@spx/core';
import type { Prediction, ReplicateClient } from './client.js';

/** The stored value of the `prediction:<sha>` sub-step (checkpoint format). */
export interface PredictionRecord {
  id: string;
  model: string;
  version: string;
}

/** The kit's view of a prediction. One that succeeded without its output (removed after an hour) is gone. */
export function predictionState(prediction: Prediction | undefined, logger: Logger): JobState<Prediction> {
  if (!prediction) return { state: 'gone', reason: 'unknown to Replicate, HTTP 404' };
  const { status } = prediction;
  if (status === 'succeeded') return prediction.data_removed || prediction.output == null ? { state: 'gone', reason: 'it succeeded but its output was removed' } : { state: 'succeeded', status, value: prediction };
  if (status === 'failed') {
    const tail = typeof prediction.logs === 'string' ? prediction.logs.trim().split('\n').slice(-5).join(' | ') : '';
    if (tail) logger.debug(`prediction ${prediction.id} logs: ${tail}`);
    return { state: 'failed', status, reason: excerpt(typeof prediction.error === 'string' && prediction.error ? prediction.error : status, 300) };
  }
  if (status === 'canceled' || status === 'aborted') return { state: 'canceled', status, reason: `the prediction was ${status}` };
  return { state: 'pending', status };
}

/** Billed seconds: metrics.predict_time, else completed_at − started_at, else 0. */
export function predictSeconds(prediction: Prediction): number {
  const reported = prediction.metrics?.predict_time;
  if (typeof reported === 'number' && Number.isFinite(reported) && reported >= 0) return reported;
  const started = prediction.started_at ? Date.parse(prediction.started_at) : NaN;
  const completed = prediction.completed_at ? Date.parse(prediction.completed_at) : NaN;
  return Number.isFinite(started) && Number.isFinite(completed) && completed >= started ? (completed - started) / 1000 : 0;
}

/** The stored value of the `upload:<sha>` sub-step. */
interface UploadRecord {
  url: string;
  expiresAt: string | null;
}

export interface AudioFile {
  path: string;
  bytes: number;
  sha256: string;
  mediaType: string;
}

/** A data URI of the file's bytes. */
export async function dataUri(file: AudioFile): Promise<string> {
  return `data:${file.mediaType};base64,${(await readFile(file.path)).toString('base64')}`;
}

/** The files API URL of the audio, uploaded once and reused while it has 10 minutes left. */
export async function uploadedUrl(client: ReplicateClient, memo: Memo, file: AudioFile, progress: (message: string) => void): Promise<string> {
  const record = await uploadOnce({
    memo,
    key: `upload:${file.sha256.slice(0, 16)}`,
    upload: async (): Promise<UploadRecord> => {
      progress(`uploading ${file.bytes} bytes`);
      const uploaded = await client.uploadFile(file.path, file.mediaType, { sha256: file.sha256 });
      return { url: uploaded.urls.get, expiresAt: uploaded.expires_at ?? null };
    },
    expiresAt: (r) => (typeof r.url !== 'string' ? Number.NaN : typeof r.expiresAt === 'string' && r.expiresAt ? Date.parse(r.expiresAt) : null),
  });
  return record.url;
}
