// What a run takes and what it reports: the public types of the runner.
import type { SpxError } from '../errors/errors.js';
import type { PruneResult } from '../checkpoints/prune.js';
import type { RunState } from '../checkpoints/state.js';
import type { Store } from '../checkpoints/store.js';
import type { LoadedPipeline } from '../pipeline/types.js';
import type { FileRef } from '../plugins/types.js';
import type { RunEventListener } from './events.js';

export interface RunOptions {
  pipeline: LoadedPipeline;
  /** Input values by name; file inputs are paths. */
  inputs: Record<string, string | number | boolean>;
  store: Store;
  /** Directory for stage artifacts (default `<cwd>/.spx`). */
  workDir?: string;
  /** Where user-facing exports go (default: next to the main input). */
  outDir?: string;
  forceRestart?: boolean;
  fromStage?: string;
  /** Plan only: report what would run and why; runs nothing, calls nothing. */
  dryRun?: boolean;
  concurrency?: number;
  signal?: AbortSignal;
  onEvent?: RunEventListener;
  /** The environment stages see (ctx.env) and preflight checks (default process.env). */
  env?: Record<string, string | undefined>;
  /** Wait this long for another process holding the run (ms). */
  lockWaitMs?: number;
  /** Price overrides: `uses` → USD per unit. */
  pricing?: Record<string, number>;
  /** Keep the files of cheap outputs when the run completes (by default they are pruned, their records kept). */
  keepIntermediates?: boolean;
}

export interface PlannedStage {
  stage: string;
  uses: string;
  action: 'run' | 'reuse';
  reason: string;
}

/** What resuming saved: stages and paid calls not repeated, their price and time. */
export interface Savings {
  stages: number;
  paidCalls: number;
  usd: number;
  durationMs: number;
}

export interface RunSummary {
  runId: string;
  status: 'completed' | 'failed' | 'interrupted' | 'planned';
  plan: PlannedStage[];
  ran: string[];
  reused: string[];
  /** Reused stages whose pruned files were made again for a stage that ran. */
  remade: string[];
  failed?: { stage: string; error: SpxError };
  error?: SpxError;
  durationMs: number;
  /** Files the run published (exports). */
  outputs: FileRef[];
  saved: Savings;
  /** Files of cheap outputs removed when the run completed (their records are kept). */
  pruned?: PruneResult;
  state: RunState;
}
