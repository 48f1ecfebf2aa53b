// Verifies recorded artifacts before reuse. Unchanged (size, mtime) trusts the recorded sha256;
// anything else is re-hashed. `full` re-hashes everything (spx checkpoints validate). A record
// naming a file outside the run's directories is never reused, whatever its hash.
import { stat } from 'node:fs/promises';
import { sha256File } from '../artifacts/hash.js';
import { isInside, isRunArtifactPath } from '../artifacts/paths.js';
import { fileRefsIn, type ArtifactRecord, type StageRecord } from './state.js';

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

/**
 * The first file a stage record names (artifact or output) that is not in one of the run's stage
 * directories `…/runs/<runId>/<stage>/` nor, for a publishing stage, inside its out dir.
 */
export function strayRecordedFile(record: Pick<StageRecord, 'artifacts' | 'outputs'>, runId: string, outDir?: string): string | undefined {
  const paths = [...(record.artifacts ?? []).map((a) => a.path), ...fileRefsIn(record.outputs ?? {}).map((ref) => ref.path)];
  return paths.find((path) => !isRunArtifactPath(path, runId) && !(outDir !== undefined && isInside(outDir, path)));
}
