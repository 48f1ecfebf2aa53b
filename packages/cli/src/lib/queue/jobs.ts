// What a queued run carries and what it reports back. Job data comes out of Redis, which anyone
// with access to it can write: a worker checks every field before it runs anything (absolute
// paths, known flags, bounded sizes). The job id is made from the run id, so a batch submitted
// twice finds its jobs instead of adding new ones.
import { isAbsolute } from 'node:path';
import { SpxError } from '@spx/core';

export interface RunJob {
  /** Absolute path of the pipeline file (on the shared filesystem). */
  pipeline: string;
  /** Absolute path of the input file. */
  input: string;
  /** `stage.param=value` overrides. */
  set: string[];
  /** Absolute export directory; absent: next to the input. */
  out?: string;
  forceRestart?: boolean;
  fromStage?: string;
  keepIntermediates?: boolean;
  /** Independent stages run at once within the run (`--stage-concurrency`). */
  stageConcurrency?: number;
}

/** One input's outcome, the same for a local batch and a queued one. */
export interface BatchResult {
  input: string;
  runId?: string;
  status: 'completed' | 'failed' | 'interrupted' | 'planned' | 'error';
  ran: string[];
  reused: string[];
  durationMs: number;
  outputs: string[];
  saved?: { stages: number; paidCalls: number; usd: number; durationMs: number };
  /** Reused stages whose pruned files were made again for a stage that ran. */
  remade?: string[];
  /** Intermediate files pruned when the run completed. */
  pruned?: { files: number; bytes: number };
  error?: SpxError;
  /** The hostname and pid of the worker that ran it (queued runs). */
  worker?: string;
}

const JOB_PREFIX = 'run-';

/** The queue's job id for a run. BullMQ refuses custom ids that read as integers, and a run id (hex) can be all digits. */
export function jobIdOf(runId: string): string {
  return JOB_PREFIX + runId;
}

/** The run id a job id stands for. */
export function runIdOfJob(jobId: string | undefined): string {
  const id = String(jobId);
  return id.startsWith(JOB_PREFIX) ? id.slice(JOB_PREFIX.length) : id;
}

const path = (value: unknown) => typeof value === 'string' && value.length > 0 && value.length < 4096 && isAbsolute(value) && !value.includes('\0');

/** The job's data when it is well-formed, else an error naming the bad field. */
export function checkRunJob(data: unknown): RunJob {
  const bad = (field: string) => new SpxError('QUEUE_INVALID', `A queued job has an invalid "${field}" field.`, { hint: 'Submit jobs with `spx run … --queue URL`; remove this one with `spx queue clean --failed`.' });
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw bad('data');
  const d = data as Record<string, unknown>;
  if (!path(d.pipeline)) throw bad('pipeline');
  if (!path(d.input)) throw bad('input');
  if (!Array.isArray(d.set) || d.set.length > 200 || !d.set.every((s) => typeof s === 'string' && s.length < 4096)) throw bad('set');
  if (d.out !== undefined && !path(d.out)) throw bad('out');
  if (d.forceRestart !== undefined && typeof d.forceRestart !== 'boolean') throw bad('forceRestart');
  if (d.keepIntermediates !== undefined && typeof d.keepIntermediates !== 'boolean') throw bad('keepIntermediates');
  if (d.stageConcurrency !== undefined && !(Number.isInteger(d.stageConcurrency) && (d.stageConcurrency as number) >= 1 && (d.stageConcurrency as number) <= 64)) throw bad('stageConcurrency');
  if (d.fromStage !== undefined && (typeof d.fromStage !== 'string' || !/^[A-Za-z0-9_-]{1,100}$/.test(d.fromStage))) throw bad('fromStage');
  return {
    pipeline: d.pipeline as string,
    input: d.input as string,
    set: d.set as string[],
    ...(d.out !== undefined ? { out: d.out as string } : {}),
    ...(d.forceRestart ? { forceRestart: true } : {}),
    ...(d.fromStage !== undefined ? { fromStage: d.fromStage as string } : {}),
    ...(d.keepIntermediates ? { keepIntermediates: true } : {}),
    ...(d.stageConcurrency !== undefined ? { stageConcurrency: d.stageConcurrency as number } : {}),
  };
}

/** A result as stored in the job (JSON), and back. */
export function resultToJson(result: BatchResult): Record<string, unknown> {
  const { error, ...rest } = result;
  return { ...rest, ...(error ? { error: { ...error.toJSON(), exitCode: error.exitCode } } : {}) };
}

export function resultFromJson(value: unknown, input: string): BatchResult | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  const strings = (x: unknown) => (Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : []);
  const statuses = ['completed', 'failed', 'interrupted', 'planned', 'error'] as const;
  const status = statuses.find((s) => s === v.status) ?? 'error';
  const saved = v.saved && typeof v.saved === 'object' ? (v.saved as BatchResult['saved']) : undefined;
  const p = v.pruned as { files?: unknown; bytes?: unknown } | undefined;
  const pruned = p && typeof p.files === 'number' && typeof p.bytes === 'number' ? { files: p.files, bytes: p.bytes } : undefined;
  return {
    input,
    ...(typeof v.runId === 'string' ? { runId: v.runId } : {}),
    status,
    ran: strings(v.ran),
    reused: strings(v.reused),
    durationMs: typeof v.durationMs === 'number' ? v.durationMs : 0,
    outputs: strings(v.outputs),
    ...(saved ? { saved } : {}),
    ...(Array.isArray(v.remade) ? { remade: strings(v.remade) } : {}),
    ...(pruned ? { pruned } : {}),
    ...(v.error ? { error: errorFromJson(v.error) } : {}),
    ...(typeof v.worker === 'string' ? { worker: v.worker } : {}),
  };
}

/** An error as `spx run --json` prints it (code, message, hint, exitCode), back as an SpxError. */
export function errorFromJson(value: unknown): SpxError {
  const e = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  return new SpxError(typeof e.code === 'string' ? e.code : 'INTERNAL', typeof e.message === 'string' ? e.message : 'The run failed.', {
    ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
    ...(typeof e.exitCode === 'number' ? { exitCode: e.exitCode } : {}),
  });
}
