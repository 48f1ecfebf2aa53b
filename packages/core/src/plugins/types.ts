// The plugin contract: everything a stage author needs to type a plugin.
import type { Static, TSchema } from '@sinclair/typebox';
import type { SpxError } from '../errors/errors.js';

/** A JSON Schema (draft-07 / 2019-09 keywords that ajv 8 understands). */
export type JSONSchema = { [keyword: string]: unknown };

/** Any value that survives JSON.stringify → JSON.parse unchanged. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** `T` as JSON keeps it: primitives, arrays and objects of them (interfaces included); never functions, dates or undefined. */
export type Serializable<T> = T extends string | number | boolean | null
  ? T
  : T extends undefined
    ? never
    : T extends (...args: never[]) => unknown
      ? never
      : T extends ReadonlyArray<infer U>
        ? ReadonlyArray<Serializable<U>>
        : T extends Date | RegExp | Map<unknown, unknown> | Set<unknown>
          ? never
          : T extends object
            ? { [K in keyof T]: Serializable<T[K]> }
            : never;

/** A compile-time check that a sub-step's value can be stored as JSON (names the problem when not). */
export type MustBeJson<T> = [T] extends [Serializable<T>] ? unknown : { 'a sub-step value must be JSON-serialisable (no functions, dates or class instances)': never };

/** A file a stage produced, verified by size and sha256 before any reuse. */
export interface FileRef {
  /** Marks the value as a file reference in outputs and state. */
  kind: 'file';
  /** Absolute path. */
  path: string;
  bytes: number;
  sha256: string;
  mediaType?: string;
}

/**
 * How costly an output's files are to make again. `cheap`: the stage is deterministic and makes no
 * paid call, so its files may be removed once the run completes and remade when a later run needs
 * them (converted audio, chunk files). `costly`: kept (paid results, anything not reproducible).
 */
export type Retention = 'cheap' | 'costly';

export interface OutputSpec {
  /** `file`: a FileRef (references resolve to its path); `json`: a JSON value. */
  kind: 'file' | 'json';
  description: string;
}

/** What one unit of a stage's paid work costs, for "what resuming saved" figures. */
export interface Pricing {
  /** Unit name shown to users, e.g. "audio minute", "request". */
  unit: string;
  /** Estimated USD per unit; users may override it in config. */
  usd: number;
}

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface Progress {
  done: number;
  total?: number;
  /** Short text such as "chunk 12/60". */
  message?: string;
}

export interface StepOptions<T = Json> {
  /** The step calls a paid API: its reuse is counted as a saved call. */
  paid?: boolean;
  /** Validates a stored value before reuse (e.g. a file still verifies); false reruns the step. */
  reuseIf?: (value: T) => boolean | Promise<boolean>;
}

export interface ArtifactStore {
  /** The stage's own directory; everything it writes goes here. */
  readonly dir: string;
  /** A path under `dir` for a temporary file, not yet an artifact. */
  tmpPath(name: string): string;
  /** Writes data atomically (temp + fsync + rename) as `name` and returns its FileRef. */
  write(name: string, data: string | Uint8Array, mediaType?: string): Promise<FileRef>;
  /** Moves an already written temp file into place atomically as `name`, hashing it. */
  adopt(name: string, tmpFile: string, mediaType?: string): Promise<FileRef>;
  /** Writes a user-facing export atomically; the path must lie inside `run.outDir` (else PATH_UNSAFE). */
  publish(destination: string, data: string | Uint8Array, mediaType?: string): Promise<FileRef>;
  /** True when the file is one of this stage's (inside `dir`, no link) and has the recorded size and sha256. */
  verify(ref: FileRef): Promise<boolean>;
}

export interface RunInfo {
  /** Stable run id (pipeline name + input content). */
  readonly id: string;
  /** Directory where user-facing exports go. */
  readonly outDir: string;
  /** File name stem of the main input, used to name exports. */
  readonly inputStem: string;
  readonly pipeline: { readonly name: string; readonly version: string; readonly file: string };
}

export interface StageContext<P = Record<string, unknown>> {
  readonly run: RunInfo;
  readonly stageId: string;
  /** Parameters after defaults and reference resolution, validated against the stage's schema. */
  readonly params: Readonly<P>;
  /** Aborted on Ctrl-C / SIGTERM or when the run is cancelled: pass it to fetch and child processes. */
  readonly signal: AbortSignal;
  /** The run's environment (API keys, base URLs): read it here, never from process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly artifacts: ArtifactStore;
  /** A memoized sub-step: its JSON result is stored at once and reused on resume. Any JSON-serialisable type, interfaces included. */
  step: Memo;
  /** Like `step` but shared across runs and pipelines (scoped to the plugin), e.g. voiceprints by sample hash. */
  cache: Memo;
  progress(progress: Progress): void;
  /** Records billable units consumed (see StageDefinition.pricing). */
  usage(units: number): void;
  /** Throws an SpxError with the stage attached. */
  fail(code: string, message: string, options?: { hint?: string; cause?: unknown }): never;
}

export interface PreflightContext<P = Record<string, unknown>> {
  readonly stageId: string;
  readonly params: Readonly<P>;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface StageResult<O = Record<string, unknown>> {
  outputs: O;
  /** Free-form facts worth showing in `checkpoints show` (model used, counts). */
  metadata?: Record<string, Json>;
}

export interface StageDefinition<P = Record<string, unknown>, O extends Record<string, unknown> = Record<string, unknown>> {
  description: string;
  /**
   * JSON Schema of `with:`; defaults are applied; validated before anything runs. Declare it with
   * TypeBox (`Type.Object({...})`, re-exported by @spx/core) and `defineStage` types `ctx.params`
   * from it — one declaration for schema and type. A param with a `default` is declared required:
   * the default fills it before validation, so pipelines may still leave it out.
   */
  params: JSONSchema | TSchema;
  outputs: Record<string, OutputSpec>;
  /** Bump to invalidate checkpoints when the stage's behaviour changes within one plugin version. */
  version?: string;
  pricing?: Pricing;
  /**
   * Params that change how the stage works, not what it produces (concurrency, timeouts, poll
   * intervals): left out of the fingerprint, so changing them never reruns finished work.
   */
  executionParams?: readonly string[];
  /** The stage writes user-facing files to ctx.run.outDir; the destination is part of its fingerprint. */
  publishes?: boolean;
  /**
   * The stage applies transcript edits (speaker names, corrected utterances) given as its `edits`
   * param: spx adds the run's saved edits (`spx edit`, `spx ui`) to it, so they are part of its
   * fingerprint and only this stage reruns after an edit. core/export does.
   */
  acceptsEdits?: boolean;
  /**
   * Outputs whose files are cheap to make again (see Retention); unnamed outputs are costly and
   * always kept. Cheap files are removed when the run completes (their records stay) and remade
   * by running the stage again when a stage that runs later needs them, so name an output cheap
   * only when the whole stage is deterministic, free and quick. Never applies to exports.
   */
  retention?: Readonly<Partial<Record<Extract<keyof O, string>, Retention>>>;
  /** Checks that need no work (API key set, binary found); runs for every stage before any stage runs. */
  preflight?(ctx: PreflightContext<P>): void | Promise<void>;
  run(ctx: StageContext<P>): Promise<StageResult<O>>;
}

export interface Plugin {
  /** Package name, e.g. "@spx/plugin-ffmpeg"; shown as "[plugin …]" in errors and logs. */
  name: string;
  /** Semver of the package; part of every stage fingerprint. */
  version: string;
  /** Contract version; core refuses others with PLUGIN_API_MISMATCH. */
  apiVersion: 1;
  /** Keyed by the id used in YAML (`uses: ffmpeg/convert`). */
  stages: Record<string, StageDefinition>;
}

/**
 * `ctx.step` / `ctx.cache`: runs `fn` once and keeps its JSON result. Takes any JSON value, also
 * typed as an interface (checked at compile time: no functions, dates or class instances), and a
 * generic `T extends Json` in helpers that pass sub-steps through.
 */
export interface Memo {
  <T extends Json>(key: string, fn: () => Promise<T>, options?: StepOptions<T>): Promise<T>;
  <T>(key: string, fn: (() => Promise<T>) & MustBeJson<T>, options?: StepOptions<T>): Promise<T>;
}

/** The params type a TypeBox schema declares. */
export type ParamsOf<S extends TSchema> = Static<S>;

export type { SpxError };
