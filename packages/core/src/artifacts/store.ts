// The ArtifactStore handed to a stage: its directory plus atomic writers. Exports are the user's:
// one that changed since spx wrote it (edited, or a file spx never wrote) is kept as a backup
// next to it rather than silently overwritten.
import { mkdir, rename, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { SpxError } from '../errors/errors.js';
import type { ArtifactStore, FileRef } from '../plugins/types.js';
import { adoptFile, tempPathFor, verifyFile, writeArtifact } from './atomic.js';
import { sha256, sha256File } from './hash.js';

export interface ArtifactStoreOptions {
  /** Files exports must never overwrite (the run's inputs). */
  protectedPaths?: readonly string[];
  /** Exports written last time (path → sha256): those are replaced without a backup. */
  published?: ReadonlyMap<string, string>;
  /** Told when an existing file is kept as a backup. */
  warn?: (message: string) => void;
}

/** `talk.srt` → `talk.backup-20261201-194200.srt` (with `-2`, `-3`… if that exists too). */
async function backupPath(path: string): Promise<string> {
  const ext = extname(path);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = join(dirname(path), `${basename(path, ext)}.backup-${stamp}`);
  for (let n = 1; ; n++) {
    const candidate = `${base}${n > 1 ? `-${n}` : ''}${ext}`;
    if (!(await stat(candidate).catch(() => undefined))) return candidate;
  }
}

export function createArtifactStore(dir: string, options: ArtifactStoreOptions = {}): ArtifactStore {
  const inside = (name: string): string => {
    const path = resolve(dir, name);
    const rel = relative(dir, path);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`Artifact name "${name}" escapes the stage directory.`);
    return path;
  };
  let made: Promise<unknown> | undefined;
  const ensureDir = () => (made ??= mkdir(dir, { recursive: true }));
  return {
    dir,
    tmpPath(name) {
      return tempPathFor(join(dir, name));
    },
    async write(name, data, mediaType) {
      await ensureDir();
      return writeArtifact(inside(name), data, mediaType);
    },
    async adopt(name, tmpFile, mediaType) {
      await ensureDir();
      return adoptFile(tmpFile, inside(name), mediaType);
    },
    async publish(destination, data, mediaType) {
      const path = resolve(destination);
      if (options.protectedPaths?.includes(path)) {
        throw new SpxError('ARTIFACT_INVALID', `Refusing to overwrite the run's input "${path}" with an export.`, { hint: 'Pass --out DIR to write exports elsewhere.' });
      }
      const existing = await stat(path).catch(() => undefined);
      if (existing?.isFile()) {
        const current = await sha256File(path);
        if (current !== sha256(data) && current !== options.published?.get(path)) {
          const backup = await backupPath(path);
          await rename(path, backup);
          options.warn?.(`${path} changed since spx wrote it; kept it as ${basename(backup)} and wrote a fresh export`);
        }
      }
      return writeArtifact(path, data, mediaType);
    },
    async verify(ref: FileRef) {
      return (await verifyFile(ref)).ok;
    },
  };
}
