/**
 * Special tokens in text, with tiktoken's rules: by default a special token in the text is an
 * error; the caller may allow all or some of them (encoded as their ids) or none of them (encoded
 * as plain text).
 */
import { ScratchError } from '../core/errors.js';
import type { AllowedSpecial } from './types.js';

/** A special-token match: text[start, end) is the special token `token`. */
export interface SpecialMatch {
  start: number;
  end: number;
  token: string;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Checks `text` against the rules and returns the specials to encode as ids, in order.
 * Example: with allowed 'all', "a<|endoftext|>b" → [{start: 1, end: 14, token: '<|endoftext|>'}].
 */
export function findSpecials(text: string, specials: ReadonlyMap<string, number>, allowed: AllowedSpecial = 'none_raise'): SpecialMatch[] {
  if (specials.size === 0 || allowed === 'none') return [];
  const allowedSet = allowed === 'all' ? new Set(specials.keys()) : allowed === 'none_raise' ? new Set<string>() : allowed;
  for (const s of allowedSet) {
    if (!specials.has(s)) throw new ScratchError(`allowedSpecial names ${JSON.stringify(s)}, which is not a special token of this tokenizer (it has ${[...specials.keys()].map((k) => JSON.stringify(k)).join(', ')})`);
  }
  for (const s of specials.keys()) {
    if (!allowedSet.has(s) && text.includes(s)) {
      throw new ScratchError(
        `the text contains the special token ${JSON.stringify(s)}; allow it (allowedSpecial: 'all', CLI --allowed-special all) to encode it as a special token, or pass allowedSpecial: 'none' (CLI --allowed-special none) to encode it as plain text`,
      );
    }
  }
  if (allowedSet.size === 0) return [];
  // Longest first, so that a special token that contains another one wins.
  const alts = [...allowedSet].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const re = new RegExp(alts.join('|'), 'g');
  const out: SpecialMatch[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) out.push({ start: m.index, end: m.index + m[0].length, token: m[0] });
  return out;
}

/** Validates special tokens for a new vocabulary: non-empty, distinct. */
export function checkSpecialNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const s of names) {
    if (typeof s !== 'string' || s.length === 0) throw new ScratchError('a special token must be a non-empty string');
    if (seen.has(s)) throw new ScratchError(`special token ${JSON.stringify(s)} is listed twice`);
    seen.add(s);
  }
}
