// Where shipped pipelines live and how a pipeline argument resolves: a path, or a shipped name.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { corePlugin, loadPipeline, type LoadedPipeline } from '@spx/core/engine';

/** Where the shipped pipelines are: the @spx/pipelines package, a dependency of this one. */
export const SHIPPED_DIR = dirname(createRequire(import.meta.url).resolve('@spx/pipelines/package.json'));
/** The CLI's package.json: plugins it depends on resolve from here when a pipeline does not install them. */
export const CLI_PACKAGE_JSON = fileURLToPath(new URL('../../package.json', import.meta.url));

export function resolvePipelineArg(arg: string): string {
  if (existsSync(arg)) return resolve(arg);
  const shipped = join(SHIPPED_DIR, arg.endsWith('.yaml') ? arg : `${arg}.yaml`);
  return existsSync(shipped) ? shipped : arg;
}

export function shippedPipelines(): string[] {
  return existsSync(SHIPPED_DIR) ? readdirSync(SHIPPED_DIR).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(SHIPPED_DIR, f)) : [];
}

export function openPipeline(arg: string, overrides: string[] = []): Promise<LoadedPipeline> {
  return loadPipeline(resolvePipelineArg(arg), { overrides, builtins: [corePlugin], resolveFrom: [CLI_PACKAGE_JSON], shippedDir: SHIPPED_DIR });
}
