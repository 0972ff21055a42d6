/**
 * What every tokenizer offers. The tokenizer knows no tensors: ids are plain numbers.
 * Implementations: the character tokenizer and byte-level BPE (trained, or GPT-2's own).
 */
export type AllowedSpecial = 'all' | 'none' | 'none_raise' | ReadonlySet<string>;

/** Options of `tokenizer.encode`. */
export interface EncodeOptions {
  /** Special tokens in the text: 'none_raise' (default) throws, 'all' or a set encodes them as
   * their ids, 'none' encodes them as plain text. Follows tiktoken's rules. */
  allowedSpecial?: AllowedSpecial;
}

/** Decodes ids one at a time into text, holding back incomplete UTF-8 characters. */
export interface StreamDecoder {
  /** Text that is complete after this id; an incomplete UTF-8 character is held back. */
  push(id: number): string;
  /** Whatever is held back, with U+FFFD for an unfinished character. */
  flush(): string;
}

/** What every tokenizer does: text to ids and back, with special tokens. */
export interface Tokenizer {
  /** 'char' or 'bpe'. */
  readonly kind: string;
  /** Number of ids, special tokens included. */
  readonly vocabSize: number;
  /** Special tokens and their ids. */
  readonly specialTokens: ReadonlyMap<string, number>;
  encode(text: string, options?: EncodeOptions): number[];
  /** Ids to text; an id outside the vocabulary is an error; a cut character becomes U+FFFD. */
  decode(ids: ArrayLike<number>): string;
  streamDecoder(): StreamDecoder;
  /** A JSON-serialisable description that `tokenizerFromJSON` turns back into an equal tokenizer. */
  toJSON(): object;
}
