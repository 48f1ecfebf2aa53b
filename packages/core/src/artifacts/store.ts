// The ArtifactStore handed to a stage: its directory plus atomic writers. Artifact names stay
// inside the stage directory and exports inside the run's out dir; nothing goes through a link.
import { lstat, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SpxError } from '../errors/errors.js';
import type { ArtifactStore, FileRef } from '../plugins/types.js';
import { adoptFile, tempPathFor, verifyFile, writeArtifact } from './atomic.js';
import { confine, confineExport, isInside } from './paths.js';

export function createArtifactStore(dir: string, options: { protectedPaths?: readonly string[]; outDir?: string } = {}): ArtifactStore {
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
      return writeArtifact(path, data, mediaType);
    },
    async verify(ref: FileRef) {
      // A stored ref (a sub-step's value) is input: a file outside this stage's directory is never its own.
      return isInside(dir, ref?.path) && (await verifyFile(ref)).ok;
    },
  };
}
