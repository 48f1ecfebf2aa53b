// Content hashes of input files, cached in the store by (path, size, mtime) so multi-GB
// audio is hashed once, not on every run. A renamed file hashes the same; an edited one does not.
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sha256File } from '../artifacts/hash.js';
import { SpxError } from '../errors/errors.js';
import { keys } from '../checkpoints/keys.js';
import type { Store } from '../checkpoints/store.js';

interface CachedHash {
  size: number;
  mtimeMs: number;
  sha256: string;
}

export async function hashInputFile(store: Store, name: string, pathArg: string): Promise<{ path: string; sha256: string; bytes: number }> {
  const path = resolve(pathArg);
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new SpxError('INPUT_MISSING', `Input "${name}" file "${pathArg}" does not exist.`, { hint: 'Check the path (quote paths with spaces).' });
  }
  if (info.isDirectory()) throw new SpxError('INPUT_INVALID', `Input "${name}" "${pathArg}" is a directory, not a file.`, { hint: 'Pass an audio or video file (or a glob like "dir/*.wav").' });
  if (info.size === 0) throw new SpxError('INPUT_INVALID', `Input "${name}" file "${pathArg}" is empty (0 bytes).`, { hint: 'Pass a non-empty audio or video file.' });
  const cached = await store.get<CachedHash>(keys.fileHash(path));
  if (cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs) return { path, sha256: cached.sha256, bytes: info.size };
  const sha256 = await sha256File(path);
  await store.set(keys.fileHash(path), { size: info.size, mtimeMs: info.mtimeMs, sha256 } satisfies CachedHash);
  return { path, sha256, bytes: info.size };
}
