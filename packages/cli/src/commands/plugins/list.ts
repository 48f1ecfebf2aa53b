import { Flags } from '@oclif/core';
import { formatError } from '@spx/core/engine';
import { SpxCommand } from '../../lib/base-command.js';
import { describePlugin, loadKnownPlugins, loadPlugins, paramSummary, type LoadedPlugin, type PluginInfo, type PluginLoadError } from '../../lib/plugin-info.js';
import { openPipeline } from '../../lib/pipelines.js';

export default class PluginsList extends SpxCommand<typeof PluginsList> {
  static override summary = 'List plugins with their stages, parameters and outputs.';
  static override description = `By default: the built-in core stages, the plugins the CLI ships (@spx/plugin-ffmpeg, -local, -openai, -pyannote, -replicate) and the plugin packages (spx-plugin-*, @scope/spx-plugin-*) installed in the current project or beside spx. With --pipeline: the plugins that pipeline loads. Each plugin shows its version and the directory it was loaded from. For each stage: its id (what \`uses:\` takes), description, parameters (* = required, name=default) and outputs (file or json). --json adds each parameter's type, default, allowed values and description.`;
  static override examples = [
    { description: 'Shipped plugins and their stages', command: '<%= config.bin %> plugins list' },
    { description: 'The plugins a pipeline uses (including local ones)', command: '<%= config.bin %> plugins list --pipeline my-pipeline.yaml' },
    { description: 'Parameter details as JSON', command: '<%= config.bin %> plugins list --json' },
  ];
  static override flags = {
    pipeline: Flags.string({ char: 'p', summary: 'List the plugins this pipeline file loads instead.', helpValue: 'FILE' }),
  };

  public async run(): Promise<{ plugins: PluginInfo[]; errors: Array<Record<string, unknown>> }> {
    const loaded = this.flags.pipeline ? await this.pipelinePlugins(this.flags.pipeline) : await loadKnownPlugins();
    const plugins = loaded.plugins.map(describePlugin);
    for (const plugin of plugins) {
      this.say(`${plugin.name} ${plugin.version}${plugin.builtin ? ' (built in)' : `  from ${plugin.source ?? '?'}`}`);
      const width = Math.max(...plugin.stages.map((s) => s.id.length));
      for (const stage of plugin.stages) {
        this.say(`  ${stage.id.padEnd(width)}  ${stage.description}`);
        const indent = `  ${''.padEnd(width)}    `;
        for (const line of wrap(`params   ${paramSummary(stage.params) || '(none)'}`, indent, '         ')) this.say(line);
        for (const line of wrap(`outputs  ${stage.outputs.map((o) => `${o.name} (${o.kind})`).join(', ')}${stage.pricing ? `   · paid: ~$${stage.pricing.usd} per ${stage.pricing.unit}` : ''}`, indent, '         ')) this.say(line);
      }
      this.say('');
    }
    const errors = loaded.errors.map(({ plugin, error }) => ({ plugin, ...error.toJSON() }));
    if (loaded.errors.length > 0) {
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ plugins, errors })}\n`);
      else for (const { plugin, error } of loaded.errors) process.stderr.write(`✖ ${plugin} did not load:\n${formatError(error)}\n`);
      this.exit(loaded.errors[0]!.error.exitCode);
    }
    this.say(`${plugins.length} plugins, ${plugins.reduce((n, p) => n + p.stages.length, 0)} stages. * = required parameter.`);
    return { plugins, errors };
  }

  /** The plugins a pipeline loads (validating it first), each with where it was found. */
  private async pipelinePlugins(arg: string): Promise<{ plugins: LoadedPlugin[]; errors: PluginLoadError[] }> {
    const pipeline = await openPipeline(arg);
    const found = await loadPlugins(pipeline.spec.plugins ?? [], pipeline.file);
    const located = new Map(found.plugins.map((p) => [p.plugin, p.source]));
    return { plugins: pipeline.plugins.map((plugin) => ({ plugin, ...(located.get(plugin) ? { source: located.get(plugin)! } : {}) })), errors: [] };
  }
}

/** Wraps a comma-separated list at the terminal width (100 when not a terminal), with a hanging indent. */
function wrap(text: string, indent: string, hanging: string): string[] {
  const width = Math.max(60, process.stdout.columns ?? 100);
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(/(?<=,) /)) {
    if (line.length + word.length + 1 > width && line.trim()) {
      lines.push(line.trimEnd());
      line = `${indent}${hanging}`;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines;
}
