// Key layout in the store (all under Keyv's "spx" namespace).
import { createHash } from 'node:crypto';

export const keys = {
  run: (runId: string) => `run:${runId}`,
  runPrefix: 'run:',
  lock: (runId: string) => `lock:${runId}`,
  /** The run's transcript edits (spx edit, spx ui), applied by core/export. */
  edits: (runId: string) => `edits:${runId}`,
  step: (runId: string, stageId: string, fingerprint: string, key: string) => `step:${runId}:${stageId}:${fingerprint.slice(0, 16)}:${key}`,
  stepPrefix: (runId: string) => `step:${runId}:`,
  cache: (plugin: string, key: string) => `cache:${plugin}:${key}`,
  fileHash: (path: string) => `hash:${path}`,
  /** Which run holds the checkpoint of a stage fingerprint (shared between runs). */
  stageResult: (fingerprint: string) => `result:${fingerprint}`,
  /** Which run's exports a (directory, input stem) pair holds. */
  output: (outDir: string, stem: string) => `out:${createHash('sha256').update(`${outDir}\0${stem}`).digest('hex').slice(0, 32)}`,
  /** This store's random identity, written once, never expires (run directory markers name it). */
  storeId: 'meta:store-id',
};
