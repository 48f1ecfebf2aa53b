// fetch with the retry rules every API plugin shares: 429 honours retry-after, 5xx and
// network errors back off exponentially with full jitter, each attempt has a timeout,
// and the caller's AbortSignal cancels everything in flight. A request that must not run
// twice (it creates a paid job) is sent again only after an answer proving it was not carried
// out; a 504, a connection cut after sending or a timeout may mean it still runs, so it stops. A URL with user:password@ is
// refused before anything is sent. API error bodies are input: their detail is shown, but
// only as SpxError messages, which are redacted (a server that echoes the key shows its name).
// Across a fleet of workers, each attempt first takes a slot of the provider's shared limit, and
// a 429's wait is shared with every process (fleet-limit.ts; off for a local run).
import { SpxError, isSpxError } from '../errors/errors.js';
import { excerpt, urlCredentials } from '../errors/redact.js';
import { sleep } from '../util/sleep.js';
import { fleetLimiter } from './fleet-limit.js';

export interface RetryPolicy {
  /** Attempts in total, first one included. */
  maxAttempts: number;
  /** First backoff delay; doubles each retry, with full jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

/** Defaults, overridable with SPX_RETRY_MAX_ATTEMPTS, SPX_RETRY_BASE_MS, SPX_RETRY_MAX_MS, SPX_HTTP_TIMEOUT_MS. */
export function defaultRetryPolicy(env: NodeJS.ProcessEnv = process.env): RetryPolicy {
  const num = (name: string, fallback: number) => {
    const value = Number(env[name]);
    return Number.isFinite(value) && value >= 0 && env[name] !== '' && env[name] !== undefined ? value : fallback;
  };
  return {
    maxAttempts: Math.max(1, num('SPX_RETRY_MAX_ATTEMPTS', 6)),
    baseDelayMs: num('SPX_RETRY_BASE_MS', 500),
    maxDelayMs: num('SPX_RETRY_MAX_MS', 30_000),
    timeoutMs: num('SPX_HTTP_TIMEOUT_MS', 120_000),
  };
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface FetchWithRetryOptions {
  /** Service name used in messages, e.g. "pyannoteAI". */
  service: string;
  signal?: AbortSignal;
  policy?: Partial<RetryPolicy>;
  onRetry?: (event: RetryEvent) => void;
  /** Statuses handed to the caller at once instead of retried (a 504 that means "too long to process" would only repeat). */
  finalStatuses?: readonly number[];
  /**
   * false for a request that must not run twice (a POST that creates a paid job): it is sent
   * again only after 408, 429, 500, 502, 503 or a connection that could not be opened. Default true.
   */
  idempotent?: boolean;
  /** The setting that sets the per-attempt timeout, named in the API_TIMEOUT hint (e.g. "timeoutMs"). */
  timeoutSetting?: string;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
/** Answers that show a request was not carried out: safe to send again even when it must not run twice. */
const NOT_CARRIED_OUT_STATUS = new Set([408, 429, 500, 502, 503]);
/** Network errors raised before the request left: the connection was never opened. */
const NOT_SENT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/** Backoff for retry number `attempt` (1-based): full jitter over base·2^(attempt-1), capped. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The server's requested wait: retry-after-ms, Retry-After (seconds or date), else X-RateLimit-Reset (epoch seconds). */
export function retryDelayFromHeaders(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') !== null && Number.isFinite(ms) && ms >= 0) return ms;
  const retryAfter = parseRetryAfter(headers.get('retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(headers.get('x-ratelimit-reset'));
  return headers.get('x-ratelimit-reset') !== null && Number.isFinite(reset) && reset > 1e9 ? Math.max(0, reset * 1000 - now) : undefined;
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Sends the request until it gets a non-retryable answer. Returns that Response (any status);
 * throws SpxError when retries run out, the network is unreachable, or the signal aborts.
 * The request body must be re-sendable (string, Buffer, Blob, FormData, URLSearchParams).
 */
export async function fetchWithRetry(url: string | URL, init: RequestInit, options: FetchWithRetryOptions): Promise<Response> {
  checkBaseUrl(String(url), `the ${options.service} request URL`);
  const policy = { ...defaultRetryPolicy(), ...options.policy };
  const idempotent = options.idempotent ?? true;
  const fleet = fleetLimiter();
  let lastReason = '';
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    const release = fleet ? await fleet.acquire(url, options.signal, policy.timeoutMs + 10_000) : undefined;
    const timeout = AbortSignal.timeout(policy.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response | undefined;
    let retryAfterMs: number | undefined;
    try {
      try {
        response = await fetch(url, { ...init, signal });
      } finally {
        release?.();
      }
      if (!RETRY_STATUS.has(response.status) || options.finalStatuses?.includes(response.status)) return response;
      if (response.status === 429) {
        // A 429 for an exhausted quota (billing) will not clear by waiting: hand it to the caller.
        const body = await response.text().catch(() => '');
        if (/insufficient_quota/.test(body)) return new Response(body, { status: 429, headers: response.headers });
      } else await response.body?.cancel().catch(() => undefined);
      retryAfterMs = retryDelayFromHeaders(response.headers);
      lastReason = `HTTP ${response.status}`;
      // A 504 is a gateway that stopped waiting for the service, which may still be working on it.
      if (!idempotent && !NOT_CARRIED_OUT_STATUS.has(response.status)) throw mayHaveRun(options, url, lastReason, 'API_UNREACHABLE');
    } catch (error) {
      if (isSpxError(error)) throw error;
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      const code = networkErrorCode(error);
      lastReason = timeout.aborted ? `no answer within ${policy.timeoutMs} ms` : (code ?? describeNetworkError(error));
      if (!idempotent && (timeout.aborted || !NOT_SENT_ERRORS.has(code ?? ''))) throw mayHaveRun(options, url, lastReason, timeout.aborted ? 'API_TIMEOUT' : 'API_UNREACHABLE');
    }
    if (attempt >= policy.maxAttempts) throw exhausted(options.service, url, lastReason, response?.status, attempt);
    const delayMs = Math.min(retryAfterMs ?? backoffDelay(attempt, policy), Math.max(policy.maxDelayMs, retryAfterMs ?? 0));
    // Told to slow down: every process of the fleet waits, not only this one.
    if (fleet && response?.status === 429) await fleet.pause(url, delayMs).catch(() => undefined);
    options.onRetry?.({ attempt, delayMs, reason: lastReason });
    await sleep(delayMs, options.signal);
  }
}

function networkErrorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/** A request that must not run twice got no proof it was refused: stop rather than risk running it again. */
function mayHaveRun(options: FetchWithRetryOptions, url: string | URL, reason: string, code: 'API_TIMEOUT' | 'API_UNREACHABLE'): SpxError {
  const host = new URL(url).host;
  const timeoutFix = reason.startsWith('no answer') && options.timeoutSetting ? `Raise ${options.timeoutSetting} if the service is slow to answer. ` : '';
  return new SpxError(code, `${options.service} at ${host} gave no usable answer (${reason}); the request may have reached it, so it was not sent again.`, {
    hint: `${timeoutFix}Check the ${options.service} account for a job started just now before running the same command again (a rerun sends the request again); finished work is kept.`,
    retryable: true,
  });
}

function exhausted(service: string, url: string | URL, reason: string, status: number | undefined, attempts: number): SpxError {
  const host = new URL(url).host;
  if (status === 429) {
    return new SpxError('API_RATE_LIMITED', `${service} kept answering 429 Too Many Requests (${attempts} attempts).`, {
      hint: 'Wait a few minutes or lower the concurrency, then run the same command again; finished work is kept.',
      retryable: true,
    });
  }
  if (status !== undefined) {
    return new SpxError('API_ERROR', `${service} failed with ${reason} after ${attempts} attempts.`, {
      hint: 'The service is having trouble; run the same command again later to resume.',
      retryable: true,
    });
  }
  const timedOut = reason.startsWith('no answer');
  return new SpxError(timedOut ? 'API_TIMEOUT' : 'API_UNREACHABLE', `${service} at ${host} is unreachable: ${reason} (${attempts} attempts).`, {
    hint: 'Check the network and the base URL setting, then run the same command again to resume.',
    retryable: true,
  });
}

/**
 * Refuses a URL with a user:password@ part; `setting` names where it came from (e.g.
 * "PYANNOTEAI_BASE_URL"; a stage param is PARAMS_INVALID). The APIs spx talks to take the key
 * in the Authorization header, which URL credentials would collide with, and fetch refuses such
 * URLs with a message that repeats them; so the message names the setting, never the value.
 */
export function checkBaseUrl(url: string | undefined, setting: string, keyVariable?: string, code: 'BASE_URL_INVALID' | 'PARAMS_INVALID' = 'BASE_URL_INVALID'): void {
  if (!url || !hasCredentials(url.trim())) return;
  throw new SpxError(code, `${setting} has a user:password@ part; spx never sends credentials from a URL.`, {
    hint: `Remove the user:password@ part from ${setting}${keyVariable ? `; the key belongs in ${keyVariable}` : ''}.`,
  });
}

/** What fetch would refuse (the URL parser finds a user or password), or, for a URL it cannot parse, userinfo by spx's reading. */
function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return urlCredentials(url) !== undefined;
  }
}

/** Reads a JSON body, turning a malformed one into API_BAD_RESPONSE. */
export async function readJson<T>(response: Response, service: string): Promise<T> {
  const text = await response.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new SpxError('API_BAD_RESPONSE', `${service} sent a malformed JSON body (HTTP ${response.status}, ${text.length} bytes).`, {
      hint: 'This is a fault on the service side; run the same command again later to resume.',
      retryable: true,
    });
  }
}

/**
 * Maps a non-2xx answer that is not worth retrying to an SpxError that says what to fix.
 * `keyVariable` names the environment variable holding the key (never its value).
 */
export async function apiError(response: Response, service: string, keyVariable: string): Promise<SpxError> {
  const text = await response.text().catch(() => '');
  let detail = '';
  try {
    const body = JSON.parse(text) as { message?: unknown; detail?: unknown; error?: { message?: unknown } | string };
    const candidate = typeof body.error === 'object' ? body.error?.message : body.error ?? body.message ?? body.detail;
    if (typeof candidate === 'string') detail = candidate;
    else if (candidate !== undefined) detail = JSON.stringify(candidate);
    detail = excerpt(detail, 300);
  } catch {
    detail = excerpt(text, 200);
  }
  const suffix = detail ? `: ${detail}` : '';
  switch (response.status) {
    case 401:
      return new SpxError('API_KEY_REJECTED', `${keyVariable} was rejected by ${service} (HTTP 401)${suffix}.`, { hint: `Set ${keyVariable} to a valid key and run the same command again.` });
    case 402:
      return new SpxError('API_ERROR', `${service} refused the request: payment required (HTTP 402)${suffix}.`, { hint: 'Check the account credits, then run the same command again.' });
    case 403:
      return new SpxError('API_KEY_REJECTED', `${keyVariable} is not allowed to do this on ${service} (HTTP 403)${suffix}.`, { hint: `Use a key with access to this resource in ${keyVariable}.` });
    case 404:
      return new SpxError('API_ERROR', `${service} answered 404 Not Found${suffix}.`, { hint: 'Check the model or resource name and the base URL.' });
    case 429:
      return new SpxError('API_RATE_LIMITED', `${service} refused the request: quota exhausted (HTTP 429)${suffix}.`, { hint: 'Check the plan and billing of the account, then run the same command again to resume.' });
    case 413:
      return new SpxError('API_ERROR', `${service} refused the upload as too large (HTTP 413)${suffix}.`, { hint: 'Lower the chunk size or duration so each upload stays under the limit.' });
    default:
      return new SpxError('API_ERROR', `${service} refused the request (HTTP ${response.status})${suffix}.`, { hint: 'Check the stage parameters named in the message.' });
  }
}
