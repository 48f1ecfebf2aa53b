// Content hashes of input files, cached in the store so multi-GB audio is hashed once, not on
// every run. The cache trusts a file only while its identity is unchanged: size and mtime, which
// a user (or a copy tool) can set back to old values, and also inode, device and ctime, which no
// one can set — any write or replacement changes ctime. A renamed file hashes the same; an edited
// one does not, even when its size and mtime were restored.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sha256File } from '../artifacts/hash.js';
import { SpxError } from '../errors/errors.js';
import { keys } from '../checkpoints/keys.js';
import type { Store } from '../checkpoints/store.js';

/** What identifies one version of a file on disk. */
export interface FileIdentity {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

interface CachedHash extends Partial<FileIdentity> {
  sha256: string;
}

export interface HashedInput {
  path: string;
  sha256: string;
  bytes: number;
  identity: FileIdentity;
}

function identityOf(info: { size: number; mtimeMs: number; ctimeMs: number; ino: number; dev: number }): FileIdentity {
  return { size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs, ino: info.ino, dev: info.dev };
}

export function sameIdentity(a: Partial<FileIdentity>, b: FileIdentity): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.dev === b.dev;
}

/** The file's identity now, or undefined when it is gone. */
export async function currentIdentity(path: string): Promise<FileIdentity | undefined> {
  const info = await stat(path).catch(() => undefined);
  return info ? identityOf(info) : undefined;
}

/** Hashes an input file (with the store's cache; without a store, always reads it). */
export async function hashInputFile(store: Store | undefined, name: string, pathArg: string, attempt = 1): Promise<HashedInput> {
  const path = resolve(pathArg);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new SpxError('INPUT_MISSING', `Input "${name}" file "${pathArg}" does not exist.`, { hint: 'Check the path (quote paths with spaces).' });
  }
  if (info.isDirectory()) throw new SpxError('INPUT_INVALID', `Input "${name}" "${pathArg}" is a directory, not a file.`, { hint: 'Pass an audio or video file (or a glob like "dir/*.wav").' });
  if (info.size === 0) throw new SpxError('INPUT_INVALID', `Input "${name}" file "${pathArg}" is empty (0 bytes).`, { hint: 'Pass a non-empty audio or video file.' });
  const identity = identityOf(info);
  const cached = await store?.get<CachedHash>(keys.fileHash(path));
  if (cached && typeof cached.sha256 === 'string' && sameIdentity(cached, identity)) return { path, sha256: cached.sha256, bytes: info.size, identity };
  const sha256 = await sha256File(path);
  // A file that changed while it was read is hashed again, so the hash is of one version of it.
  const after = await currentIdentity(path);
  if (!after || !sameIdentity(after, identity)) {
    if (attempt < 3) return hashInputFile(store, name, pathArg, attempt + 1);
    throw new SpxError('INPUT_CHANGED', `Input "${name}" file "${pathArg}" keeps changing while it is read.`, { hint: 'Wait until whatever writes it has finished, then run again.' });
  }
  await store?.set(keys.fileHash(path), { ...identity, sha256 } satisfies CachedHash);
  return { path, sha256, bytes: info.size, identity };
}
