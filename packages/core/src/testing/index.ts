// Helpers for plugin authors' tests: run one stage in isolation with a real
// artifact directory and an in-memory (or given) checkpoint store; build a fake HTTP API that
// answers from the audio it is sent.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { openStore, type Store } from '../checkpoints/store.js';
import type { RunEvent } from '../runner/events.js';
import { createStageContext, type StageAccounting } from '../runner/context.js';
import type { Plugin, StageContext, StageDefinition, StageResult } from '../plugins/types.js';
import { SpxError } from '../errors/errors.js';
import { DIARIZATION, TRANSCRIPT, readDocument } from '../transcript/read.js';

export * from './fake-http/index.js';
export * from './fake-speech/index.js';

export interface TestStageOptions {
  /** Raw params as they would appear under `with:`; schema defaults are applied. */
  params?: Record<string, unknown>;
  /** Directory for artifacts (a fresh temp dir by default). */
  dir?: string;
  /** Store to keep sub-step checkpoints in; pass the same one to test resume. */
  store?: Store;
  signal?: AbortSignal;
  runId?: string;
  stageId?: string;
  outDir?: string;
  inputStem?: string;
  /** Fingerprint used to key sub-steps; keep it equal across calls to test resume. */
  fingerprint?: string;
  /** Exports an earlier run of the stage wrote (path → sha256): replacing them needs no backup. */
  published?: ReadonlyMap<string, string>;
  /** The stage's environment (ctx.env); default an empty one, so tests never depend on the shell's. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface TestStageRun<O> {
  result: StageResult<O>;
  events: RunEvent[];
  accounting: StageAccounting;
  ctx: StageContext;
  store: Store;
  dir: string;
}

/** Applies schema defaults and validates params like the runner does; throws PARAMS_INVALID. */
export function prepareParams(stage: StageDefinition, params: Record<string, unknown> = {}): Record<string, unknown> {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  const copy = structuredClone(params);
  const validate = ajv.compile(stage.params);
  if (!validate(copy)) {
    const first = validate.errors?.[0];
    throw new SpxError('PARAMS_INVALID', `Invalid params: ${first?.instancePath || '(root)'} ${first?.message ?? ''}`.trim());
  }
  return copy;
}

export async function runStageForTest<P, O extends Record<string, unknown>>(stage: StageDefinition<P, O>, options: TestStageOptions = {}): Promise<TestStageRun<O>> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'spx-stage-')));
  const store = options.store ?? (await openStore({ url: 'memory://' }));
  const events: RunEvent[] = [];
  const params = prepareParams(stage, options.params);
  const { ctx, accounting } = createStageContext({
    store,
    run: { id: options.runId ?? 'test-run', outDir: options.outDir ?? join(dir, 'out'), inputStem: options.inputStem ?? 'input', pipeline: { name: 'test', version: '0.0.0', file: join(dir, 'pipeline.yaml') } },
    stageId: options.stageId ?? 'stage',
    pluginName: 'test-plugin',
    fingerprint: options.fingerprint ?? 'test-fingerprint',
    ...(options.published ? { published: options.published } : {}),
    env: options.env ?? {},
    // Validated against the stage's own schema (defaults applied), so these are its params.
    params: params as P,
    artifactsDir: join(dir, 'artifacts'),
    signal: options.signal ?? new AbortController().signal,
    emit: (event) => events.push(event),
  });
  const result = (await stage.run(ctx)) as StageResult<O>;
  return { result, events, accounting, ctx: ctx as StageContext, store, dir };
}

/** What the conformance suite needs to run one stage for real. */
export interface ConformanceStage {
  /** Valid `with:` params (with real input files); the suite fails a stage it has none for. */
  params: Record<string, unknown>;
  /** ctx.env for the stage (API keys, base URLs of a fake server). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Run the stage twice on one store (with `params`): the second run must make no paid call. Only
   * for stages that can run here (a fake server or a local binary).
   */
  resume?: boolean;
  /** Outputs that are canonical documents, validated against their schema after a real run. */
  documents?: Record<string, 'transcript' | 'diarization'>;
}

export interface ConformanceOptions {
  /** Per stage id; every stage of the plugin must be listed. */
  stages: Record<string, ConformanceStage>;
}

/** Conformance checks every plugin should pass; call inside a mocha `describe`. */
export function pluginConformanceTests(it: (name: string, fn: () => Promise<void> | void) => unknown, plugin: Plugin, options: ConformanceOptions): void {
  const sample = (id: string): ConformanceStage => {
    const found = Object.hasOwn(options.stages, id) ? options.stages[id] : undefined;
    if (!found) throw new Error(`no conformance params for stage ${id}: list every stage in options.stages`);
    return found;
  };
  it('declares name, semver version and apiVersion 1', () => {
    if (!plugin.name || !/^\d+\.\d+\.\d+/.test(plugin.version) || plugin.apiVersion !== 1) throw new Error(`bad plugin header: ${plugin.name}@${plugin.version}`);
  });
  it('has stage ids of the form namespace/name with compiling param schemas that accept the sample params', () => {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    for (const [id, stage] of Object.entries(plugin.stages)) {
      if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(id)) throw new Error(`bad stage id ${id}`);
      ajv.compile(stage.params);
      if (!stage.description || Object.keys(stage.outputs).length === 0) throw new Error(`${id} lacks description or outputs`);
      prepareParams(stage, sample(id).params);
    }
    for (const id of Object.keys(options.stages)) if (!Object.hasOwn(plugin.stages, id)) throw new Error(`options.stages names ${id}, which the plugin does not have`);
  });
  it('runs no work when the signal is already aborted: rejects with ABORTED, writes nothing, stores nothing', async () => {
    for (const [id, stage] of Object.entries(plugin.stages)) {
      const { params, env } = sample(id);
      const controller = new AbortController();
      controller.abort(new SpxError('ABORTED', 'aborted before the stage started'));
      const dir = await mkdtemp(join(tmpdir(), 'spx-conformance-'));
      const store = await openStore({ url: 'memory://' });
      try {
        const outcome = await runStageForTest(stage, { params, env: env ?? {}, signal: controller.signal, dir, store }).then(
          () => undefined,
          (error: unknown) => error,
        );
        if (outcome === undefined) throw new Error(`${id} completed despite an aborted signal`);
        const aborted = outcome === controller.signal.reason || (outcome instanceof SpxError && outcome.code === 'ABORTED') || (outcome as { name?: string })?.name === 'AbortError';
        if (!aborted) throw new Error(`${id} failed with ${(outcome as Error)?.message ?? String(outcome)} instead of an abort`);
        const written = await readdir(join(dir, 'artifacts')).catch(() => [] as string[]);
        if (written.length > 0) throw new Error(`${id} wrote ${written.join(', ')} despite an aborted signal`);
        const stored: string[] = [];
        for await (const key of store.keys('')) if (!key.startsWith('meta:')) stored.push(key);
        if (stored.length > 0) throw new Error(`${id} stored ${stored.join(', ')} despite an aborted signal`);
      } finally {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
    }
  });
  const real = Object.entries(options.stages).filter(([, s]) => s.resume || s.documents);
  if (real.length > 0) {
    it('returns canonical documents, and pays nothing again when resumed on the same store', async () => {
      for (const [id, conf] of real) {
        const stage = plugin.stages[id]!;
        const dir = await mkdtemp(join(tmpdir(), 'spx-conformance-'));
        const store = await openStore({ url: 'memory://' });
        try {
          const first = await runStageForTest(stage, { params: conf.params, env: conf.env ?? {}, dir, store });
          for (const [output, kind] of Object.entries(conf.documents ?? {})) {
            const ref = first.result.outputs[output] as { path?: string } | undefined;
            if (!ref?.path) throw new Error(`${id} output ${output} is not a file`);
            if (kind === 'transcript') await readDocument(TRANSCRIPT, ref.path);
            else await readDocument(DIARIZATION, ref.path);
          }
          if (conf.resume) {
            const again = await runStageForTest(stage, { params: conf.params, env: conf.env ?? {}, dir, store });
            if (again.accounting.paidStepsRun > 0) throw new Error(`${id} made ${again.accounting.paidStepsRun} paid call(s) again when resumed`);
          }
        } finally {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        }
      }
    });
  }
}
