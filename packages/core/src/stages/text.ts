// Word text helpers for merging: restoring the segment's punctuation on words that
// lack it (OpenAI's word timestamps carry none) and joining words back into text.
// Both are single linear passes.

const NON_WORD = /[^\p{L}\p{N}]+/gu;

/** Lowercase letters and digits only: the key two spellings of one word share. */
export function wordKey(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(NON_WORD, '');
}

/** How far ahead a mismatched word may look for its token in the segment text. */
const RESYNC_WINDOW = 4;

/**
 * Returns the words' texts, each replaced by its token from `segmentText` when they
 * match, so punctuation and casing come from the segment. Words that span part of a
 * token (["don", "'t"] for "don't,") get the token's leading punctuation on the first
 * and trailing punctuation on the last. Unmatched words keep their own text (trimmed).
 */
export function restorePunctuation(segmentText: string, words: readonly string[]): string[] {
  const out = words.map((w) => w.trim());
  const tokens = segmentText.split(/\s+/).filter((t) => t.length > 0);
  if (tokens.length === 0) return out;
  // Keys are computed only where the cheap comparisons below fail.
  const keys: (string | undefined)[] = new Array(tokens.length);
  const keyAt = (q: number) => (keys[q] ??= wordKey(tokens[q]!));
  let p = 0;
  let i = 0;
  // Punctuation the last restored token added after its word: a following punctuation-only
  // word ("10" "%" for "10%") is then already shown and is dropped.
  let added = '';
  while (i < out.length && p < tokens.length) {
    const word = out[i]!;
    const token = tokens[p]!;
    // Fast path: the token is the word, or the word plus punctuation around it.
    if (token === word || (token.length > word.length && word.length > 0 && isPunctuated(token, word))) {
      added = token === word ? '' : token.slice(token.toLowerCase().indexOf(word.toLowerCase()) + word.length);
      out[i] = token;
      i++;
      p++;
      continue;
    }
    const wk = wordKey(word);
    if (wk === '') {
      // Punctuation-only word: drop it when the tokens around already carry it.
      if ((added && added.includes(word)) || (token.startsWith(word) && keyAt(p) !== '')) out[i] = '';
      added = '';
      i++;
      continue;
    }
    added = '';
    // Find the token this word starts, at p or a little ahead.
    let q = p;
    while (q < tokens.length && q < p + RESYNC_WINDOW && !(keyAt(q).length > 0 && keyAt(q).startsWith(wk))) q++;
    if (q >= tokens.length || q >= p + RESYNC_WINDOW) {
      i++;
      continue;
    }
    p = q;
    const key = keyAt(p);
    if (key === wk) {
      out[i] = tokens[p]!;
      added = /[^\p{L}\p{N}]*$/u.exec(tokens[p]!)![0];
      i++;
      p++;
      continue;
    }
    // Several words make one token: accumulate while they remain a prefix.
    let acc = wk;
    let j = i + 1;
    while (j < out.length && acc.length < key.length) {
      const next = acc + wordKey(out[j]!);
      if (!key.startsWith(next)) break;
      acc = next;
      j++;
    }
    if (acc === key) {
      const lead = /^[^\p{L}\p{N}]*/u.exec(tokens[p]!)![0];
      const trail = /[^\p{L}\p{N}]*$/u.exec(tokens[p]!)![0];
      if (lead && !out[i]!.startsWith(lead)) out[i] = lead + out[i];
      if (trail && !out[j - 1]!.endsWith(trail)) out[j - 1] = out[j - 1] + trail;
      added = trail;
      i = j;
      p++;
    } else {
      i++;
    }
  }
  // Punctuation-only words after the last token that it already ends with.
  while (i < out.length && added && wordKey(out[i]!) === '' && added.includes(out[i]!)) out[i++] = '';
  return out;
}

const PUNCT = /^[^\p{L}\p{N}]*$/u;

/** True when `token` is `word` (any case) with only punctuation before and after it. */
function isPunctuated(token: string, word: string): boolean {
  const at = token.toLowerCase().indexOf(word.toLowerCase());
  return at >= 0 && PUNCT.test(token.slice(0, at)) && PUNCT.test(token.slice(at + word.length));
}

/** Languages written without spaces between words. */
const UNSPACED = new Set(['zh', 'ja', 'th', 'lo', 'my', 'km', 'bo', 'yue', 'chinese', 'japanese', 'thai']);

const ATTACHES_LEFT = /^[,.;:!?%)\]}…’”»]|^'(s|t|re|ve|ll|d|m)\b/iu;
/** First characters that may attach to the previous word (checked before the regex). */
const LEFT_STARTS = new Set([...",.;:!?%)]}…’”»'"]);

/** Joins word texts into running text: spaces between words, none before closing punctuation. */
export function joinWords(texts: readonly string[], language?: string): string {
  const spaced = !(language && UNSPACED.has(language.toLowerCase().split(/[-_]/)[0]!));
  const parts: string[] = [];
  for (const t of texts) {
    if (t.length === 0) continue;
    if (parts.length > 0 && spaced && !(LEFT_STARTS.has(t[0]!) && ATTACHES_LEFT.test(t))) parts.push(' ');
    parts.push(t);
  }
  return parts.join('');
}

/** True when the text ends a sentence (., ?, ! and their CJK/ellipsis forms, before closing quotes). */
export function endsSentence(text: string): boolean {
  return /[.?!…。？！](["'’”»)\]]*)$/u.test(text);
}
