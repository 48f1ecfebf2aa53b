// The ArtifactStore handed to a stage: its directory plus atomic writers. Artifact names stay
// inside the stage directory and exports inside the run's out dir; nothing goes through a link.
// Exports are the user's: one that changed since spx wrote it (edited, or a file spx never
// wrote) is kept as a backup next to it rather than silently overwritten.
import { lstat, mkdir, rename, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { SpxError } from '../errors/errors.js';
import type { ArtifactStore, FileRef } from '../plugins/types.js';
import { adoptFile, tempPathFor, verifyFile, writeArtifact } from './atomic.js';
import { sha256, sha256File } from './hash.js';
import { confine, confineExport, isInside } from './paths.js';

export interface ArtifactStoreOptions {
  /** Files exports must never overwrite (the run's inputs). */
  protectedPaths?: readonly string[];
  /** Where exports may go; `publish` refuses anything outside it. */
  outDir?: string;
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
  const inside = (name: string): string => confine(dir, ...String(name).split('/'));
  let made: Promise<unknown> | undefined;
  const ensureDir = () =>
    (made ??= mkdir(dir, { recursive: true }).then(async () => {
      if ((await lstat(dir)).isSymbolicLink()) throw new SpxError('PATH_UNSAFE', `${dir} is a symbolic link; spx does not write artifacts through links.`, { hint: `Remove the link (rm ${dir}) and run again.` });
    }));
  return {
    dir,
    tmpPath(name) {
      return tempPathFor(inside(name));
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
      const path = options.outDir === undefined ? resolve(destination) : confineExport(options.outDir, destination);
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
      // A stored ref (a sub-step's value) is input: a file outside this stage's directory is never its own.
      return isInside(dir, ref?.path) && (await verifyFile(ref)).ok;
    },
  };
}
