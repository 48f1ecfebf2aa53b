import { Flags } from '@oclif/core';
import { basename } from 'node:path';
import { EXIT, toSpxError } from '@spx/core';
import { SpxCommand } from '../lib/base-command.js';
import { checkNode, checkStore, checkTool, checkWritable, TOOLS, type Check } from '../lib/doctor.js';
import { DEFAULT_PIPELINE, openPipeline, shippedPipelines } from '../lib/pipelines.js';
import { needName, pipelineNeeds, preflightProblems } from '../lib/readiness.js';

interface PipelineReadiness {
  name: string;
  ok: boolean;
  /** What is missing here (binaries, API keys), or the problem that keeps it from loading. */
  missing: string[];
  problems: Array<{ code: string; message: string; hint?: string }>;
}

export interface DoctorReport {
  ok: boolean;
  checks: Check[];
  apiKeys: Array<{ name: string; set: boolean }>;
  pipelines: PipelineReadiness[];
  defaultPipeline: string;
}

export default class Doctor extends SpxCommand<typeof Doctor> {
  static override summary = 'Check that this machine can run spx and each shipped pipeline.';
  static override description = `Node version; ffmpeg, ffprobe and pocketsphinx found and their versions; the store reachable (an SQLite file writable, Redis or Postgres answering); the work and output directories writable; which API keys are set (names only, never values); and for each shipped pipeline whether it can run here and what is missing. Nothing is created or changed.

Exit codes: 0 when the default pipeline (${DEFAULT_PIPELINE}) can run here, 3 otherwise.`;
  static override examples = [
    { description: 'Check this machine', command: '<%= config.bin %> doctor' },
    { description: 'The same as JSON', command: '<%= config.bin %> doctor --json' },
  ];
  static override flags = {
    'work-dir': Flags.string({ summary: 'Directory for stage artifacts to check (default: as spx run would use).' }),
    out: Flags.string({ char: 'o', summary: 'Directory for exports to check (default: as spx run would use, else the current directory).' }),
  };

  public async run(): Promise<DoctorReport> {
    const env = process.env;
    const settings = this.settings({ workDir: this.flags['work-dir'], outDir: this.flags.out });
    const checks = [checkNode(), ...(await Promise.all(TOOLS.map((tool) => checkTool(tool, env)))), await checkStore(settings.store.value), checkWritable('work dir', settings.workDir.value), checkWritable('out dir', settings.outDir.value ?? '.')];
    const pipelines: PipelineReadiness[] = [];
    const keys = new Set<string>();
    for (const file of shippedPipelines()) {
      const name = basename(file, '.yaml');
      try {
        const pipeline = await openPipeline(file);
        for (const need of await pipelineNeeds(pipeline)) if (/^[A-Z0-9_]+$/.test(need)) keys.add(need);
        const problems = await preflightProblems(pipeline, env);
        pipelines.push({ name, ok: problems.length === 0, missing: problems.map((p) => needName(p) ?? p.code), problems: problems.map((p) => ({ code: p.code, message: p.message, ...(p.hint ? { hint: p.hint } : {}) })) });
      } catch (error) {
        const e = toSpxError(error);
        pipelines.push({ name, ok: false, missing: [e.code], problems: [{ code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }] });
      }
    }
    const apiKeys = [...keys].sort().map((name) => ({ name, set: Boolean(env[name]) }));
    const basics = checks.filter((c) => c.name === 'node' || c.name === 'store' || c.name === 'work dir' || c.name === 'out dir');
    const ok = basics.every((c) => c.ok) && Boolean(pipelines.find((p) => p.name === DEFAULT_PIPELINE)?.ok);
    const report: DoctorReport = { ok, checks, apiKeys, pipelines, defaultPipeline: DEFAULT_PIPELINE };
    this.print(report);
    if (!ok) {
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(report)}\n`);
      this.exit(EXIT.ENVIRONMENT);
    }
    return report;
  }

  private print(report: DoctorReport): void {
    const width = Math.max(...report.checks.map((c) => c.name.length), ...report.apiKeys.map((k) => k.name.length), ...report.pipelines.map((p) => p.name.length));
    for (const check of report.checks) {
      this.say(`${check.ok ? '✔' : '✖'} ${check.name.padEnd(width)}  ${check.detail}`);
      if (!check.ok && check.hint) this.say(`  ${''.padEnd(width)}  hint: ${check.hint}`);
    }
    this.say('');
    this.say('API keys (names only):');
    for (const key of report.apiKeys) this.say(`${key.set ? '✔' : '·'} ${key.name.padEnd(width)}  ${key.set ? 'set' : 'not set'}`);
    this.say('');
    this.say('Shipped pipelines:');
    for (const p of report.pipelines) this.say(`${p.ok ? '✔' : '✖'} ${p.name.padEnd(width)}  ${p.ok ? 'can run here' : `missing: ${p.missing.join(', ')}`}${p.name === report.defaultPipeline ? '   (default)' : ''}`);
    this.say('');
    this.say(report.ok ? `Ready: spx run ${report.defaultPipeline} <input>` : `Not ready to run the default pipeline (${report.defaultPipeline}) here: fix what is marked ✖ above.`);
  }
}
