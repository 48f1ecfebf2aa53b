// Verifies recorded artifacts before reuse. Unchanged (size, mtime) trusts the recorded sha256;
// anything else is re-hashed. `full` re-hashes everything (spx checkpoints validate).
import { stat } from 'node:fs/promises';
import { sha256File } from '../artifacts/hash.js';
import type { ArtifactRecord } from './state.js';

export type ArtifactCheck = { artifact: ArtifactRecord; ok: true } | { artifact: ArtifactRecord; ok: false; reason: string };

export async function checkArtifact(artifact: ArtifactRecord, full = false): Promise<ArtifactCheck> {
  let info;
  try {
    info = await stat(artifact.path);
  } catch {
    return { artifact, ok: false, reason: 'missing' };
  }
  if (!info.isFile()) return { artifact, ok: false, reason: 'not a file' };
  if (info.size !== artifact.bytes) return { artifact, ok: false, reason: `size is ${info.size} B, recorded ${artifact.bytes} B` };
  if (!full && artifact.mtimeMs !== undefined && Math.abs(info.mtimeMs - artifact.mtimeMs) < 1) return { artifact, ok: true };
  const hash = await sha256File(artifact.path);
  return hash === artifact.sha256 ? { artifact, ok: true } : { artifact, ok: false, reason: 'content changed (sha256 differs)' };
}

export async function checkArtifacts(artifacts: ArtifactRecord[], full = false): Promise<ArtifactCheck[]> {
  return Promise.all(artifacts.map((a) => checkArtifact(a, full)));
}
