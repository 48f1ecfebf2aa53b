// Two recognitions of the same chunk, merged into one choice graph: the word sequences are
// aligned (Levenshtein), the words both agree on are kept as they are, and every stretch where
// they differ becomes a choice between the two versions (either may be empty). The graph is
// written as a Sphinx finite-state grammar, so the acoustic model itself picks, stretch by
// stretch, the version that fits the audio best (see transcribe.ts).
import { wordErrorRate } from '@spx/core/metrics';

/** Which recognition a word or a choice comes from. */
export type Source = 'chunks' | 'whole';

export type Block = { kind: 'same'; word: string; whole: number } | { kind: 'choice'; chunks: string[]; whole: string[]; wholeIndex: number[] };

/** Aligns `chunks` and `whole` into agreeing words and choices; `whole` indices point into `whole`. */
export function alignVersions(chunks: readonly string[], whole: readonly string[]): Block[] {
  const ops = wordErrorRate(chunks, whole, { alignment: true }).alignment!;
  const blocks: Block[] = [];
  let open: Extract<Block, { kind: 'choice' }> | undefined;
  let w = 0;
  for (const op of ops) {
    if (op.op === 'hit') {
      open = undefined;
      blocks.push({ kind: 'same', word: op.ref, whole: w++ });
      continue;
    }
    if (!open) blocks.push((open = { kind: 'choice', chunks: [], whole: [], wholeIndex: [] }));
    if (op.op !== 'ins') open.chunks.push(op.ref);
    if (op.op !== 'del') {
      open.whole.push(op.hyp);
      open.wholeIndex.push(w++);
    }
  }
  return blocks;
}

/** The blocks as a Sphinx FSG: one path per agreeing word, two parallel paths per choice. */
export function choiceGrammar(name: string, blocks: readonly Block[]): string {
  const transitions: string[] = [];
  let states = 1;
  let at = 0;
  const path = (from: number, to: number, words: readonly string[], probability: number): void => {
    if (words.length === 0) {
      transitions.push(`TRANSITION ${from} ${to} ${probability}`);
      return;
    }
    let prev = from;
    words.forEach((word, i) => {
      const next = i === words.length - 1 ? to : states++;
      transitions.push(`TRANSITION ${prev} ${next} ${i === 0 ? probability : 1} ${word}`);
      prev = next;
    });
  };
  for (const block of blocks) {
    const to = states++;
    if (block.kind === 'same') path(at, to, [block.word], 1);
    else {
      path(at, to, block.chunks, 0.5);
      path(at, to, block.whole, 0.5);
    }
    at = to;
  }
  return ['FSG_BEGIN ' + name, `NUM_STATES ${states}`, 'START_STATE 0', `FINAL_STATE ${at}`, ...transitions, 'FSG_END', ''].join('\n');
}

/** Where each word of a decoded path came from: its block and, for a choice, which version. */
export interface PathWord {
  block: number;
  source: Source | 'both';
  /** Index of the word in its version (choice) or 0 (agreeing word). */
  offset: number;
}

/**
 * Reads `words` as a path through `blocks` (each choice taken one way or the other). Returns
 * undefined when the words are not such a path (the decoder did not reach the grammar's end).
 */
export function readPath(blocks: readonly Block[], words: readonly string[]): PathWord[] | undefined {
  // Depth-first over blocks; choices are rarely ambiguous, so this stays linear in practice.
  const memo = new Set<string>();
  const walk = (b: number, w: number): PathWord[] | undefined => {
    if (b === blocks.length) return w === words.length ? [] : undefined;
    const key = `${b}:${w}`;
    if (memo.has(key)) return undefined;
    memo.add(key);
    const block = blocks[b]!;
    const options: Array<[Source | 'both', readonly string[]]> = block.kind === 'same' ? [['both', [block.word]]] : [['chunks', block.chunks], ['whole', block.whole]];
    for (const [source, version] of options) {
      if (!version.every((word, i) => words[w + i] === word)) continue;
      const rest = walk(b + 1, w + version.length);
      if (rest) return [...version.map((_, offset) => ({ block: b, source, offset })), ...rest];
    }
    return undefined;
  };
  return walk(0, 0);
}
