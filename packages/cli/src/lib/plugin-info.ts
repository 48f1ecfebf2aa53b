// Loads the plugins the CLI ships (or a pipeline's) and describes their stages for `spx plugins list`.
import { readFileSync } from 'node:fs';
import { toSpxError, type JSONSchema, type Plugin, type SpxError } from '@spx/core';
import { corePlugin, loadPlugin } from '@spx/core/engine';
import { CLI_PACKAGE_JSON } from './pipelines.js';

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
  stages: StageInfo[];
}

/** Plugin packages the CLI depends on (@spx/plugin-*), in name order. */
export function shippedPluginNames(): string[] {
  const pkg = JSON.parse(readFileSync(CLI_PACKAGE_JSON, 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(pkg.dependencies ?? {})
    .filter((name) => /^@spx\/plugin-/.test(name))
    .sort();
}

/** Loads the shipped plugins; a plugin that fails to load is reported, not fatal. */
export async function loadShippedPlugins(): Promise<{ plugins: Plugin[]; errors: Array<{ plugin: string; error: SpxError }> }> {
  const names = shippedPluginNames();
  const results = await Promise.all(
    names.map(async (name) => {
      try {
        return { name, plugin: await loadPlugin(name, CLI_PACKAGE_JSON, { resolveFrom: [CLI_PACKAGE_JSON] }) };
      } catch (error) {
        return { name, error: toSpxError(error) };
      }
    }),
  );
  return {
    plugins: [corePlugin, ...results.flatMap((r) => (r.plugin ? [r.plugin] : []))],
    errors: results.flatMap((r) => (r.error ? [{ plugin: r.name, error: r.error }] : [])),
  };
}

export function describePlugin(plugin: Plugin): PluginInfo {
  return {
    name: plugin.name,
    version: plugin.version,
    apiVersion: plugin.apiVersion,
    builtin: plugin === corePlugin,
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
