/**
 * The character tokenizer (nanoGPT's shakespeare_char): the vocabulary is the sorted set of code
 * points in a corpus, id = position in that list. Tiny Shakespeare has 65.
 * Example: fromText("hello") has vocabulary ["e", "h", "l", "o"]; "hello" → [1, 0, 2, 2, 3].
 */
import { ScratchError } from '../core/errors.js';
import { describeChar } from './bytes.js';
import { FORMAT, FORMAT_VERSION } from './bpe.js';
import type { EncodeOptions, StreamDecoder, Tokenizer } from './types.js';

/** One id per character (Unicode code point) of a fixed alphabet, as nanoGPT's shakespeare_char. */
export class CharTokenizer implements Tokenizer {
  readonly kind = 'char';
  readonly specialTokens: ReadonlyMap<string, number> = new Map();
  /** The vocabulary: one code point (as a string) per id, sorted by code point. */
  readonly chars: readonly string[];
  private readonly ids = new Map<string, number>();

  constructor(chars: readonly string[]) {
    this.chars = [...chars];
    this.chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1) throw new ScratchError(`character tokenizer entry ${i} must be a single character, got ${JSON.stringify(c)}`);
      if (this.ids.has(c)) throw new ScratchError(`character tokenizer lists ${describeChar(c)} twice`);
      this.ids.set(c, i);
    });
    if (this.chars.length === 0) throw new ScratchError('a character tokenizer needs at least one character');
  }

  /** The sorted set of code points of `text` (Python's sorted(set(text))). */
  static fromText(text: string): CharTokenizer {
    if (text.length === 0) throw new ScratchError('cannot build a character tokenizer from an empty corpus');
    const set = new Set<string>();
    for (const ch of text) set.add(ch);
    const chars = [...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars);
  }

  get vocabSize(): number {
    return this.chars.length;
  }

  /** The ids of `text`; a character outside the alphabet throws, naming it. */
  encode(text: string, _options: EncodeOptions = {}): number[] {
    const out: number[] = [];
    for (const ch of text) {
      const id = this.ids.get(ch);
      if (id === undefined) throw new ScratchError(`character ${describeChar(ch)} is not in the character tokenizer's vocabulary of ${this.chars.length}; build it from a corpus that contains it`);
      out.push(id);
    }
    return out;
  }

  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let k = 0; k < ids.length; k++) s += this.charOf(ids[k]!);
    return s;
  }

  private charOf(id: number): string {
    const c = this.chars[id];
    if (c === undefined || !Number.isInteger(id)) throw new ScratchError(`token id ${id} is not in the vocabulary (ids run from 0 to ${this.chars.length - 1})`);
    return c;
  }

  /** A decoder that turns ids into text one at a time. */
  streamDecoder(): StreamDecoder {
    return { push: (id) => this.charOf(id), flush: () => '' };
  }

  toJSON(): object {
    return { format: FORMAT, version: FORMAT_VERSION, kind: 'char', chars: [...this.chars] };
  }
}
