import { Args, Flags } from '@oclif/core';
import { basename, dirname, extname, resolve } from 'node:path';
import { EXIT, SpxError, mapPool, toSpxError } from '@spx/core';
import { displayStoreUrl, guardPluginFaults, runPipeline, type RunSummary } from '@spx/core/engine';
import { SpxCommand } from '../lib/base-command.js';
import { expandInputs } from '../lib/inputs.js';
import { openPipeline } from '../lib/pipelines.js';
import { createRenderer } from '../lib/render.js';

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
    { description: 'Offline pipeline on the shipped sample', command: '<%= config.bin %> run pipelines/local.yaml samples/meeting.wav' },
    { description: 'Standard pipeline, exports into out/', command: '<%= config.bin %> run pipelines/standard.yaml meeting.wav --out out/' },
    { description: 'Show what would run and why, without running', command: '<%= config.bin %> run pipelines/standard.yaml meeting.wav --dry-run' },
    { description: 'Override a parameter (reruns that stage and its dependents)', command: '<%= config.bin %> run pipelines/local.yaml meeting.wav --set convert.sampleRate=22050' },
    { description: 'A batch of files, four at a time', command: "<%= config.bin %> run pipelines/local.yaml 'recordings/*.wav' --concurrency 4" },
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
    wait: Flags.integer({ summary: 'Seconds to wait when another process holds the same run.', min: 0, default: 0 }),
    'work-dir': Flags.string({ summary: 'Directory for stage artifacts (default .spx; or SPX_WORK_DIR, or workDir: in spx.config.yaml).' }),
  };

  public async run(): Promise<undefined> {
    const { flags } = this;
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
    try {
      const pipeline = await openPipeline(this.args.pipeline, flags.set);
      const store = await this.store();
      const json = this.jsonEnabled();
      const mode = json ? 'json' : process.stdout.isTTY && !flags['dry-run'] ? 'tty' : 'plain';
      const renderer = createRenderer(mode, (text) => process.stdout.write(text), { debug: this.debugMode, dryRun: flags['dry-run'] });
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
              lockWaitMs: flags.wait * 1000,
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
        if (!json) this.report(results, Boolean(flags['dry-run']), displayStoreUrl(store.url));
        const exitCode = this.exitCodeFor(results, signalName);
        // With --json, stdout is JSON lines: the run events, then one summary object.
        const payload = { type: 'summary', results: results.map((r) => summarize(r)) };
        if (json) process.stdout.write(`${JSON.stringify(payload)}\n`);
        if (exitCode !== 0) {
          const single = results.length === 1 ? results[0]!.error : undefined;
          if (single && !json) process.stderr.write(`${single.code}: ${single.message}\n${single.hint ? `  hint: ${single.hint}\n` : ''}`);
          this.exit(exitCode);
        }
        return undefined;
      } finally {
        renderer.stop();
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      guard.restore();
    }
  }

  private exitCodeFor(results: InputResult[], signalName: NodeJS.Signals | undefined): number {
    if (signalName) return signalName === 'SIGINT' ? EXIT.INTERRUPTED : EXIT.TERMINATED;
    const failed = results.filter((r) => r.error);
    if (failed.length === 0) return EXIT.OK;
    if (results.length === 1) return failed[0]!.error!.exitCode;
    return EXIT.RUN_FAILED;
  }

  private report(results: InputResult[], dryRun: boolean, store: string): void {
    for (const { input, summary } of results) {
      if (!summary) continue;
      if (dryRun) {
        this.log(`Plan for ${input} (run ${summary.runId}, store ${store}):`);
        for (const step of summary.plan) this.log(`  ${step.action === 'reuse' ? 'reuse' : 'run  '}  ${step.stage.padEnd(14)} ${step.reason}`);
        continue;
      }
      const mark = summary.status === 'completed' ? '✔' : summary.status === 'interrupted' ? '■' : '✖';
      this.log(`${mark} ${summary.status} ${input} — run ${summary.runId} in ${(summary.durationMs / 1000).toFixed(1)} s: ${summary.ran.length} ran, ${summary.reused.length} reused`);
      for (const file of summary.outputs) this.log(`  → ${file.path}`);
      if (summary.saved.stages > 0 || summary.saved.paidCalls > 0) {
        const usd = summary.saved.usd > 0 ? ` (≈ $${summary.saved.usd.toFixed(summary.saved.usd < 1 ? 3 : 2)})` : '';
        const calls = summary.saved.paidCalls > 0 ? `, ${summary.saved.paidCalls} paid API call${summary.saved.paidCalls === 1 ? '' : 's'}${usd}` : '';
        this.log(`  resume saved ${summary.saved.stages} stage${summary.saved.stages === 1 ? '' : 's'}${calls}, ${(summary.saved.durationMs / 1000).toFixed(1)} s of work`);
      }
    }
    if (results.length > 1) {
      this.log('');
      this.log(`${'input'.padEnd(40)} ${'status'.padEnd(12)} ${'ran'.padStart(4)} ${'reused'.padStart(6)} ${'time'.padStart(8)}`);
      for (const r of results) {
        const s = r.summary;
        this.log(`${r.input.slice(-40).padEnd(40)} ${(s?.status ?? 'error').padEnd(12)} ${String(s?.ran.length ?? 0).padStart(4)} ${String(s?.reused.length ?? 0).padStart(6)} ${`${((s?.durationMs ?? 0) / 1000).toFixed(1)} s`.padStart(8)}${r.error ? `  ${r.error.code}: ${r.error.message}` : ''}`);
      }
      const failed = results.filter((r) => r.error).length;
      this.log(`${results.length - failed} of ${results.length} inputs succeeded.`);
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

function mainInputName(inputs: Record<string, { type: string }> | undefined): string {
  const files = Object.entries(inputs ?? {}).filter(([, spec]) => spec.type === 'file');
  if (files.length !== 1) throw new SpxError('PIPELINE_INVALID', `The pipeline must declare exactly one file input to take inputs from the command line (it declares ${files.length}).`, { hint: 'Declare one input of type: file.' });
  return files[0]![0];
}

function summarize({ input, summary, error }: InputResult): Record<string, unknown> {
  return {
    input,
    ...(summary
      ? { runId: summary.runId, status: summary.status, ran: summary.ran, reused: summary.reused, plan: summary.plan, durationMs: summary.durationMs, outputs: summary.outputs.map((o) => o.path), saved: summary.saved }
      : { status: 'error' }),
    ...(error ? { error: error.toJSON() } : {}),
  };
}
