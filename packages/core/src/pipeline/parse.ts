// YAML → plain value plus a locator from a value's path to file:line:column.
import { readFile, stat } from 'node:fs/promises';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { SpxAggregateError, SpxError, type SourceLocation } from '../errors/errors.js';
import { aliasProblem, MAX_ALIAS_EXPANSION, type AliasProblem } from './aliases.js';
import type { Locator } from './types.js';

export interface ParsedYaml {
  file: string;
  value: unknown;
  locate: Locator;
  /** True when the path exists in this document. */
  has(path: ReadonlyArray<string | number>): boolean;
}

export async function readPipelineFile(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw new SpxError('PIPELINE_NOT_FOUND', `"${file}" is a directory, not a pipeline file.`, { hint: 'Pass a .yaml pipeline file, e.g. pipelines/local.yaml.' });
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof SpxError) throw error;
    throw new SpxError('PIPELINE_NOT_FOUND', `Pipeline file "${file}" does not exist.`, { hint: 'Check the path; shipped pipelines are listed by `spx pipelines list`.', cause: error });
  }
}

export function parseYaml(file: string, text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const position = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  if (doc.errors.length > 0) {
    const errors = doc.errors.map((e) => {
      const duplicate = e.code === 'DUPLICATE_KEY';
      return new SpxError(duplicate ? 'PIPELINE_DUPLICATE_KEY' : 'PIPELINE_YAML_SYNTAX', firstLine(e.message), {
        loc: position(e.pos[0]),
        hint: duplicate ? 'Each key (stage id, parameter) may appear once; remove or rename the duplicate.' : 'Fix the YAML syntax at this position (indentation, quotes, a missing colon).',
      });
    });
    throw aggregate(file, errors);
  }
  const protoKeys = protoKeyNodes(doc.contents).map(
    (key) => new SpxError('PIPELINE_SCHEMA', 'The key "__proto__" is reserved and cannot be used in a pipeline.', { loc: position(key.range?.[0] ?? 0), hint: 'Rename the key.' }),
  );
  if (protoKeys.length > 0) throw aggregate(file, protoKeys);
  const aliases = aliasProblem(doc);
  if (aliases) throw aliasError(aliases, position);
  const locate: Locator = (path, options = {}) => {
    const node = findNode(doc, path, options.key ?? false);
    return position(node?.range?.[0] ?? 0);
  };
  return {
    file,
    // Aliases were measured above; each use becomes its own copy, so changing one (--set) leaves the others.
    value: unshare(doc.toJS({ maxAliasCount: -1 })),
    locate,
    has: (path) => exactNode(doc, path) !== undefined,
  };
}

function aliasError(problem: AliasProblem, position: (offset: number) => SourceLocation): SpxError {
  const loc = position(problem.alias.range?.[0] ?? 0);
  const name = `*${problem.alias.source}`;
  if (problem.kind === 'unresolved') return new SpxError('PIPELINE_YAML_SYNTAX', `Alias ${name} refers to no anchor.`, { loc, hint: `Define &${problem.alias.source} on a value before this alias uses it.` });
  if (problem.kind === 'recursive') return new SpxError('PIPELINE_YAML_SYNTAX', `Alias ${name} is used inside the value it names.`, { loc, hint: 'An anchored value cannot contain an alias to itself; write the value out.' });
  return new SpxError('PIPELINE_TOO_LARGE', `YAML aliases expand this file by ${problem.added.toLocaleString('en-US')} values (alias ${name} alone stands for ${problem.aliasSize.toLocaleString('en-US')}); the limit is ${MAX_ALIAS_EXPANSION.toLocaleString('en-US')}.`, {
    loc,
    hint: 'Nested anchors multiply: use fewer levels of aliases, or write the values out.',
  });
}

/** Every `__proto__` map key: as an own key it would be lost or become a prototype when copied. */
function protoKeyNodes(node: unknown): YamlNode[] {
  if (isSeq(node)) return node.items.flatMap(protoKeyNodes);
  if (!isMap(node)) return [];
  return node.items.flatMap((pair) => [...(isPair(pair) && isScalar(pair.key) && pair.key.value === '__proto__' ? [pair.key as YamlNode] : []), ...protoKeyNodes(pair.key), ...protoKeyNodes(pair.value)]);
}

function unshare(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unshare);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unshare(v)]));
  return value;
}

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '').trim();
}

/** The node at `path`, or its nearest existing ancestor. With `key`, the map key node itself. */
function findNode(doc: Document, path: ReadonlyArray<string | number>, key: boolean): YamlNode | undefined {
  let node: unknown = doc.contents;
  let found = node as YamlNode | undefined;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
      if (!pair) return found;
      if (key && segment === path[path.length - 1]) return pair.key as YamlNode;
      node = pair.value;
      found = (pair.value ?? pair.key) as YamlNode;
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (item === undefined) return found;
      node = item;
      found = item as YamlNode;
    } else {
      return found;
    }
  }
  return found;
}

function exactNode(doc: Document, path: ReadonlyArray<string | number>): unknown {
  let node: unknown = doc.contents;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
      if (!pair) return undefined;
      node = pair.value ?? null;
    } else if (isSeq(node)) {
      node = node.items[Number(segment)];
      if (node === undefined) return undefined;
    } else return undefined;
  }
  return node;
}

export function aggregate(file: string, errors: SpxError[]): SpxError {
  if (errors.length === 1) return errors[0]!;
  return new SpxAggregateError('PIPELINE_INVALID', `${file}: ${errors.length} problems found.`, errors, { hint: errors[0]?.hint });
}
