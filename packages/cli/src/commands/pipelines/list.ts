import { toSpxError } from '@spx/core';
import { parseYaml, readPipelineFile } from '@spx/core/engine';
import { basename } from 'node:path';
import { SpxCommand } from '../../lib/base-command.js';
import { openPipeline, SHIPPED_DIR, shippedPipelines } from '../../lib/pipelines.js';
import { pipelineNeeds } from '../../lib/readiness.js';
import { table } from '../../lib/table.js';

interface ShippedPipeline {
  /** Name to pass to spx run (the file name without .yaml). */
  id: string;
  file: string;
  name: string;
  version: string;
  description: string;
  /** The pipeline's deprecation note, when it has one. */
  deprecated?: string;
  plugins: string[];
  stages: number;
  /** Binaries and API keys it needs (spx doctor says which are missing here). */
  needs: string[];
  error?: string;
}

export default class PipelinesList extends SpxCommand<typeof PipelinesList> {
  static override summary = 'List the pipelines shipped with spx.';
  static override description = `Shows each shipped pipeline's name, version, stage count, what it needs (binaries, API keys) and description. A shipped pipeline can be passed to spx run by its name instead of a path, and used as a base with \`extends: <name>\`.`;
  static override examples = [
    { description: 'List shipped pipelines', command: '<%= config.bin %> pipelines list' },
    { description: 'Run one by name', command: '<%= config.bin %> run local meeting.wav' },
  ];

  public async run(): Promise<{ dir: string; pipelines: ShippedPipeline[] }> {
    const pipelines: ShippedPipeline[] = [];
    for (const file of shippedPipelines()) {
      const id = basename(file, '.yaml');
      try {
        const value = parseYaml(file, await readPipelineFile(file)).value as Record<string, unknown>;
        pipelines.push({
          id,
          file,
          name: String(value.name ?? id),
          version: String(value.version ?? '?'),
          description: typeof value.description === 'string' ? value.description : '',
          ...(typeof value.deprecated === 'string' && value.deprecated ? { deprecated: value.deprecated } : {}),
          plugins: Array.isArray(value.plugins) ? value.plugins.map(String) : [],
          stages: value.stages && typeof value.stages === 'object' ? Object.keys(value.stages).length : 0,
          needs: await pipelineNeeds(await openPipeline(file)),
        });
      } catch (error) {
        const e = toSpxError(error);
        pipelines.push({ id, file, name: id, version: '?', description: '', plugins: [], stages: 0, needs: [], error: `${e.code}: ${e.message}` });
      }
    }
    if (pipelines.length === 0) this.say(`No pipelines in ${SHIPPED_DIR}.`);
    else {
      const needsWidth = Math.max(5, ...pipelines.map((p) => p.needs.join(', ').length));
      const width = Math.max(40, (process.stdout.columns ?? 120) - 40 - needsWidth);
      for (const line of table(pipelines, [
        { header: 'NAME', get: (p) => (p.name === p.id ? p.id : `${p.id} (${p.name})`) },
        { header: 'VERSION', get: (p) => p.version },
        { header: 'STAGES', get: (p) => String(p.stages), align: 'right' },
        { header: 'NEEDS', get: (p) => p.needs.join(', ') || '-' },
        { header: 'DESCRIPTION', get: (p) => clip(p.error ? `(invalid: ${p.error})` : `${p.deprecated ? 'DEPRECATED (see below) ' : ''}${p.description}`, width) },
      ]))
        this.say(line);
      for (const p of pipelines.filter((pipeline) => pipeline.deprecated)) this.say(`\n${p.id} is deprecated: ${p.deprecated}`);
      this.say('');
      this.say(`Run one with: spx run <NAME> <input>; see one with spx pipelines show <NAME>; copy one with spx init <NAME>   (files in ${SHIPPED_DIR})`);
    }
    return { dir: SHIPPED_DIR, pipelines };
  }
}

function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
