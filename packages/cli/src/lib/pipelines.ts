// Where shipped pipelines live and how a pipeline argument resolves: a path, or a shipped name.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { basename, dirname, join, resolve } from 'node:path';
import { corePlugin, loadPipeline, type LoadedPipeline } from '@spx/core/engine';

/** Where the shipped pipelines are: the @spx/pipelines package, a dependency of this one. */
export const SHIPPED_DIR = dirname(createRequire(import.meta.url).resolve('@spx/pipelines/package.json'));
/** The CLI's package.json: plugins it depends on resolve from here when a pipeline does not install them. */
export const CLI_PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));
/** The pipeline JSON Schema of the installed core, for editors (yaml-language-server). */
export const PIPELINE_SCHEMA = createRequire(CLI_PACKAGE_JSON).resolve('@spx/core/schema/pipeline.schema.json');
/** The shipped pipeline `spx init` copies and `spx doctor` judges the machine by: offline, no key. */
export const DEFAULT_PIPELINE = 'local';

/** The file of a shipped pipeline, by name (with or without .yaml); undefined when none has it. */
export function shippedPipeline(name: string): string | undefined {
  if (!/^[\w.-]+$/.test(name)) return undefined;
  const file = join(SHIPPED_DIR, name.endsWith('.yaml') ? name : `${name}.yaml`);
  return existsSync(file) ? file : undefined;
}

/** The names `spx run NAME` takes, in order. */
export function shippedNames(): string[] {
  return shippedPipelines().map((file) => basename(file, '.yaml'));
}

/** A path that exists wins; otherwise a shipped pipeline's name; otherwise the argument as given (the loader reports it). */
export function resolvePipelineArg(arg: string): string {
  if (existsSync(arg)) return resolve(arg);
  return shippedPipeline(arg) ?? arg;
}

export function shippedPipelines(): string[] {
  return existsSync(SHIPPED_DIR) ? readdirSync(SHIPPED_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(SHIPPED_DIR, f)) : [];
}

/**
 * Where a plugin named in a pipeline is looked for after the pipeline file's own directory: the
 * current project (node_modules from the working directory up), then next to the installed spx
 * (its own dependencies, and the packages beside it: a plugin installed with npm -g).
 */
export function pluginSearchPath(): string[] {
  return [join(process.cwd(), 'package.json'), CLI_PACKAGE_JSON];
}

export function openPipeline(arg: string, overrides: string[] = []): Promise<LoadedPipeline> {
  return loadPipeline(resolvePipelineArg(arg), { overrides, builtins: [corePlugin], resolveFrom: pluginSearchPath(), shippedDir: SHIPPED_DIR });
}
