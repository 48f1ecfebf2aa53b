// A complete async-job stage on @spx/core's remote-job kit: upload once, submit, poll, resume.
// "Shout" is a made-up service that upper-cases a text file, taking its time. This file is shown
// in docs/writing-plugins.md and run by packages/core/test/remote/example.test.ts.
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import {
  SpxError, Type, apiError, defaultRetryPolicy, definePlugin, defineStage, fetchWithRetry,
  readJson, runRemoteJob, serviceRoot, sha256File, uploadOnce, type JobState,
} from '@spx/core';

const SERVICE = 'Shout';
const KEY = 'SHOUT_API_KEY';

interface ShoutJob { id: string; status: 'queued' | 'running' | 'done' | 'error' | 'canceled'; text?: string; error?: string }

/** The service's four calls. Keys and base URL come from ctx.env, never from process.env. */
export function shoutApi(env: Readonly<Record<string, string | undefined>>, signal: AbortSignal) {
  const key = env[KEY];
  if (!key) throw new SpxError('MISSING_API_KEY', `${KEY} is not set.`, { hint: `Export ${KEY}=… before running.` });
  const base = serviceRoot(key, env.SHOUT_BASE_URL, { keyVariable: KEY, baseUrlVariable: 'SHOUT_BASE_URL', defaultBaseUrl: 'https://api.shout.example' });
  const call = async <T>(method: string, path: string, body?: string | Blob): Promise<T | undefined> => {
    const init = { method, headers: { authorization: `Bearer ${key}` }, ...(body === undefined ? {} : { body }) };
    const response = await fetchWithRetry(`${base}${path}`, init, { service: SERVICE, signal, policy: defaultRetryPolicy(env) });
    if (response.status === 404) return undefined; // for a job: the service no longer knows it
    if (!response.ok) throw await apiError(response, SERVICE, KEY);
    return readJson<T>(response, SERVICE);
  };
  const found = <T>(value: T | undefined): T => {
    if (value === undefined) throw new SpxError('API_ERROR', `${SERVICE} answered 404.`, { hint: 'Check SHOUT_BASE_URL.' });
    return value;
  };
  return {
    upload: async (path: string) => found(await call<{ url: string; expiresAt: number }>('POST', '/v1/uploads', await openAsBlob(path))),
    submit: async (url: string) => found(await call<{ id: string }>('POST', '/v1/jobs', JSON.stringify({ url }))),
    job: (id: string) => call<ShoutJob>('GET', `/v1/jobs/${encodeURIComponent(id)}`),
    cancel: async (id: string) => void found(await call<ShoutJob>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`)),
  };
}

/** The adapter's one judgement: what an answer says about the job. */
export function jobState(job: ShoutJob | undefined): JobState<{ text: string }> {
  if (!job) return { state: 'gone', reason: 'unknown to Shout (HTTP 404)' };
  if (job.status === 'done') return typeof job.text === 'string' ? { state: 'succeeded', status: job.status, value: { text: job.text } } : { state: 'gone', reason: 'its result was deleted' };
  if (job.status === 'error') return { state: 'failed', status: job.status, reason: job.error ?? 'no reason given' };
  if (job.status === 'canceled') return { state: 'canceled', status: job.status, reason: 'the job was canceled' };
  return { state: 'pending', status: job.status };
}

export const shoutStage = defineStage({
  description: 'Upper-cases a text file with the Shout API (an async job).',
  params: Type.Object(
    {
      file: Type.String({ minLength: 1, description: 'Text file to shout.' }),
      pollIntervalMs: Type.Integer({ minimum: 1, default: 1000, description: 'First delay between polls.' }),
      maxPollIntervalMs: Type.Integer({ minimum: 1, default: 10_000, description: 'Longest delay between polls.' }),
      pollTimeoutMs: Type.Integer({ minimum: 1, default: 600_000, description: 'Deadline of one wait; then the job is canceled.' }),
    },
    { additionalProperties: false },
  ),
  outputs: {
    text: { kind: 'file', description: 'The shouted text.' },
    jobId: { kind: 'json', description: 'Shout job id.' },
  },
  executionParams: ['pollIntervalMs', 'maxPollIntervalMs', 'pollTimeoutMs'],
  preflight(ctx) {
    if (!ctx.env[KEY]) throw new SpxError('MISSING_API_KEY', `${KEY} is not set.`, { hint: `Export ${KEY}=… before running.` });
  },
  async run(ctx) {
    const api = shoutApi(ctx.env, ctx.signal);
    const { file, pollIntervalMs, maxPollIntervalMs, pollTimeoutMs } = ctx.params;
    const sha = await sha256File(file);
    const upload = await uploadOnce({ memo: ctx.step, key: `upload/${sha}`, upload: () => api.upload(file), expiresAt: (u) => u.expiresAt });
    const job = await runRemoteJob({
      ctx,
      service: SERVICE,
      what: `shouting ${basename(file)}`,
      key: `job/${sha}`,
      resultKey: (id) => `job/${sha}/result/${id}`,
      paid: true,
      schedule: { intervalMs: pollIntervalMs, maxIntervalMs: maxPollIntervalMs, timeoutMs: pollTimeoutMs, timeoutSetting: 'pollTimeoutMs' },
      submit: async () => ({ record: await api.submit(upload.url) }),
      idOf: (record) => record.id,
      poll: async (id) => jobState(await api.job(id)),
      cancel: api.cancel,
    });
    const text = await ctx.artifacts.write('shouted.txt', job.value.text, 'text/plain');
    return { outputs: { text, jobId: job.id } };
  },
});

export default definePlugin({ name: 'shout', version: '1.0.0', apiVersion: 1, stages: { 'shout/upper': shoutStage } });
