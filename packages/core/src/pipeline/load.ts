// Reads, merges (`extends`), validates and resolves a pipeline file. Every problem is
// collected and reported at once, each with file:line:column and a hint.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYamlScalar } from 'yaml';
import { SpxError } from '../errors/errors.js';
import { loadPlugin, type PluginLoadOptions } from '../plugins/load.js';
import type { Plugin, StageDefinition } from '../plugins/types.js';
import { own } from '../util/own.js';
import { topologicalOrder } from './dag.js';
import { loadLayers } from './extends.js';
import { aggregate, type ParsedYaml } from './parse.js';
import { findRefs } from './refs.js';
import { isReservedName } from './reserved.js';
import { closest } from './suggest.js';
import type { LoadedPipeline, Locator, PipelineSpec, ResolvedStage } from './types.js';
import { SPX_VERSION } from '../version.js';

export const PIPELINE_SCHEMA_PATH = new URL('../../schema/pipeline.schema.json', import.meta.url);

export interface LoadPipelineOptions extends PluginLoadOptions {
  /** `stage.param=value` overrides (values parsed as YAML scalars), validated like the file. */
  overrides?: string[];
  /** Plugins always available (core/merge, core/export). */
  builtins?: Plugin[];
  /** Directory of shipped pipelines, for `extends: <name>`. */
  shippedDir?: string;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false, verbose: true });
let pipelineValidator: ValidateFunction | undefined;
const stageValidators = new WeakMap<StageDefinition, ValidateFunction>();

export function stageValidator(definition: StageDefinition): ValidateFunction {
  let validate = stageValidators.get(definition);
  if (!validate) {
    validate = ajv.compile(definition.params);
    stageValidators.set(definition, validate);
  }
  return validate;
}

export async function loadPipeline(fileArg: string, options: LoadPipelineOptions = {}): Promise<LoadedPipeline> {
  const file = resolve(fileArg);
  const layered = await loadLayers(fileArg, file, options.shippedDir);
  const value = layered.value as Record<string, unknown>;
  let locate: Locator = layered.locate;
  const errors: SpxError[] = [...layered.errors];
  const at = (path: Array<string | number>, code: string, message: string, hint: string, key = false) =>
    errors.push(new SpxError(code, message, { loc: locate(path, { key }), hint }));

  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new SpxError('PIPELINE_SCHEMA', `${fileArg} is not a pipeline: expected a mapping with spx, name, version and stages.`, { loc: locate([]), hint: 'Start from a shipped pipeline (spx pipelines list).' });
  }
  const overridden = applyOverrides(value, options.overrides ?? [], errors);
  if (overridden.size > 0) {
    const fileLocate = locate;
    // Values set with --set are reported at the flag that set them, not in the file.
    locate = (path, opts) => {
      const joined = path.join('.');
      for (const [prefix, index] of overridden) if (joined === prefix || joined.startsWith(`${prefix}.`)) return { file: '--set', line: index + 1, column: 1 };
      return fileLocate(path, opts);
    };
  }

  // A format this spx does not read is its own problem, reported before the schema's details.
  if (typeof value.spx === 'number' && value.spx !== 1) {
    throw new SpxError('PIPELINE_VERSION', `${fileArg} is pipeline format ${value.spx} (spx: ${value.spx}); this spx ${SPX_VERSION} reads format 1.`, {
      loc: locate(['spx']),
      hint: value.spx > 1 ? 'Upgrade spx to run it, or use a pipeline written for format 1 (spx: 1).' : 'Set spx: 1 (docs/pipeline-yaml.md).',
    });
  }
  pipelineValidator ??= ajv.compile(JSON.parse(readFileSync(PIPELINE_SCHEMA_PATH, 'utf8')) as object);
  if (!pipelineValidator(value)) {
    for (const e of pipelineValidator.errors ?? []) if (e.keyword !== 'propertyNames') errors.push(schemaError(e, [], locate, 'PIPELINE_SCHEMA'));
    throw aggregate(fileArg, dedupe(errors));
  }
  const spec = value as unknown as PipelineSpec;

  const plugins: Plugin[] = [...(options.builtins ?? [])];
  // Loaded in parallel, registered in the order the file lists them (built-ins first).
  const loaded = await Promise.all(
    (spec.plugins ?? []).map(async (specifier, i) => {
      try {
        return await loadPlugin(specifier, layered.pluginFiles[i] ?? file, options);
      } catch (error) {
        if (!(error instanceof SpxError)) throw error;
        errors.push(new SpxError(error.code, error.message, { loc: locate(['plugins', i]), hint: error.hint, cause: error.cause }));
        return undefined;
      }
    }),
  );
  const registry = new Map<string, Plugin>();
  const listedAt = new Map<Plugin, number>();
  loaded.forEach((plugin, i) => plugin && listedAt.set(plugin, i));
  for (const plugin of [...plugins, ...loaded.filter((p): p is Plugin => p !== undefined)]) {
    if (!plugins.includes(plugin)) plugins.push(plugin);
    for (const id of Object.keys(plugin.stages)) {
      const other = registry.get(id);
      if (other && other !== plugin) {
        const at = listedAt.get(plugin);
        errors.push(
          new SpxError('PLUGIN_INVALID', `Stage id "${id}" is provided by both ${other.name}${listedAt.has(other) ? '' : ' (built in)'} and ${plugin.name}; a pipeline cannot tell which one it means.`, {
            loc: locate(at === undefined ? ['plugins'] : ['plugins', at]),
            hint: `Give the stage another id in ${plugin.name} (ids are namespaced, e.g. "myplugin/merge"), or list only one of the two plugins.`,
          }),
        );
        continue;
      }
      registry.set(id, plugin);
    }
  }

  const stageIds = Object.keys(spec.stages);
  const inputs = spec.inputs ?? {};
  const stages = new Map<string, ResolvedStage>();
  for (const id of stageIds) {
    const stageSpec = own(spec.stages, id)!;
    const plugin = registry.get(stageSpec.uses);
    if (!plugin) {
      const guess = closest(stageSpec.uses, registry.keys());
      const loaded = (spec.plugins ?? []).length ? `loaded plugins: ${(spec.plugins ?? []).join(', ')}` : 'no plugins listed';
      at(['stages', id, 'uses'], 'STAGE_NOT_FOUND', `Stage "${id}" uses unknown stage "${stageSpec.uses}" (${loaded}).`, guess ? `Did you mean "${guess}"?` : `Add the plugin that provides "${stageSpec.uses}" to plugins:.`);
      continue;
    }
    const definition = own(plugin.stages, stageSpec.uses)!;
    const deps = new Set<string>();
    for (const [i, need] of (stageSpec.needs ?? []).entries()) {
      if (!own(spec.stages, need)) at(['stages', id, 'needs', i], 'PIPELINE_REFERENCE', `Stage "${id}" needs unknown stage "${need}".`, hintFor(need, stageIds));
      else deps.add(need);
    }
    const withValue = stageSpec.with ?? {};
    const ignoredPaths: string[] = [];
    const probe = structuredClone(withValue) as Record<string, unknown>;
    for (const site of findRefs(withValue)) {
      const path = ['stages', id, 'with', ...site.path];
      if (!site.ref) {
        at(path, 'PIPELINE_REFERENCE', `Unknown expression "\${{ ${site.expression} }}" in stage "${id}".`, 'Use ${{ inputs.NAME }} or ${{ stages.ID.outputs.NAME }}.');
        continue;
      }
      if (site.ref.kind === 'input') {
        const input = own(inputs, site.ref.name);
        if (!input) at(path, 'PIPELINE_REFERENCE', `Stage "${id}" references undeclared input "${site.ref.name}".`, hintFor(site.ref.name, Object.keys(inputs), 'Declare it under inputs:.'));
        else if (site.whole && input.type !== 'file' && input.type !== 'string') ignoredPaths.push(pointer(site.path));
        setAt(probe, site.path, site.whole ? placeholderFor(input?.type) : 'text');
        continue;
      }
      const { stage: target, output } = site.ref;
      if (target === id) {
        at(path, 'PIPELINE_CYCLE', `Stage "${id}" references its own output "${output}".`, 'A stage cannot consume its own outputs.');
        continue;
      }
      const targetSpec = own(spec.stages, target);
      if (!targetSpec) {
        at(path, 'PIPELINE_REFERENCE', `Stage "${id}" references unknown stage "${target}".`, hintFor(target, stageIds));
        continue;
      }
      deps.add(target);
      const targetDef = own(registry.get(targetSpec.uses)?.stages, targetSpec.uses);
      const outputSpec = own(targetDef?.outputs, output);
      if (targetDef && !outputSpec) {
        at(path, 'PIPELINE_REFERENCE', `Stage "${target}" (${targetSpec.uses}) has no output "${output}".`, `Its outputs are: ${Object.keys(targetDef.outputs).join(', ')}.`);
        continue;
      }
      if (site.whole && outputSpec?.kind === 'file') setAt(probe, site.path, '/path/from/reference');
      else if (site.whole) ignoredPaths.push(pointer(site.path));
      else setAt(probe, site.path, 'text');
    }
    const validate = stageValidator(definition);
    if (!validate(probe)) {
      for (const e of validate.errors ?? []) {
        if (ignoredPaths.some((p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`))) continue;
        errors.push(schemaError(e, ['stages', id, 'with'], locate, 'PARAMS_INVALID', `${id} (${stageSpec.uses})`));
      }
    }
    stages.set(id, { id, uses: stageSpec.uses, spec: stageSpec, plugin, definition, deps: [...deps] });
  }

  const depMap = new Map([...stages].map(([id, s]) => [id, s.deps]));
  const { order, cycle } = topologicalOrder(stageIds.filter((id) => stages.has(id)), depMap);
  if (cycle) at(['stages', cycle[0]!], 'PIPELINE_CYCLE', `Stages form a cycle: ${cycle.join(' → ')}.`, 'Remove one of the references or needs: entries in the cycle.', true);
  if (errors.length > 0) throw aggregate(fileArg, dedupe(errors));
  return { file, spec, plugins, stages, order, locate, ...(options.overrides?.length ? { overrides: [...options.overrides] } : {}) };
}

function placeholderFor(type: string | undefined): unknown {
  return type === 'number' ? 0 : type === 'boolean' ? false : '/path/from/reference';
}

function pointer(path: Array<string | number>): string {
  return path.length ? `/${path.join('/')}` : '';
}

function setAt(target: Record<string, unknown>, path: Array<string | number>, value: unknown): void {
  let node: Record<string | number, unknown> = target;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

function hintFor(name: string, candidates: string[], fallback?: string): string {
  const guess = closest(name, candidates);
  return guess ? `Did you mean "${guess}"?` : (fallback ?? `Known: ${candidates.join(', ') || '(none)'}.`);
}

function schemaError(e: ErrorObject, base: Array<string | number>, locate: Locator, code: string, owner?: string): SpxError {
  const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const path = [...base, ...segments];
  const where = owner ? `stage ${owner}` : 'pipeline';
  const field = segments.length ? `"${segments.join('.')}"` : owner ? 'with' : 'the document';
  const params = e.params as Record<string, unknown>;
  const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (propertyName !== undefined) return keyNameError(e, propertyName, path, locate, code, where);
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String(params.additionalProperty);
      const allowed = Object.keys(((e.parentSchema as { properties?: object })?.properties ?? {}) as object);
      const guess = closest(extra, allowed);
      return new SpxError(code, `Unknown key "${extra}" in ${where}${segments.length ? ` at ${field}` : ''}.`, {
        loc: locate([...path, extra], { key: true }),
        hint: guess ? `Did you mean "${guess}"?` : allowed.length ? `Allowed keys: ${allowed.join(', ')}.` : 'Remove it.',
      });
    }
    case 'required':
      return new SpxError(code, `Missing required key "${String(params.missingProperty)}" in ${where}${segments.length ? ` at ${field}` : ''}.`, { loc: locate(path), hint: `Add ${String(params.missingProperty)}:.` });
    case 'enum':
      return new SpxError(code, `Invalid value for ${field} in ${where}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}.`, { loc: locate(path), hint: 'Use one of the allowed values.' });
    case 'const':
      return new SpxError(code, `Invalid value for ${field} in ${where}: must be ${JSON.stringify(params.allowedValue)}.`, { loc: locate(path), hint: `Set it to ${JSON.stringify(params.allowedValue)}.` });
    case 'pattern':
      return new SpxError(code, `Invalid value for ${field} in ${where}: ${field === '"version"' ? 'must be a semver version like 1.2.0' : `must match ${String(params.pattern)}`}.`, { loc: locate(path), hint: field === '"version"' ? 'Use MAJOR.MINOR.PATCH, e.g. 1.0.0.' : 'Fix the value.' });
    default:
      return new SpxError(code, `Invalid value for ${field} in ${where}: ${e.message ?? e.keyword}.`, { loc: locate(path), hint: 'Fix the value to match the stage parameters (spx plugins list shows them).' });
  }
}

/** A map key that is not allowed (a stage id or input name): reported at the key itself. */
function keyNameError(e: ErrorObject, name: string, path: Array<string | number>, locate: Locator, code: string, where: string): SpxError {
  const what = path.length === 1 && path[0] === 'stages' ? 'stage id' : path.length === 1 && path[0] === 'inputs' ? 'input name' : `key in "${path.join('.')}"`;
  const loc = locate([...path, name], { key: true });
  if (e.keyword === 'not') return new SpxError(code, `"${name}" is a reserved name and cannot be ${what === 'input name' ? 'an' : 'a'} ${what}.`, { loc, hint: 'Rename it; names every JavaScript object already has (constructor, toString, …) are reserved.' });
  const pattern = e.keyword === 'pattern' ? ` must match ${String((e.params as { pattern?: unknown }).pattern)}` : ` is not valid in ${where}`;
  return new SpxError(code, `Invalid ${what} "${name}":${pattern}.`, { loc, hint: what === 'stage id' ? 'Start with a letter, then letters, digits, _ or -.' : 'Start with a letter, then letters, digits or _.' });
}

function dedupe(errors: SpxError[]): SpxError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.code}|${e.message}|${e.loc?.line}:${e.loc?.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Applies `stage.param=value` overrides in place; `stage.a.b=value` sets nested params. Returns path → override index. */
function applyOverrides(value: Record<string, unknown>, overrides: string[], errors: SpxError[]): Map<string, number> {
  const applied = new Map<string, number>();
  const stages = (isRecord(value.stages) ? value.stages : {}) as Record<string, unknown>;
  for (const [i, override] of overrides.entries()) {
    const match = /^([A-Za-z][A-Za-z0-9_-]*)\.([A-Za-z0-9_.-]+)=(.*)$/s.exec(override);
    const loc = { file: '--set', line: i + 1, column: 1 };
    if (!match) {
      errors.push(new SpxError('USAGE', `--set "${override}" is not of the form stage.param=value.`, { loc, hint: 'Example: --set convert.sampleRate=22050' }));
      continue;
    }
    const [, stageId, param, raw] = match;
    const keys = param!.split('.');
    const reserved = [stageId!, ...keys].find(isReservedName);
    if (reserved !== undefined || keys.includes('')) {
      const problem = reserved !== undefined ? `"${reserved}" is a reserved name` : 'the path has an empty segment';
      errors.push(new SpxError('USAGE', `--set "${override}": ${problem}, not a stage or parameter.`, { loc, hint: 'Name a stage and one of its parameters, e.g. --set convert.sampleRate=22050.' }));
      continue;
    }
    const stage = own(stages, stageId!);
    if (!isRecord(stage)) {
      errors.push(new SpxError('PIPELINE_REFERENCE', `--set names unknown stage "${stageId}".`, { loc, hint: hintFor(stageId!, Object.keys(stages)) }));
      continue;
    }
    let parsed: unknown;
    try {
      // No aliases in a value: `*x` stays text, and `&a [*a]` cannot make a value that contains itself.
      parsed = parseYamlScalar(raw!, { maxAliasCount: 0 });
    } catch {
      parsed = raw;
    }
    if (hasProtoKey(parsed)) {
      errors.push(new SpxError('USAGE', `--set "${override}": the key "__proto__" is reserved.`, { loc, hint: 'Rename the key in the value.' }));
      continue;
    }
    stage.with ??= {};
    if (setPath(stage.with, keys, parsed)) applied.set(['stages', stageId, 'with', ...keys].join('.'), i);
    else errors.push(new SpxError('USAGE', `--set "${override}": a list can only be indexed by a position up to its length.`, { loc, hint: 'Set the whole list instead, e.g. --set export.formats=[srt,txt].' }));
  }
  return applied;
}

/** Sets `keys` inside `target`, creating maps on the way; false when a list is indexed by anything but a position. */
function setPath(target: unknown, keys: string[], value: unknown): boolean {
  let node = target;
  for (const [depth, key] of keys.entries()) {
    if (node === null || typeof node !== 'object') return true; // the file's own value is not a map: the schema reports it
    if (Array.isArray(node) && !(/^\d+$/.test(key) && Number(key) <= node.length)) return false;
    const container = node as Record<string, unknown>;
    if (depth === keys.length - 1) container[key] = value;
    else {
      const next = own(container, key);
      node = next !== null && typeof next === 'object' ? next : (container[key] = {});
    }
  }
  return true;
}

function hasProtoKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasProtoKey);
  return isRecord(value) && (Object.hasOwn(value, '__proto__') || Object.values(value).some(hasProtoKey));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type { ParsedYaml };
