// One error class for everything spx reports to a user: a code, a one-line
// message, an imperative hint, and where relevant a file position. Message and hint are
// redacted when the error is made, so no error spx prints, stores or returns holds a secret.
import type { ErrorCode } from './codes.js';
import { redact } from './redact.js';

export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export interface SpxErrorOptions {
  hint?: string;
  loc?: SourceLocation;
  cause?: unknown;
  stage?: string;
  plugin?: string;
  /** Code a plugin gave its own error, kept when core wraps it. */
  pluginCode?: string;
  /** Exit code the CLI uses; defaults from the code's category. */
  exitCode?: number;
  /** Whether rerunning the same command can succeed (network, rate limit, lock). */
  retryable?: boolean;
}

const brand = Symbol.for('spx.error');

export class SpxError extends Error {
  readonly code: ErrorCode | (string & {});
  readonly hint?: string;
  readonly loc?: SourceLocation;
  readonly stage?: string;
  readonly plugin?: string;
  readonly pluginCode?: string;
  readonly exitCode: number;
  readonly retryable: boolean;

  constructor(code: ErrorCode | (string & {}), message: string, options: SpxErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    Object.defineProperty(this, 'name', { value: 'SpxError', enumerable: false });
    Object.defineProperty(this, brand, { value: true, enumerable: false });
    this.code = code;
    this.hint = options.hint === undefined ? undefined : redact(options.hint);
    this.loc = options.loc;
    this.stage = options.stage;
    this.plugin = options.plugin;
    this.pluginCode = options.pluginCode;
    this.exitCode = options.exitCode ?? exitCodeFor(code);
    this.retryable = options.retryable ?? false;
  }

  /** JSON shape used by `--json` output and run state. Never contains secrets. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.loc ? { loc: this.loc } : {}),
      ...(this.stage ? { stage: this.stage } : {}),
      ...(this.pluginCode ? { pluginCode: this.pluginCode } : {}),
    };
  }
}

/** A list of problems found together (pipeline validation reports all at once). */
export class SpxAggregateError extends SpxError {
  readonly errors: SpxError[];
  constructor(code: ErrorCode, message: string, errors: SpxError[], options: SpxErrorOptions = {}) {
    super(code, message, options);
    this.errors = errors;
  }
}

export function isSpxError(value: unknown): value is SpxError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

/** Documented exit codes. */
export const EXIT = {
  OK: 0,
  RUN_FAILED: 1,
  INVALID: 2,
  ENVIRONMENT: 3,
  LOCKED: 4,
  INTERRUPTED: 130,
  TERMINATED: 143,
} as const;

/** Which exit code a category of error codes gets: by prefix, or by name. */
const EXIT_CATEGORIES: ReadonlyArray<{ exit: number; prefixes: readonly string[]; codes: readonly string[] }> = [
  { exit: EXIT.INTERRUPTED, prefixes: [], codes: ['ABORTED'] },
  { exit: EXIT.LOCKED, prefixes: [], codes: ['RUN_LOCKED', 'LEASE_LOST'] },
  {
    exit: EXIT.INVALID,
    prefixes: ['PIPELINE_', 'PARAMS_', 'INPUT_', 'PLUGIN_', 'IMPORT_', 'CONFIG_'],
    codes: ['USAGE', 'CHECKPOINT_NOT_FOUND', 'CHECKPOINT_AMBIGUOUS', 'STAGE_NOT_FOUND', 'OUTPUT_COLLISION', 'EDITS_INVALID', 'MODEL_UNAVAILABLE', 'QUEUE_INVALID'],
  },
  {
    exit: EXIT.ENVIRONMENT,
    prefixes: ['STORE_', 'MISSING_', 'ENV_'],
    codes: ['BINARY_NOT_FOUND', 'QUEUE_UNREACHABLE', 'BASE_URL_INVALID', 'DISK_FULL', 'PATH_UNSAFE', 'CHECKPOINT_INVALID'],
  },
];

function exitCodeFor(code: string): number {
  const category = EXIT_CATEGORIES.find((c) => c.codes.includes(code) || c.prefixes.some((prefix) => code.startsWith(prefix)));
  return category?.exit ?? EXIT.RUN_FAILED;
}

/** Turns anything thrown into an SpxError, keeping an existing one as is. */
export function toSpxError(error: unknown, fallbackCode: ErrorCode = 'INTERNAL'): SpxError {
  if (isSpxError(error)) return error;
  const err = error as NodeJS.ErrnoException | undefined;
  if (err?.code === 'ENOSPC') {
    return new SpxError('DISK_FULL', `No space left on the device while writing${err.path ? ` "${err.path}"` : ''}.`, {
      hint: 'Free disk space (or point --store/--out elsewhere) and run the same command again; completed stages are kept.',
      cause: error,
    });
  }
  if (err?.name === 'AbortError') return new SpxError('ABORTED', 'Run interrupted.', { cause: error });
  const message = err instanceof Error ? err.message : String(error);
  return new SpxError(fallbackCode, message.split('\n')[0] ?? message, { cause: error });
}
