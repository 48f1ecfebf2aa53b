import { Args, Flags } from '@oclif/core';
import { basename, dirname, extname, resolve } from 'node:path';
import { EXIT, SpxError, mapPool, toSpxError } from '@spx/core';
import { displayStoreUrl, guardPluginFaults, runIdOf, runPipeline, type LoadedPipeline, type RunEvent, type RunSummary } from '@spx/core/engine';
import { SpxCommand } from '../lib/base-command.js';
import { batchExitCode, fromSummary, reportBatch } from '../lib/batch-report.js';
import { expandInputs } from '../lib/inputs.js';
import { openPipeline } from '../lib/pipelines.js';
import { queueAddress } from '../lib/queue/connection.js';
import { resultToJson, type BatchResult } from '../lib/queue/jobs.js';
import { submitBatch } from '../lib/queue/submit.js';
import { createRenderer, type Renderer } from '../lib/render.js';

interface InputResult {
  input: string;
  summary?: RunSummary;
  error?: SpxError;
}

export default class Run extends SpxCommand<typeof Run> {
  static override summary = 'Run (or resume) a pipeline on one or more inputs.';
  static override description = `Completed stages whose checkpoints verify are reused; a stage reruns when its params, plugin version, upstream outputs or input changed, and spx says why. Several inputs (or a quoted glob) run as a batch.

Exit codes: 0 ok, 1 a stage failed, 2 invalid usage/pipeline/input, 3 environment (missing binary, API key, store), 4 run locked by another process, 130 interrupted (SIGINT), 143 terminated (SIGTERM).`;
  static override examples = [
    { description: 'A shipped pipeline by name (spx pipelines list; a path that exists wins)', command: '<%= config.bin %> run local meeting.wav' },
    { description: 'Offline pipeline on the shipped sample', command: '<%= config.bin %> run pipelines/local.yaml samples/conversation.flac' },
    { description: 'Standard pipeline, exports into out/', command: '<%= config.bin %> run pipelines/standard.yaml meeting.wav --out out/' },
    { description: 'Show what would run and why, without running', command: '<%= config.bin %> run pipelines/standard.yaml meeting.wav --dry-run' },
    { description: 'Override a parameter (reruns that stage and its dependents)', command: '<%= config.bin %> run pipelines/local.yaml meeting.wav --set convert.sampleRate=22050' },
    { description: 'A batch of files, four at a time', command: "<%= config.bin %> run pipelines/local.yaml 'recordings/*.wav' --concurrency 4" },
    { description: 'A batch run by queue workers (spx worker), followed live', command: "<%= config.bin %> run pipelines/standard.yaml '/shared/in/*.wav' --queue redis://queue-host:6379" },
  ];
  static override strict = false;
  static override args = {
    pipeline: Args.string({ description: 'Pipeline YAML file (or the name of a shipped pipeline).', required: true }),
    input: Args.string({ description: 'Input file(s); quoted globs are expanded.', required: true }),
  };
  static override flags = {
    out: Flags.string({ char: 'o', summary: 'Directory for exports (default: next to each input; or SPX_OUT_DIR, or outDir: in spx.config.yaml).' }),
    set: Flags.string({ char: 's', summary: 'Override a stage parameter: stage.param=value (repeatable).', multiple: true, multipleNonGreedy: true, default: [] }),
    'force-restart': Flags.boolean({ summary: 'Ignore checkpoints and run every stage again.' }),
    'from-stage': Flags.string({ summary: 'Rerun this stage and everything downstream of it.' }),
    'dry-run': Flags.boolean({ summary: 'Print the plan (run / reuse and why) without running anything.' }),
    concurrency: Flags.integer({ char: 'c', summary: 'Inputs processed at once in a batch (default 1; or SPX_CONCURRENCY, or concurrency: in spx.config.yaml).', min: 1, max: 32 }),
    'stage-concurrency': Flags.integer({ summary: 'Independent stages run at once within one input (default: pipeline setting or 4).', min: 1, max: 64 }),
    wait: Flags.integer({ summary: 'Seconds to wait when another process holds the same run (default 0).', min: 0 }),
    'work-dir': Flags.string({ summary: 'Directory for stage artifacts (default .spx; or SPX_WORK_DIR, or workDir: in spx.config.yaml).' }),
    'keep-intermediates': Flags.boolean({
      summary: 'Keep the files of cheap intermediate outputs (converted audio, chunks) when a run completes; SPX_KEEP_INTERMEDIATES=1 does the same.',
      description: 'By default they are removed once the run has completed, their records kept, and made again only when a later run needs them.',
    }),
    queue: Flags.string({ summary: 'Queue the runs for workers (spx worker) instead of running them here: redis://HOST:PORT[/DB].', env: 'SPX_QUEUE' }),
    detach: Flags.boolean({ summary: 'With --queue: submit and exit without waiting for the results.', dependsOn: ['queue'] }),
  };

  public async run(): Promise<undefined> {
    const { flags } = this;
    const keepIntermediates = flags['keep-intermediates'] || envSwitch('SPX_KEEP_INTERMEDIATES');
    const inputs = expandInputs(this.positionals.slice(1));
    if (inputs.length === 0) throw new SpxError('USAGE', 'No input file given.', { hint: 'spx run <pipeline.yaml> <input...>' });
    const settings = this.settings({ workDir: flags['work-dir'], outDir: flags.out, concurrency: flags.concurrency });
    const outDir = settings.outDir.value;
    const pricing = Object.fromEntries(Object.entries(settings.pricing).map(([stage, price]) => [stage, price.value]));
    assertDistinctExports(inputs, outDir);
    const controller = new AbortController();
    let active = 0;
    // A plugin fault outside its stage's promise (or process.exit) fails the run instead of killing spx.
    const guard = guardPluginFaults((error) => controller.abort(error), () => active > 0);
    let signalName: NodeJS.Signals | undefined;
    const onSignal = (name: NodeJS.Signals) => {
      const exitCode = name === 'SIGINT' ? EXIT.INTERRUPTED : EXIT.TERMINATED;
      if (signalName) guard.exit(exitCode);
      signalName = name;
      process.stderr.write(`\n${name === 'SIGINT' ? 'Interrupted' : 'Terminated'}: saving state… (again to force quit)\n`);
      controller.abort(new SpxError('ABORTED', `Run interrupted by ${name}.`, { exitCode, hint: 'Run the same command again to resume.' }));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Run by a queue worker: when the worker dies (even by SIGKILL), stop as on SIGTERM.
    const orphaned = () => onSignal('SIGTERM');
    if (process.env.SPX_EXIT_WITH_PARENT === '1' && process.channel) {
      process.channel.unref();
      process.once('disconnect', orphaned);
    }
    try {
      const pipeline = await openPipeline(this.args.pipeline, flags.set);
      const json = this.jsonEnabled();
      const mode = json ? 'json' : process.stdout.isTTY && !flags['dry-run'] ? 'tty' : 'plain';
      const renderer = createRenderer(mode, (text) => process.stdout.write(text), { debug: this.debugMode, dryRun: flags['dry-run'] });
      if (flags.queue) return await this.runQueued(pipeline, inputs, renderer, controller.signal, () => signalName, { keepIntermediates, outDir });
      const store = await this.store();
      const batch = inputs.length > 1;
      try {
        const results = await mapPool(inputs, settings.concurrency.value, async (input): Promise<InputResult> => {
          active++;
          try {
            const summary = await runPipeline({
              pipeline,
              inputs: { [mainInputName(pipeline.spec.inputs)]: input },
              store,
              workDir: settings.workDir.value,
              outDir,
              pricing,
              forceRestart: flags['force-restart'],
              fromStage: flags['from-stage'],
              dryRun: flags['dry-run'],
              concurrency: flags['stage-concurrency'],
              signal: controller.signal,
              lockWaitMs: (flags.wait ?? 0) * 1000,
              keepIntermediates,
              onEvent: (event) => renderer.event(event, batch ? input : undefined),
            });
            return { input, summary, ...(summary.error ? { error: summary.error } : {}) };
          } catch (error) {
            if (!batch) throw error;
            return { input, error: toSpxError(error) };
          } finally {
            active--;
          }
        });
        renderer.stop();
        if (!json && flags['dry-run']) this.reportPlans(results, displayStoreUrl(store.url));
        this.finish(results.map((r) => fromSummary(r.input, r.summary, r.error)), signalName, json, { plans: results.map((r) => r.summary?.plan), dryRun: flags['dry-run'] });
        return undefined;
      } finally {
        renderer.stop();
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('disconnect', orphaned);
      guard.restore();
    }
  }

  /** Submits one job per input to the queue and, unless --detach, waits for the workers' results. */
  private async runQueued(pipeline: LoadedPipeline, inputs: string[], renderer: Renderer, signal: AbortSignal, signalName: () => NodeJS.Signals | undefined, { keepIntermediates, outDir }: { keepIntermediates: boolean; outDir: string | undefined }): Promise<undefined> {
    const { flags } = this;
    if (flags['dry-run']) throw new SpxError('USAGE', '--dry-run plans a run here; it cannot be combined with --queue.', { hint: 'Drop --queue to see the plan, or drop --dry-run to queue the runs.' });
    // What only a worker decides: refused rather than silently ignored.
    const workerSide = [
      ['--concurrency', flags.concurrency, 'each worker runs `spx worker --concurrency N` runs at once'],
      ['--wait', flags.wait, 'a worker waits for a run held elsewhere and hands the job back if it stays held'],
      ['--work-dir', flags['work-dir'], 'each worker uses its own `spx worker --work-dir`'],
    ] as const;
    for (const [flag, value, why] of workerSide) {
      if (value !== undefined) throw new SpxError('USAGE', `${flag} cannot be combined with --queue: ${why}.`, { hint: `Drop ${flag}, or drop --queue to run the batch here.` });
    }
    const address = queueAddress(flags.queue!);
    const name = mainInputName(pipeline.spec.inputs);
    const out = outDir === undefined ? undefined : resolve(outDir);
    const submissions = [];
    for (const input of inputs) {
      const path = resolve(input);
      const runId = await runIdOf(pipeline, { [name]: path });
      submissions.push({ runId, data: { pipeline: pipeline.file, input: path, set: flags.set, ...(out ? { out } : {}), ...(flags['force-restart'] ? { forceRestart: true } : {}), ...(keepIntermediates ? { keepIntermediates: true } : {}), ...(flags['from-stage'] ? { fromStage: flags['from-stage'] } : {}), ...(flags['stage-concurrency'] ? { stageConcurrency: flags['stage-concurrency'] } : {}) } });
    }
    const json = this.jsonEnabled();
    const results = await submitBatch(submissions, {
      address,
      detach: flags.detach,
      signal,
      say: (line) => this.say(line),
      onEvent: (event, input) => renderer.event(event as RunEvent, inputs.length > 1 ? input : undefined),
    });
    renderer.stop();
    if (!results) {
      if (signalName()) {
        this.say('Stopped following; the runs stay queued (spx queue status).');
        this.exit(batchExitCode([], signalName()));
      }
      // Following stopped for a fault in this process, not a signal: say which (the runs stay queued).
      if (signal.aborted) throw signal.reason;
      return undefined;
    }
    this.finish(results, signalName(), json);
    return undefined;
  }

  /** The closing report, the --json summary and the exit code, for a local batch and a queued one. */
  private finish(results: BatchResult[], signalName: NodeJS.Signals | undefined, json: boolean, options: { plans?: Array<unknown>; dryRun?: boolean } = {}): void {
    const { plans } = options;
    if (!json && !options.dryRun) reportBatch(results, (line) => this.log(line));
    const exitCode = batchExitCode(results, signalName);
    // With --json, stdout is JSON lines: the run events, then one summary object.
    const payload = { type: 'summary', results: results.map((r, i) => ({ ...resultToJson(r), ...(plans?.[i] ? { plan: plans[i] } : {}) })) };
    if (json) process.stdout.write(`${JSON.stringify(payload)}\n`);
    if (exitCode !== 0) {
      const single = results.length === 1 ? results[0]!.error : undefined;
      if (single && !json) process.stderr.write(`${single.code}: ${single.message}\n${single.hint ? `  hint: ${single.hint}\n` : ''}`);
      this.exit(exitCode);
    }
  }

  private reportPlans(results: InputResult[], store: string): void {
    for (const { input, summary } of results) {
      if (!summary) continue;
      this.log(`Plan for ${input} (run ${summary.runId}, store ${store}):`);
      for (const step of summary.plan) this.log(`  ${step.action === 'reuse' ? 'reuse' : 'run  '}  ${step.stage.padEnd(14)} ${step.reason}`);
    }
  }
}

/**
 * Two inputs of one batch that would write the same exports (the same name in one directory, or
 * the same name anywhere with --out) are refused before any work: one would overwrite the other.
 */
function assertDistinctExports(inputs: string[], out: string | undefined): void {
  const seen = new Map<string, string>();
  for (const input of inputs) {
    const key = `${resolve(out ?? dirname(resolve(input)))}\0${basename(input, extname(input))}`;
    const other = seen.get(key);
    if (other !== undefined && resolve(other) !== resolve(input)) {
      const stem = basename(input, extname(input));
      throw new SpxError('OUTPUT_COLLISION', `Inputs ${other} and ${input} would both export to ${resolve(out ?? dirname(resolve(input)), stem)}.* and overwrite each other.`, {
        hint: 'Rename one of them, or run them separately with different --out directories.',
      });
    }
    seen.set(key, input);
  }
}

/** A yes/no environment variable: unset or empty is no; anything but 1/0, true/false, yes/no is refused. */
function envSwitch(name: string): boolean {
  const raw = process.env[name]?.trim().toLowerCase();
  if (!raw || ['0', 'false', 'no'].includes(raw)) return false;
  if (['1', 'true', 'yes'].includes(raw)) return true;
  throw new SpxError('ENV_INVALID', `${name}="${process.env[name]}" is not a yes/no value.`, { hint: `Set ${name}=1 to keep intermediate files (0 or unset: prune them when a run completes).` });
}

function mainInputName(inputs: Record<string, { type: string }> | undefined): string {
  const files = Object.entries(inputs ?? {}).filter(([, spec]) => spec.type === 'file');
  if (files.length !== 1) throw new SpxError('PIPELINE_INVALID', `The pipeline must declare exactly one file input to take inputs from the command line (it declares ${files.length}).`, { hint: 'Declare one input of type: file.' });
  return files[0]![0];
}
