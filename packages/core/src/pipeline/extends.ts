// `extends:` — a pipeline may build on a shipped one (by name) or another file and override
// stage params. The merged document keeps, for each value, the position in the file that set it.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SpxError } from '../errors/errors.js';
import type { Locator } from './types.js';
import type { ParsedYaml } from './parse.js';

type Doc = Record<string, unknown>;

export function resolveExtends(name: string, childFile: string, shippedDir?: string): string {
  const candidates = name.endsWith('.yaml') || name.endsWith('.yml') || name.includes('/') ? [resolve(dirname(childFile), name)] : [];
  if (shippedDir) candidates.push(resolve(shippedDir, `${name}.yaml`));
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new SpxError('PIPELINE_NOT_FOUND', `Pipeline "${name}" named in extends: was not found.`, { hint: 'Use a shipped pipeline name (spx pipelines list) or a path relative to this file.' });
  }
  return found;
}

/** Merges child over base: scalars and lists replace, `inputs`/`pricing` merge, stages merge per key and `with` per parameter. */
export function mergePipelines(base: Doc, child: Doc): Doc {
  const merged: Doc = { ...base, ...child };
  delete merged.extends;
  for (const key of ['inputs', 'pricing'] as const) {
    if (isObject(base[key]) || isObject(child[key])) merged[key] = { ...(base[key] as Doc), ...(child[key] as Doc) };
  }
  if (Array.isArray(base.plugins) || Array.isArray(child.plugins)) {
    merged.plugins = [...new Set([...((base.plugins as string[]) ?? []), ...((child.plugins as string[]) ?? [])])];
  }
  const stages: Doc = { ...(base.stages as Doc) };
  for (const [id, stage] of Object.entries((child.stages as Doc) ?? {})) {
    const prior = stages[id];
    if (isObject(prior) && isObject(stage)) {
      stages[id] = { ...prior, ...stage, ...(isObject(prior.with) || isObject(stage.with) ? { with: { ...(prior.with as Doc), ...(stage.with as Doc) } } : {}) };
    } else stages[id] = stage;
  }
  merged.stages = stages;
  return merged;
}

/** A locator that prefers the child document and falls back to the base for values it did not set. */
export function layeredLocator(child: ParsedYaml, base: { has: ParsedYaml['has']; locate: Locator }): Locator {
  return (path, options) => (child.has(path) || !base.has(path) ? child.locate(path, options) : base.locate(path, options));
}

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
