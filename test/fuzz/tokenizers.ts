/**
 * Tokenizer fuzz: generated strings (every plane of Unicode, lone surrogates, long runs, text
 * that looks like special tokens) through GPT-2's tokenizer and a trained BPE: each decodes back
 * to the string (its well-formed form: a lone surrogate becomes U+FFFD in UTF-8), and GPT-2's ids
 * equal tiktoken's (OpenAI's Rust code, the npm package) on every string.
 */
import fc from 'fast-check';
import { get_encoding } from 'tiktoken';
import { gpt2Tokenizer, type Tokenizer } from '../../src/index.js';
import { trickyText } from '../tokenizer-strings.js';
import { smallBpe } from './readers.js';

const LOOKALIKES = ['<|endoftext|>', '<|endoftext|', '|endoftext|>', '<|endoftext|>>', '<<|endoftext|>', '<|endofprompt|>', '<|endoftext |>', '<|EndOfText|>', '<||>', '<|', '|>', '<|endoftext|><|endoftext|>'];

/** Strings of every kind the issue names. */
export function fuzzText(): fc.Arbitrary<string> {
  const plane = fc.integer({ min: 0, max: 16 }).chain((p) => fc.integer({ min: p * 0x10000, max: p * 0x10000 + 0xffff }).map((cp) => (cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp))));
  const piece = fc.oneof(
    { weight: 4, arbitrary: trickyText() },
    { weight: 3, arbitrary: fc.array(plane, { maxLength: 16 }).map((a) => a.join('')) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
    { weight: 2, arbitrary: fc.constantFrom(...LOOKALIKES) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(' ', 'a', '\n', '😀', '1', '\u00a0', "'s", 'ab '), fc.integer({ min: 1, max: 3000 })).map(([s, n]) => s.repeat(n)) },
  );
  return fc.array(piece, { maxLength: 6 }).map((xs) => xs.join(''));
}

export interface TokenizerFuzzResult {
  strings: number;
  chars: number;
  mismatches: number;
  failures: string[];
}

export function tokenizerFuzz(n: number, seed: number): TokenizerFuzzResult {
  const ref = get_encoding('gpt2');
  const gpt2 = gpt2Tokenizer();
  const bpe = smallBpe();
  const res: TokenizerFuzzResult = { strings: 0, chars: 0, mismatches: 0, failures: [] };
  const show = (s: string) => JSON.stringify(s.length > 80 ? s.slice(0, 80) + '…' : s);
  const roundTrip = (name: string, tok: Tokenizer, s: string, wf: string) => {
    const ids = tok.encode(s, { allowedSpecial: 'none' });
    const back = tok.decode(ids);
    if (back !== wf) res.failures.push(`${name}: ${show(s)} decodes back as ${show(back)}`);
    return ids;
  };
  try {
    fc.assert(
      fc.property(fuzzText(), (s) => {
        res.strings++;
        res.chars += s.length;
        const wf = (s as unknown as { toWellFormed(): string }).toWellFormed();
        try {
          const ours = roundTrip('gpt2', gpt2, s, wf);
          roundTrip('trained BPE', bpe, s, wf);
          const theirs = ref.encode(s, [], []);
          if (ours.length !== theirs.length || ours.some((x, i) => x !== theirs[i])) {
            res.mismatches++;
            if (res.failures.length < 50) res.failures.push(`gpt2 ids differ from tiktoken's for ${show(s)}`);
          }
        } catch (e) {
          res.failures.push(`${show(s)}: ${(e as Error).message}`);
        }
        return true;
      }),
      { numRuns: n, seed },
    );
  } finally {
    ref.free();
  }
  return res;
}
