// Upload once: a file sent to a service's temporary storage is kept as a sub-step and reused
// while the service still keeps it, with a margin so a job submitted now never finds it gone.
// Uploads cost no money, only time; an expired or unreadable record is simply uploaded again.
// Most services keep an upload a fixed time after it was made: uploadKeptFor is that case.
import type { Memo, MustBeJson } from '../plugins/types.js';
import { keeper } from './memo.js';

export interface UploadOnceOptions<R> {
  /** ctx.step (this run) or ctx.cache (across runs, e.g. a voiceprint sample). */
  memo: Memo;
  /** Sub-step key, content-addressed (e.g. "upload/<sha256>"). */
  key: string;
  /** Sends the file; returns what identifies the upload (URL, media key) and when it was made. */
  upload: () => Promise<R>;
  /** When the service deletes the upload (epoch ms), or null when it keeps it for good. */
  expiresAt: (record: R) => number | null;
  /** Stop reusing an upload this long before it expires (default 10 minutes). */
  marginMs?: number;
}

export const DEFAULT_UPLOAD_MARGIN_MS = 10 * 60_000;

/** The stored upload while it is fresh, else a new one. */
export async function uploadOnce<R>(options: UploadOnceOptions<R> & MustBeJson<R>): Promise<R> {
  const margin = options.marginMs ?? DEFAULT_UPLOAD_MARGIN_MS;
  return keeper(options.memo)<R>(options.key, options.upload, { reuseIf: (record) => isFresh(() => options.expiresAt(record), margin) });
}

export interface UploadKeptForOptions<F extends string> {
  memo: Memo;
  key: string;
  /** Sends the file; returns what identifies the upload (URL, media key). */
  upload: () => Promise<string>;
  /** The field of the stored record that holds it (`{ [field]: …, uploadedAt }`, epoch ms). */
  field: F;
  /** How long the service keeps an upload after it was made. */
  keptMs: number;
  marginMs?: number;
}

/** uploadOnce for a service that keeps every upload `keptMs`: the stored reference while fresh, else a new upload's. */
export async function uploadKeptFor<F extends string>(options: UploadKeptForOptions<F>): Promise<string> {
  const { field, keptMs } = options;
  const margin = options.marginMs ?? DEFAULT_UPLOAD_MARGIN_MS;
  type Stored = Record<F, string> & { uploadedAt: number };
  const expiresAt = (r: Stored) => (typeof r[field] === 'string' && r[field] && typeof r.uploadedAt === 'number' ? r.uploadedAt + keptMs : Number.NaN);
  const upload = async () => ({ [field]: await options.upload(), uploadedAt: Date.now() }) as Stored;
  const record = await keeper(options.memo)<Stored>(options.key, upload, { reuseIf: (r) => isFresh(() => expiresAt(r), margin) });
  return record[field];
}

/** A stored record is input: one whose expiry cannot be read is not fresh. */
function isFresh(expiresAt: () => number | null, margin: number, now = Date.now()): boolean {
  let at: number | null;
  try {
    at = expiresAt();
  } catch {
    return false;
  }
  if (at === null) return true;
  return Number.isFinite(at) && now < at - margin;
}
