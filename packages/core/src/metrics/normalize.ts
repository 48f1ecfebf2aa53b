// The one text normalisation WER is computed under, so a score does not depend on how an engine
// spells the same words: "10" and "ten", "Mr." and "mister", "don't" and "do not",
// "well-known" and "well known", "uh" and nothing all count as the same. Every step maps both
// sides to one spelling; none guesses at meaning (a bare "'s" or "'d" stays as it is, because
// "is"/"has" and "had"/"would" cannot be told apart from the text).

/** Hesitations the references of read and spontaneous speech corpora write and engines leave out. */
const HESITATIONS = new Set(['uh', 'um', 'uhm', 'umm', 'er', 'erm', 'ah', 'eh', 'hm', 'hmm', 'mm', 'mhm']);

/** Abbreviations written with or without a period, spelled out as read-speech references spell them. */
const ABBREVIATIONS: Readonly<Record<string, string>> = { mr: 'mister', mrs: 'missus', ms: 'miss', dr: 'doctor', messrs: 'messieurs' };

/** Contractions whose expansion is unambiguous. */
const CONTRACTIONS: Readonly<Record<string, string>> = {
  "can't": 'can not',
  cannot: 'can not',
  "won't": 'will not',
  "shan't": 'shall not',
  "let's": 'let us',
};
const SUFFIXES: ReadonlyArray<[string, string]> = [
  ["n't", ' not'],
  ["'re", ' are'],
  ["'ve", ' have'],
  ["'ll", ' will'],
  ["'m", ' am'],
];

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const SCALES: ReadonlyArray<[bigint, string]> = [
  [10n ** 12n, 'trillion'],
  [10n ** 9n, 'billion'],
  [10n ** 6n, 'million'],
  [1000n, 'thousand'],
];

function underHundred(n: number): string[] {
  if (n < 20) return [ONES[n]!];
  const tens = TENS[Math.floor(n / 10)]!;
  return n % 10 === 0 ? [tens] : [tens, ONES[n % 10]!];
}

function underThousand(n: number): string[] {
  const words: string[] = [];
  if (n >= 100) words.push(ONES[Math.floor(n / 100)]!, 'hundred');
  if (n % 100 !== 0 || n === 0) words.push(...underHundred(n % 100));
  return words;
}

/** Cardinal words of a non-negative integer written in digits ("1024" → one thousand twenty four). */
export function cardinalWords(digits: string): string[] {
  let n = BigInt(digits);
  if (n === 0n) return ['zero'];
  if (n >= 10n ** 15n) return [...digits].map((d) => ONES[Number(d)]!);
  const words: string[] = [];
  for (const [scale, name] of SCALES) {
    if (n >= scale) {
      words.push(...underThousand(Number(n / scale)), name);
      n %= scale;
    }
  }
  if (n > 0n) words.push(...underThousand(Number(n)));
  return words;
}

/** A year as it is read: 1905 → nineteen oh five, 1990 → nineteen ninety, 2000 → two thousand. */
function yearWords(digits: string): string[] {
  const n = Number(digits);
  const high = Math.floor(n / 100);
  const low = n % 100;
  if (low === 0) return n % 1000 === 0 ? cardinalWords(digits) : [...underHundred(high), 'hundred'];
  if (high === 20 && low < 10) return cardinalWords(digits);
  return [...underHundred(high), ...(low < 10 ? ['oh', ONES[low]!] : underHundred(low))];
}

const ORDINAL_WORDS: Readonly<Record<string, string>> = { one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth', twelve: 'twelfth' };

function ordinal(words: string[]): string[] {
  const last = words.at(-1)!;
  const spelled = ORDINAL_WORDS[last] ?? (last.endsWith('y') ? `${last.slice(0, -1)}ieth` : `${last}th`);
  return [...words.slice(0, -1), spelled];
}

/** "1990s" → nineteen nineties, "70s" → seventies: the plural of the last word. */
function plural(words: string[]): string[] {
  const last = words.at(-1)!;
  return [...words.slice(0, -1), last.endsWith('y') ? `${last.slice(0, -1)}ies` : `${last}s`];
}

/** A number as written in text: 42, 1,000, 3.5, 21st, 1990s, 50%. */
export const NUMBER = /(?<![\p{L}\p{N}])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?(st|nd|rd|th|s)?(%)?(?![\p{L}\p{N}])/gu;

/** The words a number matched by NUMBER is read as. */
export function numberWords(integerText: string, fraction: string | undefined, suffix: string | undefined, percent: boolean): string[] {
  const integer = integerText.replace(/,/g, '');
  const year = fraction === undefined && !percent && integer === integerText && /^(1[1-9]|20)\d\d$/.test(integer) && (suffix === undefined || suffix === 's');
  let words = year ? yearWords(integer) : cardinalWords(integer);
  if (fraction !== undefined) words = [...words, 'point', ...[...fraction].map((d) => ONES[Number(d)]!)];
  if (suffix === 's') words = plural(words);
  else if (suffix !== undefined) words = ordinal(words);
  if (percent) words = [...words, 'percent'];
  return words;
}

/** The standard spelling of one lowercased, punctuation-free word (numbers are already words). */
function standardWords(word: string): string[] {
  if (HESITATIONS.has(word)) return [];
  const abbreviation = ABBREVIATIONS[word];
  if (abbreviation) return [abbreviation];
  const contraction = CONTRACTIONS[word];
  if (contraction) return contraction.split(' ');
  for (const [suffix, expansion] of SUFFIXES) {
    if (word.length > suffix.length && word.endsWith(suffix)) return `${word.slice(0, -suffix.length)}${expansion}`.split(' ');
  }
  return [word];
}

/** Spells out every number in `text` (before punctuation is removed, so "3.5" and "1,000" survive). */
export function spellNumbers(text: string): string {
  return text.replace(NUMBER, (_m, integer: string, fraction: string | undefined, suffix: string | undefined, percent: string | undefined) => ` ${numberWords(integer, fraction, suffix, percent !== undefined).join(' ')} `);
}

/**
 * Maps normalised words (lowercase, punctuation removed; see normalizeWords) to their standard
 * spelling: hyphenated words split, unambiguous contractions expanded, titles spelled out,
 * hesitations removed.
 */
export function standardizeWords(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const word of words) for (const part of word.split('-')) if (part.length > 0) out.push(...standardWords(part));
  return out;
}
