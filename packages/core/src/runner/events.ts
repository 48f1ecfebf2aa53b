// Events a run emits; the CLI renders them (TTY table, plain lines, or JSON lines).
import type { Progress } from '../plugins/types.js';

export type StageState = 'waiting' | 'running' | 'reused' | 'done' | 'failed' | 'skipped';

export type RunEvent =
  | { type: 'run-start'; runId: string; pipeline: string; version: string; input: string; stages: string[]; resumed: boolean }
  | { type: 'run-log'; level: 'info' | 'warn'; message: string }
  | { type: 'stage-plan'; stage: string; action: 'run' | 'reuse'; reason: string }
  | { type: 'stage-start'; stage: string; uses: string }
  | { type: 'stage-progress'; stage: string; progress: Progress }
  | { type: 'stage-log'; stage: string; level: 'debug' | 'info' | 'warn' | 'error'; message: string }
  | { type: 'step-reused'; stage: string; key: string; paid: boolean }
  | { type: 'stage-reused'; stage: string; reason: string }
  | { type: 'stage-done'; stage: string; durationMs: number }
  | { type: 'stage-failed'; stage: string; code: string; message: string }
  | { type: 'run-end'; runId: string; status: 'completed' | 'failed' | 'interrupted'; durationMs: number };

export type RunEventListener = (event: RunEvent) => void;
