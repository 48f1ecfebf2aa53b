// `extends:` — a pipeline may build on a shipped one (by name) or another file, which may itself
// extend another, to any depth. The files are merged root first; the merged document keeps, for each
// value, the position in the file that set it, and relative plugin paths resolve from the file that
// lists them. Each extending file names itself: the name is part of every run id, so a file that kept
// its base's name would share (and fight over) the base's checkpoints.
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { SpxError } from '../errors/errors.js';
import { isPathSpecifier } from '../plugins/load.js';
import { own } from '../util/own.js';
import { parseYaml, readPipelineFile, type ParsedYaml } from './parse.js';
import type { Locator } from './types.js';

type Doc = Record<string, unknown>;

/** One file of an `extends` chain. */
export interface PipelineLayer {
  file: string;
  parsed: ParsedYaml;
}

export interface LayeredPipeline {
  /** The merged document (not yet validated). */
  value: unknown;
  locate: Locator;
  /** For each entry of the merged `plugins`, the file that listed it (relative paths resolve from there). */
  pluginFiles: string[];
  /** Problems with the chain that do not stop the merge (a missing or borrowed name). */
  errors: SpxError[];
}

export function resolveExtends(name: string, childFile: string, shippedDir?: string): string | undefined {
  const candidates = name.endsWith('.yaml') || name.endsWith('.yml') || name.includes('/') ? [resolve(dirname(childFile), name)] : [];
  if (shippedDir) candidates.push(resolve(shippedDir, `${name}.yaml`));
  return candidates.find((c) => existsSync(c));
}

/** Reads `file` and every file it extends, merged, with a locator over all of them. */
export async function loadLayers(fileArg: string, file: string, shippedDir?: string): Promise<LayeredPipeline> {
  const layers: PipelineLayer[] = [{ file, parsed: parseYaml(fileArg, await readPipelineFile(file)) }];
  const seen = [realpathSync(file)];
  for (;;) {
    const layer = layers[layers.length - 1]!;
    const doc = layer.parsed.value;
    if (!isObject(doc) || !Object.hasOwn(doc, 'extends')) break;
    const at = layer.parsed.locate(['extends']);
    if (typeof doc.extends !== 'string') {
      if (layers.length === 1) break; // the schema reports it, at this position
      throw new SpxError('PIPELINE_SCHEMA', `Invalid value for "extends" in ${layer.parsed.file}: must be a pipeline name or path.`, { loc: at, hint: 'Use a shipped pipeline name (spx pipelines list) or a path relative to this file.' });
    }
    const baseFile = resolveExtends(doc.extends, layer.file, shippedDir);
    if (!baseFile) {
      throw new SpxError('PIPELINE_NOT_FOUND', `Pipeline "${doc.extends}" named in extends: was not found.`, { loc: at, hint: 'Use a shipped pipeline name (spx pipelines list) or a path relative to this file.' });
    }
    const real = realpathSync(baseFile);
    if (seen.includes(real)) {
      const chain = [...layers.map((l) => l.file), baseFile].map((f) => basename(f)).join(' → ');
      throw new SpxError('PIPELINE_CYCLE', `extends: forms a cycle: ${chain}.`, { loc: at, hint: 'Remove the extends: that leads back to a file already in the chain.' });
    }
    seen.push(real);
    layers.push({ file: baseFile, parsed: parseYaml(baseFile, await readPipelineFile(baseFile)) });
  }
  if (layers.length === 1) {
    const only = layers[0]!;
    return { value: only.parsed.value, locate: only.parsed.locate, pluginFiles: pluginList(only.parsed.value).map(() => file), errors: [] };
  }
  for (const { parsed } of layers.slice(1)) {
    if (!isObject(parsed.value)) {
      throw new SpxError('PIPELINE_SCHEMA', `${parsed.file} (named in extends:) is not a pipeline: expected a mapping with spx, name, version and stages.`, { loc: parsed.locate([]), hint: 'Point extends: at a pipeline file.' });
    }
    if (parsed.value.plugins !== undefined && !Array.isArray(parsed.value.plugins)) {
      throw new SpxError('PIPELINE_SCHEMA', `Invalid value for "plugins" in ${parsed.file}: must be a list.`, { loc: parsed.locate(['plugins']), hint: 'List plugins as ["@spx/plugin-ffmpeg", "./my-stage.ts"].' });
    }
  }

  // Root first: each file overrides what the files below it set.
  let value = layers[layers.length - 1]!.parsed.value as Doc;
  for (const layer of layers.slice(0, -1).reverse()) value = mergePipelines(value, layer.parsed.value as Doc);
  const plugins = mergedPlugins(layers);
  if (plugins) value.plugins = plugins.map((p) => p.specifier);
  return { value, locate: layeredLocator(layers, plugins), pluginFiles: plugins?.map((p) => layers[p.layer]!.file) ?? [], errors: nameProblems(layers) };
}

/**
 * Merges child over base: scalars and lists replace, `inputs`/`pricing` merge, stages merge per key
 * and `with` per parameter — unless the child stage names another `uses:`, whose parameters are
 * another stage's: then its `with:` replaces the base's.
 */
export function mergePipelines(base: Doc, child: Doc): Doc {
  const merged: Doc = { ...base, ...child };
  delete merged.extends;
  for (const key of ['inputs', 'pricing'] as const) {
    if (isObject(base[key]) && isObject(child[key])) merged[key] = { ...base[key], ...child[key] };
  }
  if (isObject(base.stages) && isObject(child.stages)) {
    const stages: Doc = { ...base.stages };
    for (const [id, stage] of Object.entries(child.stages)) {
      const prior = own(stages, id);
      if (isObject(prior) && isObject(stage)) {
        const sameStage = stage.uses === undefined || stage.uses === prior.uses;
        const { with: _inherited, ...rest } = prior;
        stages[id] = sameStage ? { ...prior, ...stage, ...(isObject(prior.with) && isObject(stage.with) ? { with: { ...prior.with, ...stage.with } } : {}) } : { ...rest, ...stage };
      } else stages[id] = stage;
    }
    merged.stages = stages;
  }
  return merged;
}

interface PluginOrigin {
  specifier: string;
  /** Index of the layer that listed it, and its index there. */
  layer: number;
  index: number;
}

/** The union of every file's plugins, root first; a relative path is one plugin per file it resolves to. */
function mergedPlugins(layers: PipelineLayer[]): PluginOrigin[] | undefined {
  const childPlugins = (layers[0]!.parsed.value as Doc).plugins;
  if (childPlugins !== undefined && !Array.isArray(childPlugins)) return undefined; // the schema reports the child's value
  const origins: PluginOrigin[] = [];
  const seen = new Set<string>();
  for (let layer = layers.length - 1; layer >= 0; layer--) {
    const { file, parsed } = layers[layer]!;
    for (const [index, specifier] of pluginList(parsed.value).entries()) {
      const identity = typeof specifier === 'string' && isPathSpecifier(specifier) ? resolve(dirname(file), specifier) : JSON.stringify(specifier);
      if (seen.has(identity)) continue;
      seen.add(identity);
      origins.push({ specifier: specifier as string, layer, index });
    }
  }
  return origins.length > 0 ? origins : undefined;
}

function pluginList(doc: unknown): unknown[] {
  return isObject(doc) && Array.isArray(doc.plugins) ? doc.plugins : [];
}

/** Prefers the file nearest the child that sets the path (or its longest existing prefix). */
function layeredLocator(layers: PipelineLayer[], plugins: PluginOrigin[] | undefined): Locator {
  return (path, options) => {
    const origin = path[0] === 'plugins' && typeof path[1] === 'number' ? plugins?.[path[1]] : undefined;
    if (origin) return layers[origin.layer]!.parsed.locate(['plugins', origin.index, ...path.slice(2)], options);
    for (let k = path.length; k > 0; k--) {
      const prefix = path.slice(0, k);
      const layer = layers.find((l) => l.parsed.has(prefix));
      if (layer) return layer.parsed.locate(path, options);
    }
    return layers[0]!.parsed.locate(path, options);
  };
}

/** Every file that extends another must carry a name of its own, unlike any file below it. */
function nameProblems(layers: PipelineLayer[]): SpxError[] {
  const problems: SpxError[] = [];
  for (const [i, layer] of layers.slice(0, -1).entries()) {
    const doc = layer.parsed.value as Doc;
    const ancestors = layers.slice(i + 1);
    if (typeof doc.name !== 'string') {
      if (doc.name !== undefined && i === 0) continue; // the schema reports the child's value
      problems.push(
        new SpxError('PIPELINE_SCHEMA', `${basename(layer.file)} extends ${basename(ancestors[0]!.file)} but has no name of its own.`, {
          loc: layer.parsed.locate([doc.name === undefined ? 'extends' : 'name']),
          hint: `Add a name: the name is part of every run id, so this pipeline needs one that differs from "${String((ancestors[0]!.parsed.value as Doc).name)}".`,
        }),
      );
      continue;
    }
    const same = ancestors.find((a) => (a.parsed.value as Doc).name === doc.name);
    if (same) {
      problems.push(
        new SpxError('PIPELINE_SCHEMA', `${basename(layer.file)} has the name "${doc.name}" of the pipeline it extends (${basename(same.file)}); the two would share run ids and checkpoints.`, {
          loc: layer.parsed.locate(['name']),
          hint: `Give it its own name, e.g. name: ${doc.name}-custom.`,
        }),
      );
    }
  }
  return problems;
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
