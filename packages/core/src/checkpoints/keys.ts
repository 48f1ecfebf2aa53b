// Key layout in the store (all under Keyv's "spx" namespace).
export const keys = {
  run: (runId: string) => `run:${runId}`,
  runPrefix: 'run:',
  lock: (runId: string) => `lock:${runId}`,
  step: (runId: string, stageId: string, fingerprint: string, key: string) => `step:${runId}:${stageId}:${fingerprint.slice(0, 16)}:${key}`,
  stepPrefix: (runId: string) => `step:${runId}:`,
  cache: (plugin: string, key: string) => `cache:${plugin}:${key}`,
  fileHash: (path: string) => `hash:${path}`,
  /** This store's random identity, written once, never expires (run directory markers name it). */
  storeId: 'meta:store-id',
};
