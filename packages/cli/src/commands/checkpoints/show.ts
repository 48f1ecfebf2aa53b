import { Flags } from '@oclif/core';
import { findRun, runDetail, type RunDetail } from '@spx/core/engine';
import { SpxCommand } from '../../lib/base-command.js';
import { missingDefaultStore, noStoreError, pipelineOpener, runIdArg } from '../../lib/checkpoints.js';
import { resolvePipelineArg } from '../../lib/pipelines.js';
import { formatBytes, formatDuration, plural } from '../../lib/table.js';

const MARK: Record<string, string> = { completed: '✔', failed: '✖', running: '▶', pending: '·' };

export default class CheckpointsShow extends SpxCommand<typeof CheckpointsShow> {
  static override summary = 'Show one run: every stage, its checkpoint, history, and what a rerun would do.';
  static override description = `For each stage: its state (completed, failed, running, pending), fingerprint, plugin version, duration, artifacts (kept, or pruned: a cheap intermediate removed after the run completed, made again when a run needs it), sub-step checkpoints, how often it ran or was reused, and whether the next spx run would reuse it or run it again and why (a dry run: nothing runs, no API is called). Without the pipeline file only the recorded state is shown.

Working out the plan loads the pipeline file and its plugins, which is code. spx loads the file a run records only when it is a shipped pipeline or the run was made here in a local SQLite store (not imported); for an imported run or a shared store (Redis, Postgres) pass --pipeline FILE to name it yourself.

The id may be any unique prefix of a run id.`;
  static override examples = [
    { description: 'Show a run by id prefix', command: '<%= config.bin %> checkpoints show c1b8' },
    { description: 'Without the rerun plan (faster, no input hashing)', command: '<%= config.bin %> checkpoints show c1b87f581f27 --no-plan' },
    { description: 'An imported run, with the plan from a pipeline you name', command: '<%= config.bin %> checkpoints show c1b8 --pipeline pipelines/standard.yaml' },
    { description: 'As JSON', command: '<%= config.bin %> checkpoints show c1b8 --json' },
  ];
  static override args = { id: runIdArg };
  static override flags = {
    plan: Flags.boolean({ summary: 'Work out what a rerun would do (dry run).', default: true, allowNo: true }),
    pipeline: Flags.string({ summary: 'Pipeline file to work out the plan with (instead of the one the run records).', helpValue: 'FILE' }),
  };

  public async run(): Promise<RunDetail> {
    const missing = missingDefaultStore(this.configuredStore());
    if (missing) throw noStoreError(this.args.id, missing);
    const store = await this.store();
    const state = await findRun(store, this.args.id);
    const detail = await runDetail(store, state, this.flags.plan ? { opener: pipelineOpener, ...(this.flags.pipeline ? { pipeline: resolvePipelineArg(this.flags.pipeline) } : {}) } : {});
    if (this.jsonEnabled()) return detail;
    this.log(`Run ${detail.id} · ${detail.pipeline.name}@${detail.pipeline.version} · ${detail.status}${detail.holder ? ` (pid ${detail.holder.pid} on ${detail.holder.host})` : ''}`);
    this.log(`  input     ${detail.input}`);
    this.log(`  pipeline  ${detail.pipeline.file}`);
    this.log(`  out dir   ${detail.outDir}`);
    this.log(`  created   ${detail.created}`);
    this.log(`  updated   ${detail.updated}`);
    const pruned = detail.pruned.artifacts ? ` (${detail.pruned.artifacts} pruned, ${formatBytes(detail.pruned.bytes)} made again when needed)` : '';
    this.log(`  stored    ${formatBytes(detail.bytes)} in ${plural(detail.artifacts, 'artifact')}${pruned}, ${plural(detail.subSteps, 'sub-step')}`);
    if (detail.edits) {
      const names = Object.entries(detail.edits.speakers).map(([label, name]) => `${label} → ${name}`);
      const e = detail.edits;
      this.log(`  edits     ${[...names, ...(e.utterances ? [`${plural(e.utterances, 'utterance edit')} (${e.texts} text, ${e.reassigned} speaker)`] : [])].join('; ')}, saved ${e.updatedAt} (spx edit ${detail.id} --list)`);
    }
    if (detail.status === 'failed' && detail.error) this.log(`  error     ${detail.failedStage ? `${detail.failedStage}: ` : ''}${detail.error}`);
    this.log('');
    this.log(`Stages (${detail.stages.completed}/${detail.stages.total} completed):`);
    for (const s of detail.stageDetails) {
      this.log(`  ${MARK[s.status] ?? '·'} ${s.stage}  ${s.status}${s.uses ? `  ${s.uses}` : ''}${s.plugin ? `  (${s.plugin}@${s.pluginVersion})` : ''}`);
      if (s.fingerprint) this.log(`      fingerprint  ${s.fingerprint.slice(0, 16)}`);
      if (s.finishedAt) this.log(`      finished     ${s.finishedAt} in ${formatDuration(s.durationMs ?? 0)}`);
      this.log(`      history      ran ${s.history.ran}×, reused ${s.history.reused}×${s.history.failed ? `, failed ${s.history.failed}×` : ''}`);
      if (s.subSteps || s.paidCalls) this.log(`      sub-steps    ${s.subSteps} stored${s.paidCalls ? `, ${plural(s.paidCalls, 'paid call')}` : ''}${s.usage ? `, usage ${s.usage}` : ''}`);
      for (const a of s.artifacts) this.log(`      ${a.pruned ? 'pruned  ' : 'artifact'}     ${a.path} (${formatBytes(a.bytes)}, sha256 ${a.sha256.slice(0, 12)}${a.pruned ? '; removed after the run, made again when needed' : ''})`);
      const facts = Object.entries(s.metadata);
      if (facts.length) this.log(`      metadata     ${facts.map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ').slice(0, 200)}`);
      if (s.error) this.log(`      error        ${s.error}`);
      if (s.next) this.log(`      next run     ${s.next.action === 'reuse' ? 'reuse' : 'RUN'} — ${s.next.reason}`);
    }
    if (detail.planNote) {
      this.log('');
      this.log(`Note: ${detail.planNote}.`);
    }
    if (detail.attempts.length) {
      this.log('');
      this.log('Attempts:');
      for (const a of detail.attempts) this.log(`  ${a.at}  ${a.status.padEnd(11)}  ran ${a.ran.join(', ') || '-'}; reused ${a.reused.join(', ') || '-'} (${formatDuration(a.durationMs)})`);
    }
    return detail;
  }
}
