/** Generators of hard strings for tokenizer property tests (fast-check). */
import fc from 'fast-check';

/** Fragments that break tokenizers: see the list. */
export const FRAGMENTS = [
  ' ', '  ', '   ', '\n', '\n\n', '\r\n', '\t', '\u000b', '\u000c', '\u0085', '\u00a0', '\u1680', '\u2000', '\u2028', '\u3000', '\uFEFF',
  "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'", '"',
  'a', 'Z', 'hello', ' world', 'é', 'e\u0301', '\u0301', 'ß', 'ǅ', 'İ',
  '0', '42', ' 7', '٣', 'Ⅻ', '²', '½',
  '😀', '👨‍👩‍👧', '🇫🇷', '漢字', 'かな', '한국어', 'ไทย', 'עברית', 'العربية', '𝔘𝔫𝔦',
  '.', ',', '!?', '...', '—', '@#$%', '<|', '|>', '\u0000', '\u007f', '\uFFFD', '\uFFFF',
  '\ud800', '\udfff', '\ud83d', '\ude00',
];

/** Concatenations of tricky fragments and arbitrary (also astral) strings. */
export function trickyText(): fc.Arbitrary<string> {
  const piece = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...FRAGMENTS) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(' ', '\n', 'a', '\t', '1'), maxLength: 40 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) },
  );
  return fc.array(piece, { maxLength: 12 }).map((xs) => xs.join(''));
}
