// Public API of @spx/core.
export * from './errors/index.js';
export * from './plugins/types.js';
export { definePlugin, defineStage } from './plugins/define.js';
export { sha256, sha256File } from './artifacts/hash.js';
export { writeFileAtomic, writeArtifact, adoptFile, verifyFile, isFileRef, tempPathFor } from './artifacts/atomic.js';
export { openStore, defaultStoreUrl, displayStoreUrl, DEFAULT_TTL_MS, type Store, type StoreOptions } from './checkpoints/store.js';
export { fetchWithRetry, readJson, apiError, backoffDelay, parseRetryAfter, defaultRetryPolicy, type RetryPolicy, type RetryEvent, type FetchWithRetryOptions } from './http/retry.js';
export { mapPool } from './util/pool.js';
export { sleep } from './util/sleep.js';
export { canonicalJson } from './util/canonical.js';
export * from './transcript/types.js';
export type { RunEvent, RunEventListener, StageState } from './runner/events.js';
