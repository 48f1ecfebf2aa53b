// The lifetime of store entries (SPX_TTL_HOURS or StoreOptions.ttlMs), checked before a store opens.
// A lifetime shorter than a run would let its checkpoints expire while it still needs them — a lease
// written and gone before it is read back would even leave the run waiting for itself forever — and
// junk such as "abc" or "1e400" must not quietly turn into "forever" or "never".
import { SpxError } from '../errors/errors.js';

export const DEFAULT_TTL_HOURS = 7 * 24;
/** Shortest lifetime: a day, so a long run and the rerun after a crash overnight find their checkpoints. */
export const MIN_TTL_HOURS = 24;
/** Longest lifetime: ten years (0 keeps entries forever). */
export const MAX_TTL_HOURS = 10 * 365 * 24;

const RANGE = `0 (keep entries forever) or a number of hours from ${MIN_TTL_HOURS} to ${MAX_TTL_HOURS}`;

/** The entry lifetime in whole ms (0 = forever), from `ttlMs` if given, else SPX_TTL_HOURS, else 7 days. */
export function entryTtlMs(ttlMs: number | undefined, env: Readonly<Record<string, string | undefined>> = process.env): number {
  if (ttlMs !== undefined) {
    // A caller's own choice (tests, tools): any whole, finite lifetime, however short.
    if (Number.isFinite(ttlMs) && ttlMs >= 0 && ttlMs <= MAX_TTL_HOURS * 3600_000) return ttlMs === 0 ? 0 : Math.max(1, Math.round(ttlMs));
    throw new SpxError('USAGE', `Store entry lifetime ${ttlMs} ms is out of range.`, { hint: `Pass ttlMs as 0 (forever) or a number of ms up to ${MAX_TTL_HOURS} hours.` });
  }
  const raw = env.SPX_TTL_HOURS?.trim();
  if (!raw) return DEFAULT_TTL_HOURS * 3600_000;
  const hours = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (hours === 0 || (hours >= MIN_TTL_HOURS && hours <= MAX_TTL_HOURS)) return Math.round(hours * 3600_000);
  throw new SpxError('ENV_INVALID', `SPX_TTL_HOURS="${raw}" is not a valid lifetime for store entries.`, { hint: `Set it to ${RANGE}, or unset it for the default of ${DEFAULT_TTL_HOURS} (7 days).` });
}
