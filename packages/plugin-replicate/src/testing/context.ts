// What the parts of the fake Replicate server share: its live options, models and versions,
// counters, stored files, and ids salted per instance.
import { createHash } from 'node:crypto';
import type { FakeCounts, FakeReplicateOptions } from './fake-server.js';
import type { FakeFile } from './files.js';
import type { FakeModelKind } from './predictions.js';

export interface ReplicateContext {
  /** The fake's live options (tests change them between requests). */
  live: FakeReplicateOptions;
  models: Record<string, FakeModelKind>;
  /** owner/name → version id. */
  versions: Record<string, string>;
  counts: FakeCounts;
  files: Map<string, FakeFile>;
  /** Makes ids differ between fake instances, so a checkpoint from another fake never matches by chance. */
  salt: string;
  baseURL(): string;
  /** A directory for probing uploaded audio. */
  scratch: string;
  /** The next number of the fake's file sequence (uploads and probes). */
  nextFileSeq(): number;
}

/** The fake's version id of a model: a stable 64-hex string. */
export function fakeVersionId(model: string): string {
  return createHash('sha256').update(`fake-version:${model}`).digest('hex');
}

export function fakeId(salt: string, prefix: string, n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const digest = createHash('sha256').update(`${salt}:${prefix}:${n}`).digest();
  let id = '';
  for (let i = 0; i < 26; i++) id += alphabet[digest[i]! % 32];
  return id;
}
