// Atomic file writes: data goes to a temp file in the same directory, is fsynced,
// then renamed over the destination. A kill at any instant leaves the old file or the new one.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileRef } from '../plugins/types.js';
import { sha256, sha256File } from './hash.js';
import { processAlive } from '../util/process.js';

export function tempPathFor(destination: string): string {
  return join(dirname(destination), `.${basename(destination)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

export async function writeFileAtomic(destination: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(destination), { recursive: true });
  const tmp = tempPathFor(destination);
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, destination);
  } catch (error) {
    await rm(tmp, { force: true });
    // A failed write (ENOSPC, EROFS…) names the file being written, not an anonymous handle.
    const err = error as NodeJS.ErrnoException;
    if (err?.code && !err.path) err.path = destination;
    throw error;
  }
  await sweepStaleTemps(destination);
}

/**
 * Removes the temp files that killed processes left for this destination (their pid is not
 * alive on this host), so a kill -9 mid-write leaves no litter once the file is written again.
 */
async function sweepStaleTemps(destination: string): Promise<void> {
  const dir = dirname(destination);
  const prefix = `.${basename(destination)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length))?.[1]);
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    await rm(join(dir, name), { force: true }).catch(() => undefined);
  }
}

/** Writes atomically and returns the FileRef (size and sha256 of what was written). */
export async function writeArtifact(destination: string, data: string | Uint8Array, mediaType?: string): Promise<FileRef> {
  await writeFileAtomic(destination, data);
  const bytes = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  return { kind: 'file', path: destination, bytes, sha256: sha256(data), ...(mediaType ? { mediaType } : {}) };
}

/** fsyncs a finished temp file and renames it into place; returns its FileRef. */
export async function adoptFile(tmpFile: string, destination: string, mediaType?: string): Promise<FileRef> {
  const handle = await open(tmpFile, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await mkdir(dirname(destination), { recursive: true });
  const hash = await sha256File(tmpFile);
  const { size } = await stat(tmpFile);
  await rename(tmpFile, destination);
  return { kind: 'file', path: destination, bytes: size, sha256: hash, ...(mediaType ? { mediaType } : {}) };
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

/** Checks existence, size and (unless `quick`) the sha256 of a recorded file. */
export async function verifyFile(ref: FileRef, options: { quick?: boolean } = {}): Promise<VerifyResult> {
  let size: number;
  try {
    const info = await stat(ref.path);
    if (!info.isFile()) return { ok: false, reason: 'not a regular file' };
    size = info.size;
  } catch {
    return { ok: false, reason: 'missing' };
  }
  if (size !== ref.bytes) return { ok: false, reason: `size ${size} B, expected ${ref.bytes} B` };
  if (!options.quick && (await sha256File(ref.path)) !== ref.sha256) return { ok: false, reason: 'sha256 differs' };
  return { ok: true };
}

export function isFileRef(value: unknown): value is FileRef {
  return typeof value === 'object' && value !== null && (value as FileRef).kind === 'file' && typeof (value as FileRef).path === 'string' && typeof (value as FileRef).sha256 === 'string';
}
