// When to poll a remote job: a first delay that grows by half each poll up to a cap, and a
// deadline for one wait. Kept apart from the job runner so the rule is stated once.

export interface PollSchedule {
  /** First delay between polls, ms; grows ×1.5 each poll. */
  intervalMs: number;
  /** Longest delay between polls, ms. */
  maxIntervalMs: number;
  /** Deadline of one wait (one run), ms from its start. */
  timeoutMs: number;
  /** The param that sets the deadline, named in the API_TIMEOUT hint (e.g. "pollTimeoutMs"). */
  timeoutSetting: string;
}

/** The delays of one wait: `next()` is the delay before the next poll, never past the deadline. */
export class PollClock {
  readonly #deadline: number;
  readonly #max: number;
  #delay: number;

  constructor(
    readonly schedule: PollSchedule,
    readonly now: () => number = Date.now,
  ) {
    this.#max = Math.max(1, schedule.maxIntervalMs);
    this.#delay = Math.min(Math.max(1, schedule.intervalMs), this.#max);
    this.#deadline = now() + Math.max(0, schedule.timeoutMs);
  }

  /** The deadline has passed: no more polls. */
  expired(): boolean {
    return this.now() >= this.#deadline;
  }

  /** The delay before the next poll (at least 1 ms, at most what is left of the wait). */
  next(): number {
    const delay = Math.max(1, Math.min(this.#delay, this.#deadline - this.now()));
    this.#delay = Math.min(this.#max, Math.ceil(this.#delay * 1.5));
    return delay;
  }
}

/** "40 ms", "12.5 s", "30 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 6000) / 10} min`;
}
