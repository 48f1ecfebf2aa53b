// Loads the plugins a pipeline lists: npm package names (resolved from the pipeline file's
// directory, then from the fallback locations the caller gives, e.g. the CLI's bundled plugins)
// or relative .ts/.js paths (TypeScript runs through tsx, registered on first need when spx runs
// compiled), always as ES modules.
import { existsSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SpxError } from '../errors/errors.js';
import type { Plugin, StageDefinition } from './types.js';

export interface PluginLoadOptions {
  /** Extra package.json files whose dependencies may provide plugins (e.g. the CLI's). */
  resolveFrom?: string[];
}

const cache = new Map<string, Promise<Plugin>>();

export function isPathSpecifier(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || isAbsolute(specifier);
}

/** Resolves a specifier to a module URL, or undefined when nothing provides it. */
export function resolvePlugin(specifier: string, pipelineFile: string, options: PluginLoadOptions = {}): string | undefined {
  if (isPathSpecifier(specifier)) {
    const path = resolve(dirname(pipelineFile), specifier);
    return existsSync(path) ? pathToFileURL(path).href : undefined;
  }
  for (const base of [pipelineFile, ...(options.resolveFrom ?? [])]) {
    try {
      return pathToFileURL(createRequire(base).resolve(specifier)).href;
    } catch {
      // try the next location
    }
  }
  return undefined;
}

export async function loadPlugin(specifier: string, pipelineFile: string, options: PluginLoadOptions = {}): Promise<Plugin> {
  const url = resolvePlugin(specifier, pipelineFile, options);
  if (!url) {
    throw new SpxError('PLUGIN_NOT_FOUND', `Plugin "${specifier}" was not found.`, {
      hint: isPathSpecifier(specifier)
        ? `Check the path; it is resolved from the pipeline file's directory.`
        : `Install it: npm install ${specifier} (in the pipeline's directory or your project), or npm install -g ${specifier} beside a global spx; or fix the name.`,
    });
  }
  let pending = cache.get(url);
  if (!pending) {
    if (isPathSpecifier(specifier)) loadAsModule(url);
    pending = supportTypeScript(url).then(() => importPlugin(specifier, url));
    cache.set(url, pending);
    pending.catch(() => cache.delete(url));
  }
  return pending;
}

const ESM_ENTRY_HOOK = new URL('./esm-entry-hook.mjs', import.meta.url).href;
/** This package's own package.json: `@spx/core` resolves from here by self-reference, to the spx running. */
const HOST_CORE = new URL('../../package.json', import.meta.url).href;
const registered = new Set<string>();

/** Has Node load this local file (and the local files it imports) as ES modules, in any package. */
function loadAsModule(url: string): void {
  if (registered.has(url) || ['.cjs', '.cts', '.json'].includes(extname(fileURLToPath(url)))) return;
  register(ESM_ENTRY_HOOK, { data: { url, core: HOST_CORE } });
  registered.add(url);
}

const TYPESCRIPT = /\.[cm]?tsx?$/;
/** In the workspace spx itself runs as TypeScript (tsx is on); compiled, a .ts plugin turns it on. */
let typescript: Promise<void> | undefined = TYPESCRIPT.test(fileURLToPath(import.meta.url)) ? Promise.resolve() : undefined;

function supportTypeScript(url: string): Promise<void> {
  if (!TYPESCRIPT.test(fileURLToPath(url))) return Promise.resolve();
  typescript ??= import('tsx/esm/api').then(
    ({ register }) => {
      register();
    },
    (error: unknown) => {
      typescript = undefined;
      throw new SpxError('PLUGIN_INVALID', `TypeScript plugin ${fileURLToPath(url)} cannot load: tsx is not available (${error instanceof Error ? error.message.split('\n')[0] : String(error)}).`, { hint: 'Reinstall spx, or compile the plugin to JavaScript.', cause: error });
    },
  );
  return typescript;
}

async function importPlugin(specifier: string, url: string): Promise<Plugin> {
  let module: Record<string, unknown>;
  try {
    module = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error);
    throw new SpxError('PLUGIN_INVALID', `Plugin "${specifier}" failed to load: ${reason}`, { hint: 'Fix the error in the plugin module (run it with DEBUG=spx* for the stack).', cause: error });
  }
  const plugin = (module.default ?? module.plugin) as Partial<Plugin> | undefined;
  if (!plugin || typeof plugin !== 'object' || typeof plugin.stages !== 'object' || typeof plugin.name !== 'string') {
    throw new SpxError('PLUGIN_INVALID', `Plugin "${specifier}" does not export a plugin (default export with name, version, apiVersion and stages).`, { hint: 'Export `definePlugin({...})` as the module default.' });
  }
  if (plugin.apiVersion !== 1) {
    throw new SpxError('PLUGIN_API_MISMATCH', `Plugin "${specifier}" targets plugin API ${String(plugin.apiVersion)}; this spx supports API 1.`, { hint: 'Upgrade spx or use a plugin version built for API 1.' });
  }
  if (typeof plugin.version !== 'string') {
    throw new SpxError('PLUGIN_INVALID', `Plugin "${specifier}" has no version.`, { hint: 'Set `version` (semver) in definePlugin.' });
  }
  for (const [id, stage] of Object.entries(plugin.stages as Record<string, StageDefinition>)) {
    const problem = retentionProblem(stage);
    if (problem) throw new SpxError('PLUGIN_INVALID', `Plugin "${specifier}" stage "${id}" ${problem}.`, { hint: "Name declared outputs in `retention`, each 'cheap' or 'costly'; only a free, deterministic stage has cheap outputs." });
  }
  return plugin as Plugin;
}

/** What is wrong with a stage's retention declaration, if anything (a cheap file is deleted once its run completes). */
function retentionProblem(stage: StageDefinition): string | undefined {
  const retention: unknown = stage?.retention;
  if (retention === undefined) return undefined;
  if (!retention || typeof retention !== 'object' || Array.isArray(retention)) return 'declares a retention that is not an object of output names';
  const outputs = stage.outputs && typeof stage.outputs === 'object' ? Object.keys(stage.outputs) : [];
  for (const [name, value] of Object.entries(retention)) {
    if (!outputs.includes(name)) return `declares retention for "${name}", which is not one of its outputs (${outputs.join(', ') || 'none'})`;
    if (value !== 'cheap' && value !== 'costly') return `declares retention ${JSON.stringify(value)} for "${name}"`;
    if (value === 'cheap' && (stage.pricing || stage.publishes)) return `declares "${name}" cheap, but it ${stage.pricing ? 'is paid work: making it again would pay again' : 'publishes exports, which are never removed'}`;
  }
  return undefined;
}
