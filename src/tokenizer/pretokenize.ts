/**
 * Pre-tokenization: text → chunks; BPE merges never cross a chunk boundary.
 *
 * GPT-2's pattern is matched by a hand-written scanner instead of a RegExp, for two reasons:
 * JavaScript has no possessive quantifiers, so `\s+(?!\S)` backtracks (slow on long runs), and
 * JavaScript's `\s` is not the reference's whitespace (it includes U+FEFF, lacks U+0085). The
 * scanner follows the alternation of the pattern, in order, with \s = \p{White_Space}:
 *
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * Example: "Hello  world's\n" → ["Hello", " ", " world", "'s", "\n"].
 * Other patterns (GPT-4's, or the caller's own) run as a RegExp with \s rewritten the same way.
 */

import { ScratchError } from '../core/errors.js';

/** GPT-2's pre-tokenizer pattern (r50k_base). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** cl100k_base's pattern (GPT-4), written without possessive quantifiers (equivalent here). */
export const GPT4_PATTERN =
  "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+";

const OTHER = 0;
const LETTER = 1;
const NUMBER = 2;
const SPACE = 3;

let bmpClass: Uint8Array | undefined;
const astralClass = new Map<number, number>();
const RE_L = /\p{L}/u;
const RE_N = /\p{N}/u;
const RE_WS = /\p{White_Space}/u;

/**
 * Letters and numbers that Node 20's Unicode tables (Unicode 17) know but tiktoken's Rust regex
 * tables (Unicode 15.1) do not: unassigned there, so "other" here too, to match GPT-2's reference
 * encoding exactly. Found by bench/tokenizer-unicode.ts (every code point against tiktoken).
 */
const NEWER_THAN_REFERENCE: readonly (readonly [number, number])[] = [
  [0x88f, 0x88f], [0xc5c, 0xc5c], [0xcdc, 0xcdc], [0xa7ce, 0xa7cf], [0xa7d2, 0xa7d2], [0xa7d4, 0xa7d4], [0xa7f1, 0xa7f1], [0x10940, 0x10959], [0x10ec5, 0x10ec7], [0x11db0, 0x11ddb], [0x11de0, 0x11de9], [0x16ea0, 0x16eb8], [0x16ebb, 0x16ed3], [0x16ff2, 0x16ff6], [0x187f8, 0x187ff], [0x18d09, 0x18d1e], [0x18d80, 0x18df2], [0x1e6c0, 0x1e6de], [0x1e6e0, 0x1e6e2], [0x1e6e4, 0x1e6e5], [0x1e6e7, 0x1e6ed], [0x1e6f0, 0x1e6f4], [0x1e6fe, 0x1e6ff], [0x2b73a, 0x2b73f], [0x2cea2, 0x2cead], [0x323b0, 0x33479],
];

function newerThanReference(cp: number): boolean {
  for (const [a, b] of NEWER_THAN_REFERENCE) if (cp >= a && cp <= b) return true;
  return false;
}

function classifyChar(ch: string): number {
  if (newerThanReference(ch.codePointAt(0)!)) return OTHER;
  if (RE_L.test(ch)) return LETTER;
  if (RE_N.test(ch)) return NUMBER;
  if (RE_WS.test(ch)) return SPACE;
  return OTHER;
}

const UNKNOWN = 255;
const BLOCK = 256;

/**
 * One class per BMP code unit, filled a block of 256 at a time on first use from runs of each
 * class (one regex test per character would cost 90 ms for the whole table; ASCII text only ever
 * needs the first block). Surrogates count as OTHER.
 */
function fillBlock(t: Uint8Array, c: number): number {
  const lo = c - (c % BLOCK);
  const units = new Uint16Array(BLOCK);
  for (let k = 0; k < BLOCK; k++) units[k] = lo + k >= 0xd800 && lo + k <= 0xdfff ? 0 : lo + k;
  const block = String.fromCharCode(...units);
  t.fill(OTHER, lo, lo + BLOCK);
  for (const [re, k] of [
    [/\p{L}+/gu, LETTER],
    [/\p{N}+/gu, NUMBER],
    [/\p{White_Space}+/gu, SPACE],
  ] as const) {
    for (const m of block.matchAll(re)) t.fill(k, lo + m.index, lo + m.index + m[0].length);
  }
  for (const [a, b] of NEWER_THAN_REFERENCE) {
    if (a < lo + BLOCK && b >= lo) t.fill(OTHER, Math.max(a, lo), Math.min(b, lo + BLOCK - 1) + 1);
  }
  return t[c]!;
}

/** Class of the code point at i, and (via width) whether it took two code units. */
function classAt(text: string, i: number, end: number, table: Uint8Array): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) {
    const k = table[c]!;
    return k !== UNKNOWN ? k : fillBlock(table, c);
  }
  const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
  if (d < 0xdc00 || d > 0xdfff) return OTHER; // lone surrogate: encoded as U+FFFD, a symbol
  const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  let k = astralClass.get(cp);
  if (k === undefined) {
    k = classifyChar(String.fromCodePoint(cp));
    astralClass.set(cp, k);
  }
  return k;
}

/** Code units taken by the code point at i (2 for a valid surrogate pair). */
function widthAt(text: string, i: number, end: number): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff || i + 1 >= end) return 1;
  const d = text.charCodeAt(i + 1);
  return d >= 0xdc00 && d <= 0xdfff ? 2 : 1;
}

function classTable(): Uint8Array {
  return (bmpClass ??= new Uint8Array(65536).fill(UNKNOWN));
}

/** End of the run of code points of class `k` starting at i. */
function runEnd(text: string, i: number, end: number, k: number, t: Uint8Array): number {
  while (i < end && classAt(text, i, end, t) === k) i += widthAt(text, i, end);
  return i;
}

/**
 * End of the GPT-2 chunk that starts at `i` (chunks tile text[i, end) with no gaps; the lookahead
 * sees `end` as the end of the text, as tiktoken does for the text between special tokens).
 */
export function gpt2ChunkEnd(text: string, i: number, end: number): number {
  const t = classTable();
  const c = text.charCodeAt(i);
  // 's 't 're 've 'm 'll 'd (lowercase only, like GPT-2)
  if (c === 39 && i + 1 < end) {
    const d = text.charCodeAt(i + 1);
    if (d === 115 || d === 116 || d === 109 || d === 100) return i + 2; // s t m d
    if (i + 2 < end) {
      const e = text.charCodeAt(i + 2);
      if ((d === 114 && e === 101) || (d === 118 && e === 101) || (d === 108 && e === 108)) return i + 3; // re ve ll
    }
  }
  let k = classAt(text, i, end, t);
  if (c === 32 && i + 1 < end) {
    const k2 = classAt(text, i + 1, end, t);
    // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": a space glues onto the run that follows it.
    if (k2 !== SPACE) return runEnd(text, i + 1, end, k2, t);
  }
  if (k !== SPACE) return runEnd(text, i, end, k, t);
  // \s+(?!\S): the whitespace run, less its last character when a non-space follows; \s+ otherwise.
  const j = runEnd(text, i, end, SPACE, t);
  if (j >= end) return j;
  return j - 1 > i ? j - 1 : j; // (whitespace is never astral: its last character is at j - 1)
}

/** A pre-tokenizer: calls `emit(start, end)` for each chunk of text[start, end). */
export type Splitter = (text: string, start: number, end: number, emit: (s: number, e: number) => void) => void;

/**
 * Rewrites a Python/Rust-flavoured pattern for JavaScript: \s → \p{White_Space}, possessive
 * quantifiers dropped (same result for the GPT patterns), and, where the `v` flag accepts the
 * pattern, \p{L} and \p{N} less NEWER_THAN_REFERENCE, to match tiktoken's Unicode tables.
 */
export function toJsRegExp(pattern: string): RegExp {
  const newer = NEWER_THAN_REFERENCE.map(([a, b]) => `\\u{${a.toString(16)}}-\\u{${b.toString(16)}}`).join('');
  let src = '';
  let srcV = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\' && i + 1 < pattern.length) {
      const nx = pattern[i + 1]!;
      const rest = pattern.slice(i, i + 5);
      if (rest === '\\p{L}' || rest === '\\p{N}') {
        src += rest;
        srcV += `[${rest}--[${newer}]]`;
        i += 4;
        continue;
      }
      const piece = nx === 's' ? '\\p{White_Space}' : nx === 'S' ? '\\P{White_Space}' : ch + nx;
      src += piece;
      srcV += piece;
      i++;
    } else if (ch === '+' && ((/[+*?]/.test(pattern[i - 1] ?? '') && pattern[i - 2] !== '\\') || /\{\d+(,\d*)?\}$/.test(pattern.slice(0, i)))) {
      // possessive quantifier (x++, x*+, x?+, x{n}+): dropped.
    } else {
      src += ch;
      srcV += ch;
    }
  }
  // Inline flag groups such as (?i:...) are not in Node 20's RegExp: expand the one GPT-4 uses.
  const ci = (x: string) => x.replace('(?i:[sdmt]|ll|ve|re)', '(?:[sdmtSDMT]|[lL][lL]|[vV][eE]|[rR][eE])');
  try {
    return new RegExp(ci(srcV), 'gv');
  } catch {
    return new RegExp(ci(src), 'gu');
  }
}

/** The splitter for a pattern name ('gpt2', 'gpt4') or a regex source. */
export function splitterFor(pattern: string): Splitter {
  if (pattern === 'gpt2' || pattern === GPT2_PATTERN) {
    return (text, start, end, emit) => {
      for (let i = start; i < end; ) {
        const j = gpt2ChunkEnd(text, i, end);
        emit(i, j);
        i = j;
      }
    };
  }
  let re: RegExp;
  try {
    re = toJsRegExp(pattern === 'gpt4' ? GPT4_PATTERN : pattern);
  } catch (e) {
    throw new ScratchError(`pre-tokenizer pattern ${JSON.stringify(pattern)} is not a valid regular expression (${(e as Error).message}); use 'gpt2', 'gpt4' or a valid regex`);
  }
  // Text between matches is a chunk of its own (Hugging Face's Split with behavior 'Isolated', as
  // our tokenizer.json export declares), so a pattern that does not cover every character loses
  // nothing; GPT-2's and GPT-4's patterns cover all text, so for them nothing changes.
  return (text, start, end, emit) => {
    const seg = start === 0 && end === text.length ? text : text.slice(start, end);
    re.lastIndex = 0;
    let last = 0;
    for (let m = re.exec(seg); m !== null; m = re.exec(seg)) {
      if (m[0].length === 0) {
        // step over the whole character: a unicode regex put back inside a surrogate pair matches
        // the same empty string again at the pair's start (a pattern like '' looped forever on '😀')
        const i = re.lastIndex;
        const pair = (seg.charCodeAt(i) & 0xfc00) === 0xd800 && (seg.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
        re.lastIndex = i + (pair ? 2 : 1);
        continue;
      }
      if (m.index > last) emit(start + last, start + m.index);
      emit(start + m.index, start + m.index + m[0].length);
      last = m.index + m[0].length;
    }
    if (last < seg.length) emit(start + last, end);
  };
}

/** Chunks as strings (for tests and inspection): pretokenize("a  b") → ["a", " ", " b"]. */
export function pretokenize(text: string, pattern = 'gpt2'): string[] {
  const out: string[] = [];
  splitterFor(pattern)(text, 0, text.length, (s, e) => out.push(text.slice(s, e)));
  return out;
}
