// Crash-safe remote jobs, once for every plugin that calls an async job API (submit, then poll).
//
// - The job record (its id) is a paid sub-step, stored the moment the API answers the submit, so a
//   crash while polling resumes polling the same job and never pays for a second one.
// - A stored job is looked at before it is reused: one the API no longer knows (unknown id,
//   expired, output deleted) or that had already failed or been canceled when this process first
//   looked is replaced by a new submission, with a warning; reusing it is not counted as a saved
//   call. A job this process submitted, or saw unfinished, that then fails is API_JOB_FAILED.
// - Polling backs off (PollSchedule) and stops at the deadline: the kit cancels the job when the
//   adapter can, then fails with API_TIMEOUT; the record stays, so a rerun looks at the job again
//   (a job that could not be canceled, or finished meanwhile, is picked up without paying again).
// - At most MAX_SUBMISSIONS jobs are submitted in one call; the signal is honoured between polls.
import { SpxError } from '../errors/errors.js';
import type { Memo, MustBeJson, StageContext } from '../plugins/types.js';
import { sleep } from '../util/sleep.js';
import { keeper, storedValue } from './memo.js';
import { PollClock, formatDuration, type PollSchedule } from './schedule.js';

/** What the API says about a job, as the adapter reads it. `status` is the API's own word. */
export type JobState<T> =
  | { state: 'pending'; status: string }
  | { state: 'succeeded'; status: string; value: T }
  | { state: 'failed' | 'canceled'; status: string; reason: string }
  /** Unknown id, expired, or succeeded with its output already deleted. */
  | { state: 'gone'; reason: string };

export interface Submitted<R, T> {
  /** What is stored as the job's checkpoint: the id and whatever else resuming needs (JSON). */
  record: R;
  /** The job's state when the submit answer already tells it (a finished synchronous wait). */
  state?: JobState<T>;
}

export interface RemoteJobOptions<R, T> {
  /** The stage's signal, logger, progress and sub-steps. */
  ctx: Pick<StageContext, 'signal' | 'logger' | 'progress' | 'step'>;
  /** Where the job record lives: ctx.step (default) or ctx.cache. */
  memo?: Memo;
  /** Service name for messages, e.g. "pyannoteAI". */
  service: string;
  /** What the service calls a job (default "job"), e.g. "prediction". */
  noun?: string;
  /** What the job does, for messages ("diarization of call"). */
  what: string;
  /** Sub-step key of the job record. */
  key: string;
  /** Sub-step key keeping a finished job's value; without it a resumed run asks the API again. */
  resultKey?: (id: string) => string;
  /** The job record is a paid call (false when an enclosing step already is). */
  paid: boolean;
  schedule: PollSchedule;
  /** Sends the job. Its record is stored before anything waits on it. */
  submit: () => Promise<Submitted<R, T>>;
  /** The job id in a record (a stored one is input: return '' when it holds none). */
  idOf: (record: R) => string;
  /** Asks the API once and reads the answer. */
  poll: (id: string) => Promise<JobState<T>>;
  /** Cancels the job at the deadline; leave it out when the API has no cancel call. */
  cancel?: (id: string) => Promise<void>;
}

export interface RemoteJobResult<R, T> {
  id: string;
  record: R;
  value: T;
  /** True when this call submitted the job that produced the value. */
  submittedHere: boolean;
}

/** New jobs one call may submit before it gives up on a service that keeps losing them. */
export const MAX_SUBMISSIONS = 3;

type Seen<T> = JobState<T> & { kept?: boolean };

/** Runs one job to its end (see the file comment). R (the record) and T (the value) must be JSON. */
export async function runRemoteJob<R, T>(options: RemoteJobOptions<R, T & MustBeJson<T>> & MustBeJson<R>): Promise<RemoteJobResult<R, T>> {
  const { ctx, service, what } = options;
  const noun = options.noun ?? 'job';
  const label = (id: string) => `${service} ${noun} ${id}`;
  const memo = options.memo ?? ctx.step.bind(ctx);
  const keep = keeper(memo);
  const dead = new Set<string>();
  let submissions = 0;

  /** The first look at a stored job: its state when it is worth reusing, else undefined. */
  const judge = async (record: R): Promise<Seen<T> | undefined> => {
    const id = readId(options.idOf, record);
    if (!id) {
      ctx.logger.warn(`The stored ${service} ${noun} record holds no id (${what}); submitting a new ${noun}.`);
      return undefined;
    }
    if (dead.has(id)) return undefined;
    if (options.resultKey) {
      const kept = await storedValue<T>(memo, options.resultKey(id));
      if (kept !== undefined) return { state: 'succeeded', status: 'succeeded', value: kept, kept: true };
    }
    const state = await options.poll(id);
    if (state.state === 'gone') {
      ctx.logger.warn(`${label(id)} is gone or expired (${state.reason}); submitting a new ${noun}.`);
      return undefined;
    }
    if (state.state === 'failed' || state.state === 'canceled') {
      ctx.logger.warn(`${label(id)} from an earlier run ${state.state === 'failed' ? 'failed' : 'was canceled'} (${state.reason}); submitting a new ${noun}.`);
      return undefined;
    }
    ctx.logger.info(`Resuming ${label(id)} (${state.status}): ${what}.`);
    return state;
  };

  for (;;) {
    ctx.signal.throwIfAborted();
    let seen: Seen<T> | undefined;
    let submittedHere = false;
    const record = await keep<R>(
      options.key,
      async () => {
        if (submissions >= MAX_SUBMISSIONS) throw lost(service, noun, what, submissions);
        submissions++;
        const submitted = await options.submit();
        submittedHere = true;
        seen = submitted.state;
        return submitted.record;
      },
      {
        paid: options.paid,
        reuseIf: async (stored) => {
          seen = await judge(stored);
          return seen !== undefined;
        },
      },
    );
    const id = readId(options.idOf, record);
    if (!id) throw new SpxError('API_BAD_RESPONSE', `${service} accepted the ${noun} (${what}) without giving its id.`, { hint: 'This is a fault on the service side; run the same command again later.', retryable: true });
    if (submittedHere) ctx.logger.info(`${label(id)} submitted (${what}).`);

    const end = await waitFor(options, id, seen, label);
    if (end.state === 'succeeded') {
      if (options.resultKey && !end.kept) await keep<T>(options.resultKey(id), async () => end.value);
      return { id, record, value: end.value, submittedHere };
    }
    if (end.state === 'gone') {
      ctx.logger.warn(`${label(id)} is gone or expired (${end.reason}); submitting a new ${noun}.`);
      dead.add(id);
      continue;
    }
    const failed = end.state === 'failed';
    throw new SpxError('API_JOB_FAILED', `${label(id)} (${what}) ${failed ? 'failed' : 'was canceled'}: ${end.reason}`, {
      hint: failed ? `Check the input the service refused (see the message); running the same command again submits a new ${noun}.` : `Run the same command again to submit a new ${noun}.`,
    });
  }
}

/** Polls until the job ends, is gone, or the deadline passes (→ cancel if possible, API_TIMEOUT). */
async function waitFor<R, T>(options: RemoteJobOptions<R, T>, id: string, first: Seen<T> | undefined, label: (id: string) => string): Promise<Exclude<Seen<T>, { state: 'pending' }>> {
  const { ctx } = options;
  const noun = options.noun ?? 'job';
  const clock = new PollClock(options.schedule);
  let state: Seen<T> | undefined = first;
  let last = '';
  for (let polls = 0; ; ) {
    if (state === undefined) {
      state = await options.poll(id);
      polls++;
      ctx.progress({ done: 0, total: 1, message: `${options.service} ${noun} ${state.state === 'gone' ? 'gone' : state.status} (poll ${polls})` });
    }
    if (state.state !== 'gone' && state.status !== last) {
      last = state.status;
      ctx.logger.debug(`${noun} ${id}: ${last}`);
    }
    if (state.state !== 'pending') return state;
    if (clock.expired()) throw await timedOut(options, id, last, label);
    await sleep(clock.next(), ctx.signal);
    state = undefined;
  }
}

/** The documented timeout policy: cancel when the API can, fail with API_TIMEOUT; the record stays. */
async function timedOut<R, T>(options: RemoteJobOptions<R, T>, id: string, last: string, label: (id: string) => string): Promise<SpxError> {
  const { ctx, schedule } = options;
  const noun = options.noun ?? 'job';
  const within = `${label(id)} (${options.what}) did not finish within ${formatDuration(schedule.timeoutMs)} (last status "${last}")`;
  let canceled = false;
  if (options.cancel) {
    try {
      await options.cancel(id);
      canceled = true;
    } catch (error) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.logger.warn(`Canceling ${label(id)} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (canceled) {
    return new SpxError('API_TIMEOUT', `${within}; it was canceled.`, {
      hint: `Raise ${schedule.timeoutSetting} (queues and cold starts can take minutes), then run the same command again: a new ${noun} is submitted.`,
      retryable: true,
    });
  }
  return new SpxError('API_TIMEOUT', `${within}; it keeps running.`, {
    hint: `Run the same command again to keep waiting for the same ${noun} (no new one is submitted), or raise ${schedule.timeoutSetting}.`,
    retryable: true,
  });
}

function readId<R>(idOf: (record: R) => string, record: R): string {
  try {
    const id = idOf(record);
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}

function lost(service: string, noun: string, what: string, count: number): SpxError {
  return new SpxError('API_JOB_FAILED', `${service} lost ${count} ${noun}s in a row (${what}); giving up.`, {
    hint: 'Check the service status, then run the same command again.',
    retryable: true,
  });
}
