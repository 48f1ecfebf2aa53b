// Work one run did is not repeated by another: a stage's fingerprint says everything its result
// depends on (plugin and version, params, upstream output digests, input content), so a checkpoint
// another run made with the same fingerprint is this stage's result too — a pipeline that
// `extends` another, or two pipelines that share their first stages, pay for that work once.
// The result is adopted by copy: its files are hard-linked (or copied) into this run's own stage
// directory and its sub-step checkpoints copied, so deleting the other run later costs nothing.
// Files the other run pruned stay pruned records here, made again in this run if it needs them:
// the adopted outputDigest is what lets the stages downstream be shared too.
import { copyFile, link, mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { keys } from '../checkpoints/keys.js';
import { keptArtifacts, type RunState, type StageRecord } from '../checkpoints/state.js';
import type { Store } from '../checkpoints/store.js';
import { checkArtifacts } from '../checkpoints/verify.js';

interface ResultPointer {
  runId: string;
  stage: string;
}

export interface SharedResult {
  runId: string;
  pipeline: string;
  record: StageRecord;
}

/** Records that the run's stage holds the result for this fingerprint. */
export async function publishResult(store: Store, record: StageRecord, runId: string): Promise<void> {
  if (record.destination) return;
  await store.set(keys.stageResult(record.fingerprint), { runId, stage: record.stage } satisfies ResultPointer);
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !path.includes('\0');
}

/**
 * Another run's verified checkpoint with this fingerprint, if there is one whose files all live in
 * that run's directory under the same work dir (paths read from the store lead nowhere else).
 */
export async function findSharedResult(store: Store, fingerprint: string, options: { runId: string; workDir: string }): Promise<SharedResult | undefined> {
  const pointer = await store.get<ResultPointer>(keys.stageResult(fingerprint));
  if (!pointer || typeof pointer !== 'object' || typeof pointer.runId !== 'string' || typeof pointer.stage !== 'string' || pointer.runId === options.runId) return undefined;
  if (!/^[0-9a-f]{12}$/.test(pointer.runId)) return undefined;
  const state = await store.get<RunState>(keys.run(pointer.runId));
  const record = state?.stages && Object.hasOwn(state.stages, pointer.stage) ? state.stages[pointer.stage] : undefined;
  if (!record || record.fingerprint !== fingerprint || record.status !== 'completed' || record.destination || !Array.isArray(record.artifacts)) return undefined;
  const stageDir = resolve(options.workDir, 'runs', pointer.runId, pointer.stage);
  if (!record.artifacts.every((a) => typeof a?.path === 'string' && isInside(stageDir, resolve(a.path)))) return undefined;
  const checks = await checkArtifacts(keptArtifacts(record.artifacts));
  if (!checks.every((c) => c.ok)) return undefined;
  return { runId: pointer.runId, pipeline: state?.pipeline?.name ?? '?', record };
}

function mapFileRefs(value: unknown, paths: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => mapFileRefs(v, paths));
  if (value && typeof value === 'object') {
    const ref = value as { kind?: unknown; path?: unknown };
    if (ref.kind === 'file' && typeof ref.path === 'string' && paths.has(ref.path)) return { ...ref, path: paths.get(ref.path) };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapFileRefs(v, paths)]));
  }
  return value;
}

/**
 * Copies the shared result into this run: files into `targetDir` (hard links where the file system
 * allows), sub-step checkpoints under this run's keys. Returns the record as this run's own.
 */
export async function adoptSharedResult(store: Store, shared: SharedResult, target: { runId: string; stageId: string; dir: string; workDir: string }): Promise<StageRecord> {
  const sourceDir = resolve(target.workDir, 'runs', shared.runId, shared.record.stage);
  const paths = new Map<string, string>();
  await rm(target.dir, { recursive: true, force: true });
  for (const artifact of shared.record.artifacts) {
    // Files keep their place below the stage directory (a fingerprint directory is replaced by ours).
    const below = relative(sourceDir, resolve(artifact.path)).split(sep);
    if (/^[0-9a-f]{12}$/.test(below[0] ?? '') && below.length > 1) below.shift();
    const destination = join(target.dir, ...below);
    paths.set(artifact.path, destination);
    if (artifact.pruned) continue; // recorded as pruned here too: made again in this run when needed
    await mkdir(dirname(destination), { recursive: true });
    await link(artifact.path, destination).catch(() => copyFile(artifact.path, destination));
  }
  const prefix = `${keys.stepPrefix(shared.runId)}${shared.record.stage}:${shared.record.fingerprint.slice(0, 16)}:`;
  for await (const key of store.keys(prefix)) {
    const value = await store.get(key);
    if (value !== undefined) await store.set(`${keys.stepPrefix(target.runId)}${target.stageId}:${shared.record.fingerprint.slice(0, 16)}:${key.slice(prefix.length)}`, value);
  }
  const artifacts = await Promise.all(
    shared.record.artifacts.map(async (a) => {
      const path = paths.get(a.path)!;
      if (a.pruned) return { ...a, path };
      const [check] = await checkArtifacts([{ ...a, path, mtimeMs: undefined }], true);
      if (!check?.ok) throw new Error(`copy of ${a.path} does not verify`);
      return { ...a, path, mtimeMs: (await stat(path)).mtimeMs };
    }),
  );
  return {
    ...shared.record,
    stage: target.stageId,
    outputs: mapFileRefs(shared.record.outputs, paths) as Record<string, unknown>,
    artifacts,
    metadata: { ...(shared.record.metadata ?? {}), reusedFrom: `${shared.runId}/${shared.record.stage}` },
  };
}
