// The fake OpenAI server's fault vocabulary (429 with or without retry-after, quota, 5xx with
// x-should-retry, any status, reset, slow, malformed) and how each maps onto the kit's faults.
import { transportFault, type Fault, type TransportFault } from '@spx/core/testing';
import { HttpFailure } from './failures.js';

/** One scripted misbehaviour, applied to a single request. */
export type FakeFault =
  | { type: 'rate-limit'; retryAfter?: number; retryAfterMs?: number; code?: 'rate_limit_exceeded' | 'insufficient_quota' }
  | { type: 'server-error'; status?: 500 | 502 | 503 | 504; shouldRetry?: boolean }
  | { type: 'status'; status: number; message?: string; errorType?: string; code?: string | null; param?: string | null }
  | TransportFault;

/** Shorthands for scripts: `script: [faults.rateLimit(0), faults.serverError(503), null]`. */
export const faults = {
  rateLimit: (retryAfter?: number): FakeFault => ({ type: 'rate-limit', ...(retryAfter === undefined ? {} : { retryAfter }) }),
  quota: (): FakeFault => ({ type: 'rate-limit', code: 'insufficient_quota' }),
  serverError: (status: 500 | 502 | 503 | 504 = 500): FakeFault => ({ type: 'server-error', status }),
  status: (status: number, message?: string): FakeFault => ({ type: 'status', status, ...(message ? { message } : {}) }),
  reset: (): FakeFault => ({ type: 'reset' }),
  slow: (delayMs: number): FakeFault => ({ type: 'slow', delayMs }),
  malformed: (): FakeFault => ({ type: 'malformed' }),
} as const;

export function toFault(fault: FakeFault): Fault {
  switch (fault.type) {
    case 'rate-limit': {
      const headers: Record<string, string> = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1s' };
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
      const quota = fault.code === 'insufficient_quota';
      const message = quota ? 'You exceeded your current quota, please check your plan and billing details.' : 'Rate limit reached for requests. Please try again later.';
      return { kind: 'answer', answer: new HttpFailure(429, message, quota ? 'insufficient_quota' : 'requests', fault.code ?? 'rate_limit_exceeded').answer(headers) };
    }
    case 'server-error': {
      const headers: Record<string, string> = fault.shouldRetry === undefined ? {} : { 'x-should-retry': String(fault.shouldRetry) };
      return { kind: 'answer', answer: new HttpFailure(fault.status ?? 500, 'The server had an error while processing your request. Sorry about that!', 'server_error').answer(headers) };
    }
    case 'status':
      return { kind: 'answer', answer: new HttpFailure(fault.status, fault.message ?? `Scripted failure ${fault.status}.`, fault.errorType ?? 'invalid_request_error', fault.code ?? null, fault.param ?? null).answer() };
    default:
      return transportFault(fault, '{"text": "truncated');
  }
}
