// The ArtifactStore handed to a stage: its directory plus atomic writers.
import { mkdir } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { SpxError } from '../errors/errors.js';
import type { ArtifactStore, FileRef } from '../plugins/types.js';
import { adoptFile, tempPathFor, verifyFile, writeArtifact } from './atomic.js';

export function createArtifactStore(dir: string, options: { protectedPaths?: readonly string[] } = {}): ArtifactStore {
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
      return writeArtifact(path, data, mediaType);
    },
    async verify(ref: FileRef) {
      return (await verifyFile(ref)).ok;
    },
  };
}
