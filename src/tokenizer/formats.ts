/**
 * Vocabulary files as strings in, tokenizers out (no file system here: src/io reads the files).
 * - GPT-2's own pair: encoder.json (printable token → id) + vocab.bpe (merges in rank order);
 * - tiktoken's ranks file (`base64(bytes) rank` per line, e.g. r50k_base.tiktoken);
 * - scratchlm's own file (see BpeTokenizer.toJSON / CharTokenizer.toJSON), and
 * - Hugging Face's tokenizer.json with a byte-level BPE model.
 */
import { ScratchError } from '../core/errors.js';
import { BpeTokenizer, FORMAT, FORMAT_VERSION } from './bpe.js';
import { bytesKey, bytesToPrintable, printableToBytes } from './bytes.js';
import { CharTokenizer } from './char.js';
import { GPT2_PATTERN, GPT4_PATTERN } from './pretokenize.js';
import type { Tokenizer } from './types.js';

/** GPT-2's end-of-text special token. */
export const ENDOFTEXT = '<|endoftext|>';

function fail(source: string | undefined, problem: string): never {
  throw new ScratchError(source ? `${source}: ${problem}` : problem);
}

/**
 * GPT-2's encoder.json + vocab.bpe. Merge r of vocab.bpe ("Ġ t") joins the ids of its two
 * halves into encoder["Ġt"]; `<|endoftext|>` in encoder.json becomes a special token.
 */
export function parseGpt2Files(encoderJson: string, vocabBpe: string, source?: string): BpeTokenizer {
  let encoder: Record<string, number>;
  try {
    encoder = JSON.parse(encoderJson) as Record<string, number>;
  } catch (e) {
    fail(source, `encoder.json is not valid JSON (${(e as Error).message})`);
  }
  if (typeof encoder !== 'object' || encoder === null) fail(source, 'encoder.json must be an object of token → id');
  const ids = new Map(Object.entries(encoder));
  const idOf = (tok: string, line: number): number => {
    const id = ids.get(tok);
    if (typeof id !== 'number') fail(source, `vocab.bpe line ${line}: token ${JSON.stringify(tok)} is not in encoder.json`);
    return id;
  };
  const byteIds: number[] = [];
  for (let b = 0; b < 256; b++) byteIds.push(idOf(bytesToPrintable([b]), 0));
  const merges: [number, number, number][] = [];
  const lines = vocabBpe.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.startsWith('#version') || line.trim() === '') return;
    const parts = line.split(' ');
    if (parts.length !== 2) fail(source, `vocab.bpe line ${i + 1} should be two tokens separated by one space: ${JSON.stringify(line)}`);
    merges.push([idOf(parts[0]!, i + 1), idOf(parts[1]!, i + 1), idOf(parts[0]! + parts[1]!, i + 1)]);
  });
  const specials = new Map<string, number>();
  if (typeof encoder[ENDOFTEXT] === 'number') specials.set(ENDOFTEXT, encoder[ENDOFTEXT]);
  return new BpeTokenizer({ pattern: 'gpt2', byteIds, merges, specialTokens: specials });
}

function base64Bytes(s: string, source: string | undefined, line: number): Uint8Array {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    fail(source, `line ${line}: ${JSON.stringify(s.slice(0, 40))} is not valid base64`);
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * A tiktoken ranks file. tiktoken stores no merge list, only bytes → rank; each token's merge is
 * recovered by running BPE on its own bytes with the lower ranks only, which leaves two parts.
 */
export function parseTiktokenRanks(text: string, opts: { pattern?: string; specialTokens?: ReadonlyMap<string, number>; source?: string } = {}): BpeTokenizer {
  const { source } = opts;
  const byRank: Uint8Array[] = [];
  const rankOf = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const m = /^([A-Za-z0-9+/=]+) (\d+)$/.exec(line);
    if (!m) fail(source, `line ${i + 1} should be "<base64 bytes> <rank>": ${JSON.stringify(line.slice(0, 40))}`);
    const rank = Number(m[2]);
    if (byRank[rank] !== undefined) fail(source, `line ${i + 1}: rank ${rank} appears twice`);
    const bytes = base64Bytes(m[1]!, source, i + 1);
    byRank[rank] = bytes;
    rankOf.set(bytesKey(bytes), rank);
  });
  const byteIds: number[] = new Array(256);
  for (let b = 0; b < 256; b++) {
    const r = rankOf.get(String.fromCharCode(b));
    if (r === undefined) fail(source, `byte ${b} has no rank; a byte-level vocabulary needs all 256`);
    byteIds[b] = r;
  }
  const merges: [number, number, number][] = [];
  for (let r = 0; r < byRank.length; r++) {
    const bytes = byRank[r];
    if (bytes === undefined) fail(source, `rank ${r} is missing`);
    if (bytes.length < 2) continue;
    const parts = mergeBelow(bytes, r, rankOf);
    if (parts.length !== 2) fail(source, `token of rank ${r} cannot be built from two lower-ranked tokens`);
    merges.push([rankOf.get(parts[0]!)!, rankOf.get(parts[1]!)!, r]);
  }
  return new BpeTokenizer({ pattern: opts.pattern ?? 'gpt2', byteIds, merges, specialTokens: opts.specialTokens ?? new Map() });
}

/** tiktoken's byte_pair_merge on one token's bytes, using only ranks below `limit`. */
function mergeBelow(bytes: Uint8Array, limit: number, rankOf: ReadonlyMap<string, number>): string[] {
  const parts = Array.from(bytes, (b) => String.fromCharCode(b));
  for (;;) {
    let best = -1;
    let bestRank = limit;
    for (let k = 0; k + 1 < parts.length; k++) {
      const r = rankOf.get(parts[k]! + parts[k + 1]!);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = k;
      }
    }
    if (best < 0) return parts;
    parts.splice(best, 2, parts[best]! + parts[best + 1]!);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A tokenizer from its JSON: scratchlm's own format (version 1) or Hugging Face's tokenizer.json.
 * `source` (a file name) starts every error message.
 */
export function tokenizerFromJSON(obj: unknown, source?: string): Tokenizer {
  if (!isRecord(obj)) fail(source, 'a tokenizer file must hold a JSON object');
  if (isRecord(obj.model) && 'added_tokens' in obj) return fromHuggingFace(obj, source);
  if (obj.format !== FORMAT) fail(source, `not a scratchlm tokenizer file (expected "format": "${FORMAT}") nor a Hugging Face tokenizer.json`);
  if (obj.version !== FORMAT_VERSION) fail(source, `tokenizer file version ${JSON.stringify(obj.version)} is not supported (this scratchlm reads version ${FORMAT_VERSION}); re-save it with a matching scratchlm`);
  try {
    if (obj.kind === 'char') {
      if (!Array.isArray(obj.chars)) fail(source, '"chars" must be an array of characters');
      return new CharTokenizer(obj.chars as string[]);
    }
    if (obj.kind !== 'bpe') fail(source, `unknown tokenizer kind ${JSON.stringify(obj.kind)} (expected "bpe" or "char")`);
    if (typeof obj.pattern !== 'string') fail(source, '"pattern" must be a string');
    const byteIds = obj.byteIds === undefined ? Array.from({ length: 256 }, (_, b) => b) : obj.byteIds;
    if (!Array.isArray(byteIds) || !byteIds.every(Number.isInteger)) fail(source, '"byteIds" must be 256 integers');
    if (!Array.isArray(obj.merges) || !obj.merges.every((m) => Array.isArray(m) && (m.length === 3 || m.length === 4) && m.slice(0, 3).every(Number.isInteger))) {
      fail(source, '"merges" must be a list of [a, b, id] or [a, b, id, text] entries with integer ids');
    }
    if (!isRecord(obj.specialTokens) || !Object.values(obj.specialTokens).every(Number.isInteger)) fail(source, '"specialTokens" must map token text to an integer id');
    const tok = new BpeTokenizer({
      pattern: obj.pattern,
      byteIds: byteIds as number[],
      merges: (obj.merges as number[][]).map((m) => [m[0]!, m[1]!, m[2]!] as [number, number, number]),
      specialTokens: new Map(Object.entries(obj.specialTokens as Record<string, number>)),
    });
    (obj.merges as unknown[][]).forEach((m, r) => {
      if (m.length === 4 && m[3] !== bytesToPrintable(tok.tokenBytesOf(m[2] as number)!)) {
        fail(source, `merge ${r} says its token is ${JSON.stringify(m[3])} but its ids make ${JSON.stringify(bytesToPrintable(tok.tokenBytesOf(m[2] as number)!))}: the file is corrupt`);
      }
    });
    return tok;
  } catch (e) {
    if (e instanceof ScratchError && source && !e.message.startsWith(source)) fail(source, e.message);
    throw e;
  }
}

/** Hugging Face's tokenizer.json for a byte-level BPE (what `tokenizers` saves for GPT-2 and the like). */
export function toHuggingFace(tok: BpeTokenizer): object {
  const name = (id: number) => bytesToPrintable(tok.tokenBytesOf(id)!);
  const vocab: Record<string, number> = {};
  tok.byteIds.forEach((id) => (vocab[name(id)] = id));
  for (const [, , id] of tok.merges) {
    const n = name(id);
    if (!(n in vocab)) vocab[n] = id;
  }
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: tok.pattern === 'gpt2' };
  const pattern = tok.pattern === 'gpt2' ? null : tok.pattern === 'gpt4' ? GPT4_PATTERN : tok.pattern;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...tok.specialTokens].map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: pattern === null ? byteLevel : { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false }, byteLevel] },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: tok.merges.map(([a, b]) => [name(a), name(b)]),
    },
  };
}

/** Pattern of a Hugging Face pre_tokenizer: ByteLevel(use_regex) → GPT-2's; Split(Regex) + ByteLevel → that regex. */
function hfPattern(pre: unknown, source?: string): string {
  if (isRecord(pre) && pre.type === 'ByteLevel') {
    if (pre.add_prefix_space === true) fail(source, 'ByteLevel with add_prefix_space is not supported');
    if (pre.use_regex === false) fail(source, 'ByteLevel without use_regex and without a Split pre-tokenizer is not supported');
    return 'gpt2';
  }
  if (isRecord(pre) && pre.type === 'Sequence' && Array.isArray(pre.pretokenizers) && pre.pretokenizers.length === 2) {
    const [split, bl] = pre.pretokenizers as unknown[];
    if (isRecord(split) && split.type === 'Split' && isRecord(split.pattern) && typeof split.pattern.Regex === 'string' && isRecord(bl) && bl.type === 'ByteLevel' && bl.use_regex === false) {
      const re = split.pattern.Regex;
      return re === GPT2_PATTERN ? 'gpt2' : re === GPT4_PATTERN ? 'gpt4' : re;
    }
  }
  fail(source, 'only byte-level BPE tokenizer.json files are supported (pre_tokenizer ByteLevel, or Split(Regex) then ByteLevel)');
}

/** A Hugging Face tokenizer.json (BPE model, byte-level alphabet) → BpeTokenizer. */
export function fromHuggingFace(obj: Record<string, unknown>, source?: string): BpeTokenizer {
  const model = obj.model as Record<string, unknown>;
  if (model.type !== 'BPE') fail(source, `model type ${JSON.stringify(model.type)} is not supported (only BPE)`);
  if (!isRecord(model.vocab) || !Array.isArray(model.merges)) fail(source, 'model.vocab must be an object and model.merges a list');
  const vocab = model.vocab as Record<string, number>;
  const pattern = hfPattern(obj.pre_tokenizer, source);
  const byteIds: number[] = [];
  for (let b = 0; b < 256; b++) {
    const id = vocab[bytesToPrintable([b])];
    if (typeof id !== 'number') fail(source, `byte ${b} (${JSON.stringify(bytesToPrintable([b]))}) is missing from model.vocab; only byte-level vocabularies are supported`);
    byteIds.push(id);
  }
  const merges: [number, number, number][] = [];
  (model.merges as unknown[]).forEach((m, i) => {
    const pair = typeof m === 'string' ? m.split(' ') : m;
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') fail(source, `merge ${i} should be "a b" or ["a", "b"]`);
    const [a, b] = pair as [string, string];
    const ids = [a, b, a + b].map((t) => vocab[t]);
    if (!ids.every((x) => typeof x === 'number') || !printableToBytes(a + b)) fail(source, `merge ${i} (${JSON.stringify(a)} + ${JSON.stringify(b)}) names a token missing from model.vocab`);
    merges.push(ids as [number, number, number]);
  });
  const specials = new Map<string, number>();
  if (Array.isArray(obj.added_tokens)) {
    for (const t of obj.added_tokens as unknown[]) {
      if (isRecord(t) && typeof t.content === 'string' && typeof t.id === 'number' && t.special !== false) specials.set(t.content, t.id);
    }
  }
  try {
    return new BpeTokenizer({ pattern, byteIds, merges, specialTokens: specials });
  } catch (e) {
    if (e instanceof ScratchError) fail(source, e.message);
    throw e;
  }
}

/** A tokenizer's JSON, indented, with one merge per line (readable, diffable). */
export function formatTokenizerJSON(tok: Tokenizer): string {
  const obj = tok.toJSON() as Record<string, unknown>;
  const lines = Object.entries(obj).map(([k, v]) => {
    if (Array.isArray(v) && v.length > 0) return `  ${JSON.stringify(k)}: [\n${v.map((x) => '    ' + JSON.stringify(x)).join(',\n')}\n  ]`;
    return `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}
