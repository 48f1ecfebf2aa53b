// Helpers for plugin authors' tests: run one stage in isolation with a real
// artifact directory and an in-memory (or given) checkpoint store; build a fake HTTP API.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { openStore, type Store } from '../checkpoints/store.js';
import type { RunEvent } from '../runner/events.js';
import { createStageContext, type StageAccounting } from '../runner/context.js';
import type { Plugin, StageContext, StageDefinition, StageResult } from '../plugins/types.js';
import { SpxError } from '../errors/errors.js';

export * from './fake-http/index.js';

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

export async function runStageForTest<O extends Record<string, unknown>>(stage: StageDefinition<any, O>, options: TestStageOptions = {}): Promise<TestStageRun<O>> {
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
    params,
    artifactsDir: join(dir, 'artifacts'),
    signal: options.signal ?? new AbortController().signal,
    emit: (event) => events.push(event),
  });
  const result = (await stage.run(ctx)) as StageResult<O>;
  return { result, events, accounting, ctx: ctx as StageContext, store, dir };
}

/** Conformance checks every plugin should pass; call inside a mocha `describe`. */
export function pluginConformanceTests(it: (name: string, fn: () => Promise<void> | void) => unknown, plugin: Plugin): void {
  it('declares name, semver version and apiVersion 1', () => {
    if (!plugin.name || !/^\d+\.\d+\.\d+/.test(plugin.version) || plugin.apiVersion !== 1) throw new Error(`bad plugin header: ${plugin.name}@${plugin.version}`);
  });
  it('has stage ids of the form namespace/name with compiling param schemas', () => {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    for (const [id, stage] of Object.entries(plugin.stages)) {
      if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(id)) throw new Error(`bad stage id ${id}`);
      ajv.compile(stage.params);
      if (!stage.description || Object.keys(stage.outputs).length === 0) throw new Error(`${id} lacks description or outputs`);
    }
  });
  it('runs no work when the signal is already aborted', async () => {
    for (const [id, stage] of Object.entries(plugin.stages)) {
      const controller = new AbortController();
      controller.abort(new SpxError('ABORTED', 'aborted'));
      let params: Record<string, unknown>;
      try {
        params = prepareParams(stage, {});
      } catch {
        continue; // required params: covered by the plugin's own tests
      }
      try {
        await runStageForTest(stage, { params, signal: controller.signal });
      } catch {
        continue;
      }
      throw new Error(`${id} completed despite an aborted signal`);
    }
  });
}
