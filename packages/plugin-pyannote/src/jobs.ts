// pyannoteAI as an adapter of @spx/core's remote-job kit: how a job is read, recorded and keyed,
// and media uploaded once to the API's temporary storage. Waiting, resuming, replacing lost jobs
// and the deadline are the kit's (docs/writing-plugins.md, "Calling an async job API"). The API
// has no cancel call, so at the deadline a job keeps running and a rerun waits for it again.
import { extname } from 'node:path';
import { storedValue, uploadKeptFor, type JobState, type Logger, type Memo, type RemoteJobOptions, type Submitted } from '@spx/core';
import { SERVICE, type Job, type JobCreated, type PyannoteClient } from './client.js';

/** The stored job record (checkpoint format: `<prefix>/job/<n>` → `{ jobId, submittedAt }`). */
export interface JobRecord {
  jobId: string;
  submittedAt: string;
}

/** What runRemoteJob needs to know of every pyannoteAI job; `read` turns a succeeded output into the kept value. */
export function pyannoteJob<O, T>(client: PyannoteClient, read: (output: O) => T): Pick<RemoteJobOptions<JobRecord, T>, 'service' | 'idOf' | 'poll'> {
  return {
    service: SERVICE,
    idOf: (record) => record.jobId,
    poll: async (id) => jobState(await client.getJob<O>(id), id, read),
  };
}

export function jobState<O, T>(job: Job<O> | undefined, id: string, read: (output: O) => T): JobState<T> {
  if (!job) return { state: 'gone', reason: `${SERVICE} answered 404 for job ${id} (unknown or expired)` };
  if (job.status === 'succeeded') {
    return job.output ? { state: 'succeeded', status: job.status, value: read(job.output) } : { state: 'gone', reason: `job ${id} succeeded but its output is no longer available` };
  }
  if (job.status === 'failed' || job.status === 'canceled') {
    const reason = typeof job.output?.error === 'string' && job.output.error ? job.output.error : job.status === 'canceled' ? 'the job was canceled' : 'no reason given';
    return { state: job.status, status: job.status, reason };
  }
  return { state: 'pending', status: job.status };
}

/** The record of a job the API just created (its warning, if any, is logged). */
export function submitted(created: JobCreated, logger: Logger): Submitted<JobRecord, never> {
  if (typeof created.warning === 'string' && created.warning) logger.warn(`${SERVICE}: ${created.warning}`);
  return { record: { jobId: created.jobId, submittedAt: new Date().toISOString() } };
}

/**
 * Where the job record of `prefix` lives: `<prefix>/job/0`, or the newest slot of a checkpoint
 * written when each resubmission took the next slot (job/1 … job/5), so such a run resumes.
 */
export async function jobKey(memo: Memo, prefix: string): Promise<string> {
  let slot = 0;
  while (slot < 5 && (await storedValue(memo, `${prefix}/job/${slot + 1}`)) !== undefined) slot++;
  return `${prefix}/job/${slot}`;
}

export const resultKey = (prefix: string) => (jobId: string) => `${prefix}/result/${jobId}`;

/** The API keeps uploads "at least 24 hours"; ours are reused for 20 of them. */
export const MEDIA_KEPT_MS = 24 * 3600 * 1000;
export const MEDIA_REUSE_MS = 20 * 3600 * 1000;

/** media:// key for a file: content-addressed, so the same audio maps to the same key. */
export function mediaKeyFor(sha256: string, path: string): string {
  const ext = extname(path).toLowerCase().replace(/[^a-z0-9.]/g, '');
  return `media://spx/${sha256}${ext.length > 1 && ext.length <= 6 ? ext : ''}`;
}

/** Uploads a file to pyannoteAI's temporary storage once (`{ media, uploadedAt }`); reused while the upload is still kept. */
export function uploadMedia(client: PyannoteClient, memo: Memo, path: string, sha256: string, logger: Logger): Promise<string> {
  return uploadKeptFor({
    memo,
    key: `upload/${sha256}`,
    field: 'media',
    keptMs: MEDIA_KEPT_MS,
    marginMs: MEDIA_KEPT_MS - MEDIA_REUSE_MS,
    upload: async () => {
      const media = await client.upload(path, mediaKeyFor(sha256, path));
      logger.info(`Uploaded ${path} to ${SERVICE} temporary storage as ${media}.`);
      return media;
    },
  });
}
