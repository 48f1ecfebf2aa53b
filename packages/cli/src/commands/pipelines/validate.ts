import { Args } from '@oclif/core';
import { SpxAggregateError, SpxError, toSpxError } from '@spx/core';
import { formatError } from '@spx/core/engine';

import { SpxCommand } from '../../lib/base-command.js';
import { openPipeline } from '../../lib/pipelines.js';
import { plural } from '../../lib/table.js';

interface FileResult {
  file: string;
  ok: boolean;
  name?: string;
  version?: string;
  stages?: string[];
  plugins?: Array<{ name: string; version: string }>;
  errors: Array<Record<string, unknown>>;
}

export default class PipelinesValidate extends SpxCommand<typeof PipelinesValidate> {
  static override summary = 'Check pipeline files and report every problem with file:line:column.';
  static override description = `Each file is parsed, checked against the pipeline schema, its plugins are loaded, every stage's \`with:\` is validated against the stage's parameter schema, references (\${{ inputs.X }}, \${{ stages.Y.outputs.Z }}) and needs: are resolved and the stage graph is checked for cycles — exactly what spx run does before it starts. All problems of a file are reported at once. Nothing runs and no API is called.

Exit codes: 0 all valid, 2 some file is invalid or missing.`;
  static override examples = [
    { description: 'Validate one file', command: '<%= config.bin %> pipelines validate pipelines/local.yaml' },
    { description: 'Validate several files at once', command: '<%= config.bin %> pipelines validate pipelines/*.yaml my-pipeline.yaml' },
    { description: 'Errors as JSON (code, message, hint, loc)', command: '<%= config.bin %> pipelines validate my-pipeline.yaml --json' },
  ];
  static override strict = false;
  static override args = {
    file: Args.string({ description: 'Pipeline YAML file(s) (or names of shipped pipelines).', required: true }),
  };

  public async run(): Promise<{ ok: boolean; files: FileResult[] }> {
    const files: FileResult[] = [];
    let firstError: SpxError | undefined;
    for (const arg of this.positionals) {
      try {
        const pipeline = await openPipeline(arg);
        files.push({
          file: arg,
          ok: true,
          name: pipeline.spec.name,
          version: pipeline.spec.version,
          stages: pipeline.order,
          plugins: pipeline.plugins.map((p) => ({ name: p.name, version: p.version })),
          errors: [],
        });
        this.say(`✔ ${arg}  ${pipeline.spec.name}@${pipeline.spec.version}: ${plural(pipeline.order.length, 'stage')} (${pipeline.order.join(' → ')})`);
      } catch (thrown) {
        const error = toSpxError(thrown);
        firstError ??= error;
        const items = error instanceof SpxAggregateError && error.errors.length ? error.errors : [error];
        files.push({ file: arg, ok: false, errors: items.map((e) => e.toJSON()) });
        if (!this.jsonEnabled()) {
          process.stderr.write(`${formatError(error)}\n`);
          process.stderr.write(`✖ ${arg}: ${plural(items.length, 'problem')}\n\n`);
        }
      }
    }
    const ok = files.every((f) => f.ok);
    const result = { ok, files };
    if (!ok) {
      const bad = files.filter((f) => !f.ok).length;
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stderr.write(`${bad} of ${plural(files.length, 'pipeline')} invalid.\n`);
      this.exit(firstError?.exitCode ?? 2);
    }
    if (files.length > 1) this.say(`All ${files.length} pipelines are valid.`);
    return result;
  }
}

