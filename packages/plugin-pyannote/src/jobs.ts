// Crash-safe remote jobs. The job id is checkpointed the moment the API returns it, so a
// crash while polling resumes polling the same job and never pays for a second one. When
// the API says the job is gone (unknown, expired, output deleted) a new one is submitted
// under the next generation key, with a warning. A job that failed in an earlier process is
// resubmitted on rerun (the earlier run already reported its reason); one that fails in this
// process is reported as API_JOB_FAILED.
import { extname } from 'node:path';
import { SpxError, type Json, type Logger, type Memo } from '@spx/core';
import { SERVICE, type JobEnd, type PyannoteClient, type WaitOptions } from './client.js';

/** ctx.step or ctx.cache: a memoized sub-step. */
export type { Memo } from '@spx/core';

/** The API keeps uploads "at least 24 hours"; reuse ours for a safe part of that. */
export const MEDIA_REUSE_MS = 20 * 3600 * 1000;

/** Bound on resubmissions in one call (each replayed generation costs one GET). */
const MAX_GENERATIONS = 6;

export interface RemoteJobOptions<T extends Json, O> {
  client: PyannoteClient;
  memo: Memo;
  logger: Logger;
  signal: AbortSignal;
  /** Prefix of the sub-step keys, e.g. "diarize/<sha>". */
  key: string;
  /** What the job does, for messages ("diarization of call.wav"). */
  what: string;
  /** Whether the job-id step counts as a paid call (false when an outer step already does). */
  paid: boolean;
  wait: WaitOptions;
  /** Sends the job; returns its id. */
  submit: () => Promise<string>;
  /** Called once per job this process submitted (usage accounting). */
  onSubmitted?: (jobId: string) => void;
  /** Turns a succeeded job's output into the JSON value kept as a checkpoint. */
  extract: (output: O) => T;
}

export interface RemoteJobResult<T> {
  jobId: string;
  value: T;
  /** True when this process submitted the job that produced the value. */
  submittedHere: boolean;
}

class JobEnded extends Error {
  constructor(readonly end: Exclude<JobEnd<unknown>, { kind: 'succeeded' }>) {
    super(end.reason);
  }
}

export async function runRemoteJob<T extends Json, O>(options: RemoteJobOptions<T, O>): Promise<RemoteJobResult<T>> {
  const { memo, logger, key } = options;
  for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
    options.signal.throwIfAborted();
    let submittedHere = false;
    const job = await memo(
      `${key}/job/${generation}`,
      async () => {
        const jobId = await options.submit();
        submittedHere = true;
        return { jobId, submittedAt: new Date().toISOString() };
      },
      { paid: options.paid },
    );
    if (submittedHere) {
      logger.info(`${SERVICE} job ${job.jobId} submitted (${options.what}).`);
      options.onSubmitted?.(job.jobId);
    } else {
      logger.info(`Resuming ${SERVICE} job ${job.jobId} submitted at ${job.submittedAt} (${options.what}).`);
    }
    try {
      const value = await memo(`${key}/result/${job.jobId}`, async () => {
        const end = await options.client.waitForJob<O>(job.jobId, options.wait);
        if (end.kind !== 'succeeded') throw new JobEnded(end);
        return options.extract(end.output);
      });
      return { jobId: job.jobId, value, submittedHere };
    } catch (error) {
      if (!(error instanceof JobEnded)) throw error;
      const end = error.end;
      if (end.kind === 'gone') {
        logger.warn(`${SERVICE} job ${job.jobId} is gone or expired (${end.reason}); submitting a new one.`);
        continue;
      }
      if (!submittedHere) {
        logger.warn(`${SERVICE} job ${job.jobId} from an earlier run ${end.kind === 'failed' ? 'failed' : 'was canceled'} (${end.reason}); submitting a new one.`);
        continue;
      }
      throw new SpxError('API_JOB_FAILED', `${SERVICE} job ${job.jobId} (${options.what}) ${end.kind === 'failed' ? 'failed' : 'was canceled'}: ${end.reason}`, {
        hint: end.kind === 'failed' ? 'Check that the audio is a valid recording the service accepts; running the same command again submits a new job.' : 'Run the same command again to submit a new job.',
      });
    }
  }
  throw new SpxError('API_JOB_FAILED', `${SERVICE} lost ${MAX_GENERATIONS} jobs in a row (${options.what}); giving up.`, {
    hint: 'Check the service status, then run the same command again.',
    retryable: true,
  });
}

/** media:// key for a file: content-addressed, so the same audio maps to the same key. */
export function mediaKeyFor(sha256: string, path: string): string {
  const ext = extname(path).toLowerCase().replace(/[^a-z0-9.]/g, '');
  return `media://spx/${sha256}${ext.length > 1 && ext.length <= 6 ? ext : ''}`;
}

export interface UploadRecord extends Record<string, Json> {
  media: string;
  uploadedAt: number;
}

/** Uploads a file to pyannoteAI's temporary storage once; reused while the upload is still kept. */
export async function uploadOnce(client: PyannoteClient, memo: Memo, path: string, sha256: string, logger: Logger): Promise<string> {
  const record = await memo<UploadRecord>(
    `upload/${sha256}`,
    async () => {
      const media = await client.upload(path, mediaKeyFor(sha256, path));
      logger.info(`Uploaded ${path} to ${SERVICE} temporary storage as ${media}.`);
      return { media, uploadedAt: Date.now() };
    },
    { reuseIf: (value) => typeof (value as UploadRecord).uploadedAt === 'number' && Date.now() - (value as UploadRecord).uploadedAt < MEDIA_REUSE_MS },
  );
  return record.media;
}
