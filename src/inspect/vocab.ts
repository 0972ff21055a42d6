/**
 * Tokens as text for people: each id's string, prompts encoded with what was cut or replaced
 * said out loud, and "did you mean" spellings for a token that is not in the vocabulary.
 */
import { ScratchError } from '../core/errors.js';
import { describeChar } from '../tokenizer/bytes.js';
import type { Tokenizer } from '../tokenizer/types.js';

const STRINGS = new WeakMap<Tokenizer, string[]>();

/** Every id's text (decode of that one id; a byte that is part of a UTF-8 character shows as U+FFFD). */
export function vocabStrings(tok: Tokenizer): string[] {
  let s = STRINGS.get(tok);
  if (!s) {
    s = Array.from({ length: tok.vocabSize }, (_, id) => tok.decode([id]));
    STRINGS.set(tok, s);
  }
  return s;
}

/** One id's text. */
export function tokenText(tok: Tokenizer, id: number): string {
  return vocabStrings(tok)[id] ?? tok.decode([id]);
}

/** The characters of `text` the tokenizer cannot encode, each once, in order. */
export function unencodable(tok: Tokenizer, text: string): string[] {
  try {
    tok.encode(text, { allowedSpecial: 'all' });
    return [];
  } catch {
    const bad: string[] = [];
    for (const ch of new Set(text)) {
      try {
        tok.encode(ch, { allowedSpecial: 'all' });
      } catch {
        bad.push(ch);
      }
    }
    return bad;
  }
}

/** Encodes text, or fails with one line naming the characters the tokenizer cannot encode. */
export function encodeText(tok: Tokenizer, text: string, what: string): number[] {
  const bad = unencodable(tok, text);
  if (bad.length) {
    const list = bad.slice(0, 8).map(describeChar).join(', ');
    throw new ScratchError(`${what} ${JSON.stringify(text)} has ${bad.length === 1 ? 'a character' : `${bad.length} characters`} the ${tok.kind} tokenizer cannot encode: ${list}${bad.length > 8 ? ', …' : ''}; leave ${bad.length === 1 ? 'it' : 'them'} out`);
  }
  return tok.encode(text, { allowedSpecial: 'all' });
}

/**
 * A prompt as the model reads it: its ids and notes on what was changed (cut to the block size,
 * unknown characters).
 */
export interface EncodedPrompt {
  /** The ids the model reads (at most `limit`). */
  ids: number[];
  /** What was done to the prompt, in words (empty when nothing). */
  notes: string[];
}

/**
 * A prompt as model input: an empty prompt starts from the tokenizer's <|endoftext|> (or a
 * newline for a character vocabulary), and a prompt longer than `limit` tokens keeps its last
 * `limit`; both are said in `notes`.
 */
export function encodePrompt(tok: Tokenizer, prompt: string, limit: number): EncodedPrompt {
  const notes: string[] = [];
  let ids: number[];
  if (prompt === '') {
    const eot = tok.specialTokens.get('<|endoftext|>');
    if (eot !== undefined) ids = [eot];
    else if (unencodable(tok, '\n').length === 0) ids = tok.encode('\n');
    else ids = [0];
    notes.push(`the prompt is empty: starting from ${JSON.stringify(tok.decode(ids))} (token ${ids[0]})`);
  } else ids = encodeText(tok, prompt, 'the prompt');
  if (ids.length === 0) throw new ScratchError('the prompt encodes to no tokens; give a non-empty prompt');
  if (ids.length > limit) {
    notes.push(`the prompt is ${ids.length} tokens, longer than the ${limit} the model reads: using its last ${limit}`);
    ids = ids.slice(-limit);
  }
  return { ids, notes };
}

/** Levenshtein distance, capped (early exit above `cap`). */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (cur[j]! < best) best = cur[j]!;
    }
    if (best > cap) return cap + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The vocabulary's closest spellings to `text` (case-insensitive first, then edit distance). */
export function closestSpellings(tok: Tokenizer, text: string, n = 5): string[] {
  const strings = vocabStrings(tok);
  const lower = text.toLowerCase();
  const trimmed = lower.trim();
  const bare = (x: string) => x.normalize('NFD').replace(/\p{M}/gu, '');
  const plain = bare(lower);
  const scored: { s: string; d: number }[] = [];
  const seen = new Set<string>();
  const cap = Math.max(2, Math.ceil(text.length / 2));
  for (const s of strings) {
    if (seen.has(s) || s.includes('\uFFFD')) continue;
    seen.add(s);
    const l = s.toLowerCase();
    let d: number;
    if (l === lower) d = 0;
    else if (l.trim() === trimmed && trimmed !== '') d = 0.5; // " the" for "the"
    else if (bare(l) === plain) d = 0.25; // "e" for "é"
    else d = editDistance(lower, l, cap);
    if (d <= cap) scored.push({ s, d });
  }
  scored.sort((a, b) => a.d - b.d || a.s.length - b.s.length || (a.s < b.s ? -1 : 1));
  return scored.slice(0, n).map((x) => x.s);
}

/** The id whose text is exactly `text`, or a one-line error listing the closest spellings. */
export function tokenId(tok: Tokenizer, text: string): number {
  if (text === '') throw new ScratchError('the token is empty; give one token of the vocabulary, e.g. " the" or "e"');
  const strings = vocabStrings(tok);
  const i = strings.indexOf(text);
  if (i >= 0) return i;
  const special = tok.specialTokens.get(text);
  if (special !== undefined) return special;
  const near = closestSpellings(tok, text);
  const list = near.length ? `closest in the vocabulary: ${near.map((s) => JSON.stringify(s)).join(', ')}` : 'nothing in the vocabulary is spelled like it';
  throw new ScratchError(`${JSON.stringify(text)} is not a token of this ${tok.kind} vocabulary (${tok.vocabSize} ids); ${list}`);
}
