// `spx run … --queue URL`: one job per input, named after its run id, so a batch submitted twice
// finds its jobs (a finished one is reported, a failed one retried, a queued or running one
// followed) instead of running anything twice. Then, unless detached, it follows the batch: run
// events from the workers as they come, and each job's result once it is done.
import { Queue, QueueEvents, type Job } from 'bullmq';
import { SpxError, sleep } from '@spx/core';
import { QUEUE_NAME, QUEUE_PREFIX, unreachable, whenReady, type QueueAddress } from './connection.js';
import { errorFromJson, jobIdOf, resultFromJson, runIdOfJob, type BatchResult, type RunJob } from './jobs.js';

export interface Submission {
  runId: string;
  data: RunJob;
}

export interface SubmitOptions {
  address: QueueAddress;
  detach: boolean;
  signal: AbortSignal;
  say: (line: string) => void;
  onEvent: (event: Record<string, unknown>, input: string) => void;
}

const KEEP_COMPLETED_S = 7 * 24 * 3600;
const KEEP_FAILED_S = 30 * 24 * 3600;

export async function submitBatch(submissions: Submission[], options: SubmitOptions): Promise<BatchResult[] | undefined> {
  const { address } = options;
  const queue = new Queue(QUEUE_NAME, { connection: address.connection, prefix: QUEUE_PREFIX });
  let connectError: unknown;
  queue.on('error', (error) => (connectError ??= error));
  const events = options.detach ? undefined : new QueueEvents(QUEUE_NAME, { connection: address.connection, prefix: QUEUE_PREFIX });
  events?.on('error', () => undefined);
  try {
    await whenReady(address, Promise.all([queue.waitUntilReady(), events?.waitUntilReady()]), () => connectError);
    const byRun = new Map<string, string[]>();
    for (const s of submissions) byRun.set(s.runId, [...(byRun.get(s.runId) ?? []), s.data.input]);
    if (events) {
      events.on('progress', ({ jobId, data }) => {
        const event = data && typeof data === 'object' ? (data as { event?: Record<string, unknown> }).event : undefined;
        if (event) for (const input of byRun.get(runIdOfJob(jobId)) ?? []) options.onEvent(event, input);
      });
    }
    const counts = { added: 0, queued: 0, done: 0, retried: 0 };
    for (const { runId, data } of submissions) {
      const existing = await queue.getJob(jobIdOf(runId));
      const state = existing ? await existing.getState() : undefined;
      const same = existing && JSON.stringify(existing.data) === JSON.stringify(data);
      if (existing && same && state === 'failed') {
        await existing.retry('failed');
        counts.retried++;
      } else if (existing && (same || (state !== 'completed' && state !== 'failed'))) {
        if (state === 'completed') counts.done++;
        else counts.queued++;
        if (!same) options.say(`note: run ${runId} (${data.input}) is already queued with other settings; it keeps those.`);
      } else {
        // New, or finished with other settings (--set, --force-restart): run again; its checkpoints decide what repeats.
        if (existing) await existing.remove();
        await queue.add('run', data, { jobId: jobIdOf(runId), attempts: 1, removeOnComplete: { age: KEEP_COMPLETED_S }, removeOnFail: { age: KEEP_FAILED_S } });
        counts.added++;
      }
    }
    const parts = [`${counts.added} added`, counts.retried ? `${counts.retried} failed ones retried` : '', counts.queued ? `${counts.queued} already queued or running` : '', counts.done ? `${counts.done} already done` : ''].filter(Boolean);
    options.say(`Queued ${byRun.size} run${byRun.size === 1 ? '' : 's'} on ${address.display} (${parts.join(', ')}).`);
    if (options.detach) {
      options.say('Follow with `spx queue status`; run the same command again (without --detach) to wait for the results.');
      return undefined;
    }
    return await follow(queue, submissions, options);
  } finally {
    await Promise.all([queue.close().catch(() => undefined), events?.close().catch(() => undefined)]);
  }
}

/** Waits until every job has finished (polling its state: events can be missed), then collects the results. */
async function follow(queue: Queue, submissions: Submission[], options: SubmitOptions): Promise<BatchResult[] | undefined> {
  const finished = new Map<string, { job: Job | undefined; state: string }>();
  let failingSince: number | undefined;
  for (;;) {
    try {
      for (const { runId } of submissions) {
        if (finished.has(runId)) continue;
        const job = await queue.getJob(jobIdOf(runId));
        const state = job ? await job.getState() : 'missing';
        // The job was read before its state: read it again, with the result or failure it ended with.
        if (state === 'completed' || state === 'failed') finished.set(runId, { job: await queue.getJob(jobIdOf(runId)), state });
        else if (state === 'missing') finished.set(runId, { job, state });
      }
      failingSince = undefined;
    } catch (error) {
      // A slow or restarting Redis: keep following for a minute before giving up (the runs go on).
      failingSince ??= Date.now();
      if (Date.now() - failingSince > 60_000) throw unreachable(options.address, error);
    }
    if (finished.size >= new Set(submissions.map((s) => s.runId)).size) break;
    if (options.signal.aborted) return undefined;
    await sleep(500, options.signal).catch(() => undefined);
  }
  return submissions.map(({ runId, data }) => resultOf(finished.get(runId)!, runId, data.input));
}

function resultOf({ job, state }: { job: Job | undefined; state: string }, runId: string, input: string): BatchResult {
  const none = (error: SpxError): BatchResult => ({ input, runId, status: 'error', ran: [], reused: [], durationMs: 0, outputs: [], error });
  if (!job) return none(new SpxError('QUEUE_INVALID', `Job ${runId} left the queue before it finished (removed by \`spx queue clean\`?).`, { hint: 'Run the same command again: its checkpoints are kept.' }));
  if (state === 'completed') return resultFromJson(job.returnvalue, input) ?? none(new SpxError('QUEUE_INVALID', `Job ${runId} finished without a readable result.`, { hint: 'Run the same command again: its checkpoints are kept.' }));
  const progress = job.progress && typeof job.progress === 'object' ? (job.progress as { result?: unknown }).result : undefined;
  const reason = job.failedReason ?? 'the run failed';
  const code = /^([A-Z][A-Z0-9_]+): /.exec(reason)?.[1];
  return resultFromJson(progress, input) ?? none(errorFromJson({ code: code ?? 'STAGE_FAILED', message: code ? reason.slice(code.length + 2) : reason, hint: 'Completed stages are kept: `spx queue retry` runs it again from its checkpoints.' }));
}
