// Loads the plugins the CLI ships, those installed in the project or beside spx (or a pipeline's),
// and describes them for `spx plugins list`: version, where each was loaded from, stages.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toSpxError, type JSONSchema, type Plugin, type SpxError } from '@spx/core';
import { corePlugin, loadPlugin, resolvePlugin } from '@spx/core/engine';
import { CLI_PACKAGE_JSON, pluginSearchPath } from './pipelines.js';

export interface ParamInfo {
  name: string;
  required: boolean;
  type?: string;
  default?: unknown;
  enum?: unknown[];
  description?: string;
}

export interface StageInfo {
  id: string;
  description: string;
  params: ParamInfo[];
  outputs: Array<{ name: string; kind: 'file' | 'json'; description: string }>;
  version?: string;
  pricing?: { unit: string; usd: number };
  publishes: boolean;
}

export interface PluginInfo {
  name: string;
  version: string;
  apiVersion: number;
  builtin: boolean;
  /** The package directory (or file) it was loaded from; absent for the built-in stages. */
  source?: string;
  stages: StageInfo[];
}

/** A plugin with the place it was loaded from. */
export interface LoadedPlugin {
  plugin: Plugin;
  source?: string;
}

export interface PluginLoadError {
  plugin: string;
  error: SpxError;
}

/** Plugin packages the CLI depends on (@spx/plugin-*), in name order. */
export function shippedPluginNames(): string[] {
  const pkg = JSON.parse(readFileSync(CLI_PACKAGE_JSON, 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(pkg.dependencies ?? {})
    .filter((name) => /^@spx\/plugin-/.test(name))
    .sort();
}

/** Plugin packages (spx-plugin-*, @scope/spx-plugin-*) in a node_modules directory. */
function pluginPackagesIn(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  const names: string[] = [];
  for (const entry of readdirSync(nodeModules)) {
    if (entry.startsWith('@')) {
      for (const inner of readdirSync(join(nodeModules, entry))) if (inner.startsWith('spx-plugin-')) names.push(`${entry}/${inner}`);
    } else if (entry.startsWith('spx-plugin-')) names.push(entry);
  }
  return names;
}

/** Third-party plugins installed in the current project or beside the installed spx. */
export function installedPluginNames(): string[] {
  const cliRoot = dirname(CLI_PACKAGE_JSON);
  const beside = basename(dirname(cliRoot)).startsWith('@') ? dirname(dirname(cliRoot)) : dirname(cliRoot);
  const dirs = [join(process.cwd(), 'node_modules'), ...(basename(beside) === 'node_modules' ? [beside] : [])];
  return [...new Set(dirs.flatMap(pluginPackagesIn))].sort();
}

/** Where a resolved module comes from: its package directory, or the file itself outside a package. */
function sourceOf(url: string): string {
  const file = fileURLToPath(url);
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return file;
}

/** Loads plugins by specifier (from `from`, then the plugin search path); one that fails to load is reported, not fatal. */
export async function loadPlugins(specifiers: string[], from: string): Promise<{ plugins: LoadedPlugin[]; errors: PluginLoadError[] }> {
  const options = { resolveFrom: pluginSearchPath() };
  const results = await Promise.all(
    specifiers.map(async (name) => {
      try {
        const plugin = await loadPlugin(name, from, options);
        const url = resolvePlugin(name, from, options);
        return { name, loaded: { plugin, ...(url ? { source: sourceOf(url) } : {}) } };
      } catch (error) {
        return { name, error: toSpxError(error) };
      }
    }),
  );
  return {
    plugins: results.flatMap((r) => (r.loaded ? [r.loaded] : [])),
    errors: results.flatMap((r) => (r.error ? [{ plugin: r.name, error: r.error }] : [])),
  };
}

/** The built-in stages, the shipped plugins and the plugins installed in the project or beside spx. */
export async function loadKnownPlugins(): Promise<{ plugins: LoadedPlugin[]; errors: PluginLoadError[] }> {
  const names = [...new Set([...shippedPluginNames(), ...installedPluginNames()])];
  const loaded = await loadPlugins(names, CLI_PACKAGE_JSON);
  return { plugins: [{ plugin: corePlugin }, ...loaded.plugins], errors: loaded.errors };
}

export function describePlugin({ plugin, source }: LoadedPlugin): PluginInfo {
  return {
    name: plugin.name,
    version: plugin.version,
    apiVersion: plugin.apiVersion,
    builtin: plugin === corePlugin,
    ...(source ? { source } : {}),
    stages: Object.entries(plugin.stages)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, stage]) => ({
        id,
        description: stage.description,
        params: describeParams(stage.params),
        outputs: Object.entries(stage.outputs).map(([name, spec]) => ({ name, kind: spec.kind, description: spec.description })),
        ...(stage.version ? { version: stage.version } : {}),
        ...(stage.pricing ? { pricing: stage.pricing } : {}),
        publishes: Boolean(stage.publishes),
      })),
  };
}

function describeParams(schema: JSONSchema): ParamInfo[] {
  const properties = (schema.properties ?? {}) as Record<string, JSONSchema>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  return Object.entries(properties).map(([name, prop]) => {
    const type = Array.isArray(prop.type) ? prop.type.join('|') : typeof prop.type === 'string' ? prop.type : Array.isArray(prop.enum) ? 'enum' : prop.oneOf || prop.anyOf ? 'union' : undefined;
    return {
      name,
      // A TypeBox schema lists a param with a default as required (the default fills it first):
      // the user never has to give it.
      required: required.has(name) && prop.default === undefined,
      ...(type ? { type } : {}),
      ...(prop.default !== undefined ? { default: prop.default } : {}),
      ...(Array.isArray(prop.enum) ? { enum: prop.enum } : {}),
      ...(typeof prop.description === 'string' ? { description: prop.description } : {}),
    };
  });
}

/** One-line parameter summary: `input*, format=wav, sampleRate=16000`. */
export function paramSummary(params: ParamInfo[]): string {
  return params
    .map((p) => {
      if (p.required) return `${p.name}*`;
      if (p.default !== undefined) return `${p.name}=${typeof p.default === 'string' ? p.default : JSON.stringify(p.default)}`;
      return p.name;
    })
    .join(', ');
}
