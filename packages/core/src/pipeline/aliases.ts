// YAML aliases (`*name`) repeat an anchored value (`&name`) without writing it out again. A pipeline
// may use as many as it likes, but a few nested anchors can stand for billions of values (the
// "billion laughs" document), which validation, hashing and storing would then walk. So the
// document is measured as if every alias were written out — on the syntax tree, memoized, in time
// linear in the file — before it becomes a value.
import { isAlias, isMap, isPair, isScalar, isSeq, type Alias, type Document } from 'yaml';

/**
 * Values that aliases may add to one pipeline file. Hand-written pipelines add hundreds to a few
 * thousand (each shipped pipeline holds under 100 values in all); 100 000 leaves ample room while
 * the expanded document still validates, hashes and stores in milliseconds.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

export type AliasProblem =
  | { kind: 'unresolved'; alias: Alias }
  | { kind: 'recursive'; alias: Alias }
  | { kind: 'too-large'; alias: Alias; added: number; aliasSize: number };

/** The first problem with the document's aliases, or undefined when it may be expanded. */
export function aliasProblem(doc: Document, limit = MAX_ALIAS_EXPANSION): AliasProblem | undefined {
  const sizes = new Map<unknown, number>();
  const visiting = new Set<unknown>();
  let problem: AliasProblem | undefined;
  let largest: { alias: Alias; size: number } | undefined;

  // Values a node stands for with its aliases written out; `literal` counts each alias as one value.
  const sizeOf = (node: unknown): number => {
    if (problem || node === null || node === undefined || isScalar(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    let size = 1;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) problem = { kind: 'unresolved', alias: node };
      else if (visiting.has(target)) problem = { kind: 'recursive', alias: node };
      else size = sizeOf(target);
      if (!largest || size > largest.size) largest = { alias: node, size };
    } else if (isMap(node) || isSeq(node)) {
      visiting.add(node);
      for (const item of node.items) size += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
      visiting.delete(node);
    }
    sizes.set(node, size);
    return size;
  };

  const expanded = sizeOf(doc.contents);
  if (problem) return problem;
  const added = expanded - literalSize(doc.contents);
  return added > limit && largest ? { kind: 'too-large', alias: largest.alias, added, aliasSize: largest.size } : undefined;
}

/** Values written in the file itself, each alias counted as one. */
function literalSize(node: unknown): number {
  let size = 1;
  if (isMap(node) || isSeq(node)) for (const item of node.items) size += isPair(item) ? literalSize(item.key) + literalSize(item.value) : literalSize(item);
  return size;
}
