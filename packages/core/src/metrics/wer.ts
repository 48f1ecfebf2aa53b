// Word error rate: Levenshtein alignment of normalized reference and hypothesis words.
// WER = (S + D + I) / N, N = reference words. Rolling rows keep memory O(m) unless the
// alignment itself is requested.
import { spellNumbers, standardizeWords } from './normalize.js';

export interface NormalizeOptions {
  /** Lowercase words (default true). */
  lowercase?: boolean;
  /** Drop punctuation; apostrophes and hyphens inside words are kept (default true). */
  stripPunctuation?: boolean;
  /**
   * The standard spelling (default true): numbers spelled out ("10" → ten, "1990" → nineteen
   * ninety), hyphenated words split, unambiguous contractions expanded ("don't" → do not),
   * titles spelled out ("Mr." → mister) and hesitations ("uh", "um") removed. See normalize.ts.
   */
  standard?: boolean;
}

/** Splits text into comparable words: NFKC, lowercase, punctuation removed, standard spelling. */
export function normalizeWords(text: string, options: NormalizeOptions = {}): string[] {
  const standard = options.standard ?? true;
  let t = text.normalize('NFKC');
  if (options.lowercase ?? true) t = t.toLowerCase();
  t = t.replace(/[’‘`]/g, "'");
  if (standard) t = spellNumbers(t);
  if (options.stripPunctuation ?? true) {
    // Apostrophes and hyphens survive only between letters/digits ("don't", "twenty-one").
    t = t.replace(/(?<![\p{L}\p{N}])['-]|['-](?![\p{L}\p{N}])/gu, ' ');
    t = t.replace(/[^\p{L}\p{N}\p{M}'\s-]+/gu, ' ');
  }
  const words = t.split(/\s+/).filter((w) => w.length > 0);
  return standard ? standardizeWords(words) : words;
}

export type AlignmentOp = { op: 'hit' | 'sub'; ref: string; hyp: string } | { op: 'del'; ref: string } | { op: 'ins'; hyp: string };

export interface WerResult {
  /** (S + D + I) / N; 0 when both are empty; Infinity when only the reference is empty. */
  wer: number;
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  /** N: reference words. */
  referenceWords: number;
  hypothesisWords: number;
  /** Present when asked for with `alignment: true`. */
  alignment?: AlignmentOp[];
}

export interface WerOptions extends NormalizeOptions {
  /** Return the word alignment (needs N × M bytes). */
  alignment?: boolean;
}

/** Largest N × M the alignment backtrace may allocate (bytes). */
const MAX_BACKTRACE_CELLS = 64 * 1024 * 1024;

/** WER of a hypothesis against a reference; both are text or already split word arrays. */
export function wordErrorRate(reference: string | readonly string[], hypothesis: string | readonly string[], options: WerOptions = {}): WerResult {
  const ref = typeof reference === 'string' ? normalizeWords(reference, options) : reference;
  const hyp = typeof hypothesis === 'string' ? normalizeWords(hypothesis, options) : hypothesis;
  const n = ref.length;
  const m = hyp.length;
  // Interning makes the inner comparison an integer compare.
  const ids = new Map<string, number>();
  const intern = (w: string) => {
    let id = ids.get(w);
    if (id === undefined) ids.set(w, (id = ids.size));
    return id;
  };
  const r = Int32Array.from(ref, intern);
  const h = Int32Array.from(hyp, intern);

  // Row j: cost and the S/D/I counts of one optimal path to cell (i, j).
  let cost = new Int32Array(m + 1);
  let sub = new Int32Array(m + 1);
  let del = new Int32Array(m + 1);
  let ins = new Int32Array(m + 1);
  let nCost = new Int32Array(m + 1);
  let nSub = new Int32Array(m + 1);
  let nDel = new Int32Array(m + 1);
  let nIns = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) {
    cost[j] = j;
    ins[j] = j;
  }
  if (options.alignment && (n + 1) * (m + 1) > MAX_BACKTRACE_CELLS) throw new RangeError(`Alignment of ${n} × ${m} words is too large; compute WER without \`alignment\` or in pieces.`);
  // 0 diagonal (hit/sub), 1 up (deletion), 2 left (insertion).
  const back = options.alignment ? new Uint8Array((n + 1) * (m + 1)) : undefined;
  if (back) for (let j = 1; j <= m; j++) back[j] = 2;
  for (let i = 1; i <= n; i++) {
    nCost[0] = i;
    nSub[0] = 0;
    nDel[0] = i;
    nIns[0] = 0;
    if (back) back[i * (m + 1)] = 1;
    const ri = r[i - 1]!;
    for (let j = 1; j <= m; j++) {
      const same = ri === h[j - 1]!;
      const diag = cost[j - 1]! + (same ? 0 : 1);
      const up = cost[j]! + 1;
      const left = nCost[j - 1]! + 1;
      // Ties prefer the diagonal, then deletion, then insertion (as jiwer and sclite do).
      if (diag <= up && diag <= left) {
        nCost[j] = diag;
        nSub[j] = sub[j - 1]! + (same ? 0 : 1);
        nDel[j] = del[j - 1]!;
        nIns[j] = ins[j - 1]!;
        if (back) back[i * (m + 1) + j] = 0;
      } else if (up <= left) {
        nCost[j] = up;
        nSub[j] = sub[j]!;
        nDel[j] = del[j]! + 1;
        nIns[j] = ins[j]!;
        if (back) back[i * (m + 1) + j] = 1;
      } else {
        nCost[j] = left;
        nSub[j] = nSub[j - 1]!;
        nDel[j] = nDel[j - 1]!;
        nIns[j] = nIns[j - 1]! + 1;
        if (back) back[i * (m + 1) + j] = 2;
      }
    }
    [cost, nCost] = [nCost, cost];
    [sub, nSub] = [nSub, sub];
    [del, nDel] = [nDel, del];
    [ins, nIns] = [nIns, ins];
  }
  const substitutions = sub[m]!;
  const deletions = del[m]!;
  const insertions = ins[m]!;
  const hits = n - substitutions - deletions;
  const errors = substitutions + deletions + insertions;
  const result: WerResult = { wer: n === 0 ? (errors === 0 ? 0 : Number.POSITIVE_INFINITY) : errors / n, hits, substitutions, deletions, insertions, referenceWords: n, hypothesisWords: m };
  if (back) {
    const ops: AlignmentOp[] = [];
    let i = n;
    let j = m;
    while (i > 0 || j > 0) {
      const b = back[i * (m + 1) + j]!;
      if (i > 0 && j > 0 && b === 0) {
        ops.push({ op: r[i - 1] === h[j - 1] ? 'hit' : 'sub', ref: ref[i - 1]!, hyp: hyp[j - 1]! });
        i--;
        j--;
      } else if (i > 0 && (b === 1 || j === 0)) ops.push({ op: 'del', ref: ref[--i]! });
      else ops.push({ op: 'ins', hyp: hyp[--j]! });
    }
    result.alignment = ops.reverse();
  }
  return result;
}
