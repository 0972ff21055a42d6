/**
 * Does a sample read like English? Issue 13's measure: the words of 4 or more letters in a sample
 * (maximal runs of ASCII letters, lowercased) and the share of them that occur in the training
 * corpus's own word list. Real words score near 100 %, invented ones ("buindation") do not.
 */

/** The maximal runs of ASCII letters in text, lowercased, of at least minLength letters. */
export function letterWords(text: string, minLength = 1): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z]+/g)) if (m[0].length >= minLength) out.push(m[0].toLowerCase());
  return out;
}

/** The corpus's word list: every letter run in it, lowercased. */
export function wordList(corpus: string): Set<string> {
  return new Set(letterWords(corpus));
}

/** How many of a sample's words are real words (the main job's quality measure). */
export interface WordShare {
  /** Words of 4+ letters in the sample. */
  words: number;
  /** How many of them are in the word list. */
  known: number;
  /** known / words (0 for a sample without such words). */
  share: number;
}

/** Counts the words of at least minLength letters in `sample` and how many of them are in `vocabulary`. */
export function wordShare(sample: string, vocabulary: ReadonlySet<string>, minLength = 4): WordShare {
  const ws = letterWords(sample, minLength);
  const known = ws.filter((w) => vocabulary.has(w)).length;
  return { words: ws.length, known, share: ws.length ? known / ws.length : 0 };
}

/** The median of numbers (the mean of the middle two for an even count). */
export function medianOf(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[n >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}
