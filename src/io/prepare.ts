/**
 * `scratchlm prepare`: text files → a data folder with train.bin, val.bin (token files), the
 * tokenizer (tokenizer.json) and meta.json. Text streams through in chunks, so inputs of a
 * gigabyte and more are never held whole; the split is nanoGPT's (first 90 % of the tokens
 * train, the rest val).
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import { CharTokenizer } from '../tokenizer/char.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { fileErrorMessage, firstInvalidUtf8, readJson, removeStaleTemps, writeAtomic } from './files.js';
import { TokenFile, TokenFileWriter } from './token-file.js';
import { formatTokenizerJSON, tokenizerFromJSON } from '../tokenizer/formats.js';
import { loadTokenizer } from './tokenizer-files.js';

export const DATA_FORMAT = 'scratchlm-data';
export const DATA_VERSION = 1;
const CHUNK = 4 << 20;

export interface PrepareOptions {
  /** 'char' (built from the inputs), 'gpt2', or a tokenizer file. */
  tokenizer: string;
  /** Share of the tokens, from the start, that go to train (nanoGPT: 0.9). */
  trainFraction?: number;
  /** Called as text is read: phase, bytes done, bytes in all. */
  onProgress?: (phase: string, done: number, total: number) => void;
  /** Bytes read at a time (default 4 MiB; small values for tests). */
  chunkBytes?: number;
}

export interface DataMeta {
  format: string;
  version: number;
  tokenizer: string;
  vocabSize: number;
  train: number;
  val: number;
  sources: string[];
  bytes: number;
}

/** Streams the UTF-8 text of `paths`, one after another, in decoded chunks. */
function streamText(paths: readonly string[], total: number, phase: string, onChunk: (text: string, path: string, byteOffset: number) => void, onProgress: PrepareOptions['onProgress'], chunk: number): void {
  const utf8 = new TextEncoder();
  const buf = new Uint8Array(chunk);
  let done = 0;
  for (const path of paths) {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new ScratchError(fileErrorMessage(path, e, 'text file'));
    }
    const dec = new TextDecoder('utf-8', { fatal: true });
    let pos = 0;
    let held = new Uint8Array(0); // the start of a character the last chunk cut, which the decoder holds
    let emitted = 0; // bytes of this file whose text was handed on (where the next text starts)
    try {
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, 0, chunk, pos);
        } catch (e) {
          throw new ScratchError(fileErrorMessage(path, e, 'text file'));
        }
        let text: string;
        try {
          text = n === 0 ? dec.decode() : dec.decode(buf.subarray(0, n), { stream: true });
        } catch {
          // everything before the held bytes decoded, so scanning from them finds the exact byte
          const from = new Uint8Array(held.length + n);
          from.set(held);
          from.set(buf.subarray(0, n), held.length);
          const at = pos - held.length + firstInvalidUtf8(from);
          throw new ScratchError(`${path}: not valid UTF-8 (first bad byte at offset ${at}); convert it to UTF-8 first, e.g. iconv -f latin1 -t utf-8`);
        }
        if (n > 0) {
          // the stream's last three bytes (chunks may be shorter than a character)
          const last = n >= 3 ? buf.slice(n - 3, n) : Uint8Array.from([...held, ...buf.subarray(0, n)]).slice(-3);
          held = last.slice(last.length - incompleteTail(last, last.length));
        }
        if (text) {
          onChunk(text, path, emitted);
          emitted += utf8.encode(text).length;
        }
        if (n === 0) break;
        pos += n;
        done += n;
        onProgress?.(phase, done, total);
      }
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Tokenizes `paths` into `outDir`. Returns what meta.json says. When it fails, a folder it
 * created is removed again, and in a folder that was there it leaves no file of its own.
 */
export function prepareData(paths: readonly string[], outDir: string, opts: PrepareOptions): DataMeta {
  if (paths.length === 0) throw new ScratchError('prepare needs at least one text file');
  const trainFraction = opts.trainFraction ?? 0.9;
  if (!(trainFraction > 0 && trainFraction < 1)) throw new ScratchError(`the train fraction must be between 0 and 1, got ${trainFraction}`);
  let total = 0;
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      throw new ScratchError(fileErrorMessage(p, e, 'text file'));
    }
    if (st.isDirectory()) throw new ScratchError(`${p}: is a folder, expected a text file; name the files inside it`);
    total += st.size;
  }
  // the topmost folder this call creates (mkdir -p may create parents too), removed on failure
  let created: string | null = null;
  for (let d = outDir; !existsSync(d); d = dirname(d)) created = d;
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new ScratchError(fileErrorMessage(outDir, e, 'folder', 'create'));
  }
  try {
    return prepareInto(paths, outDir, opts, trainFraction, total);
  } catch (e) {
    if (created) rmSync(created, { recursive: true, force: true });
    throw e;
  }
}

/** A character tokenizer's encoding of one chunk; a character it lacks is named with its file and byte offset. */
function encodeChars(tok: Tokenizer, text: string, path: string, offset: number, encode: (t: string) => void): void {
  try {
    encode(text);
  } catch (e) {
    if (!(e instanceof ScratchError)) throw e;
    const chars = new Set((tok as CharTokenizer).chars);
    let at = offset;
    for (const ch of text) {
      if (!chars.has(ch)) {
        const cp = ch.codePointAt(0)!;
        const shown = cp < 0x20 || cp === 0x7f ? '' : ` '${ch}'`;
        throw new ScratchError(`${path}: character${shown} (U+${cp.toString(16).toUpperCase().padStart(4, '0')}) at byte offset ${at} is not in the tokenizer's vocabulary of ${tok.vocabSize} characters; prepare with --tokenizer char to build one from these files`);
      }
      at += new TextEncoder().encode(ch).length;
    }
    throw e;
  }
}

function prepareInto(paths: readonly string[], outDir: string, opts: PrepareOptions, trainFraction: number, total: number): DataMeta {
  const chunk = opts.chunkBytes ?? CHUNK;

  removeStaleTemps(outDir); // of an earlier prepare that was killed

  let tok: Tokenizer;
  if (opts.tokenizer === 'char') {
    const seen = new Set<string>();
    streamText(paths, total, 'scanning characters', (t) => {
      for (const ch of t) seen.add(ch);
    }, opts.onProgress, chunk);
    if (seen.size === 0) throw new ScratchError(`${paths.join(', ')}: no text to build a character tokenizer from`);
    tok = CharTokenizer.fromText([...seen].join(''));
  } else {
    tok = loadTokenizer(opts.tokenizer);
  }

  // all tokens into one temporary file, then split it (the count is known only at the end)
  const allPath = join(outDir, 'all.bin');
  const all = new TokenFileWriter(allPath, tok.vocabSize);
  let carry = '';
  const encode = (text: string) => all.append(tok.encode(text, { allowedSpecial: 'none' }));
  try {
    streamText(paths, total, 'tokenizing', (t, path, offset) => {
      if (tok.kind === 'char') return encodeChars(tok, t, path, offset, encode);
      // BPE: encode up to a cut where the pre-tokenizer splits the same way as in the whole text
      carry += t;
      const at = safeCut(carry);
      if (at < 0 && carry.length < chunk * 4) return;
      const end = at < 0 ? carry.length : at;
      encode(carry.slice(0, end));
      carry = carry.slice(end);
    }, opts.onProgress, chunk);
    if (carry) encode(carry);
    all.finish();
  } catch (e) {
    all.abort();
    throw e;
  }

  const src = TokenFile.open(allPath);
  try {
    const n = src.count;
    const nTrain = Math.floor(n * trainFraction);
    if (nTrain < 2 || n - nTrain < 2) throw new ScratchError(`${paths.join(', ')}: only ${n} tokens; too little text to split into train and val`);
    copyRange(src, 0, nTrain, join(outDir, 'train.bin'));
    copyRange(src, nTrain, n - nTrain, join(outDir, 'val.bin'));
    writeAtomic(join(outDir, 'tokenizer.json'), formatTokenizerJSON(tok));
    const meta: DataMeta = { format: DATA_FORMAT, version: DATA_VERSION, tokenizer: tok.kind, vocabSize: tok.vocabSize, train: nTrain, val: n - nTrain, sources: [...paths], bytes: total };
    writeAtomic(join(outDir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    return meta;
  } finally {
    src.close();
    unlinkSync(allPath);
  }
}

/** How many bytes at the end of buf[0, n) begin a character that is not complete there (0-3). */
function incompleteTail(buf: Uint8Array, n: number): number {
  for (let k = 1; k <= Math.min(3, n); k++) {
    const b = buf[n - k]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return len > k ? k : 0;
  }
  return 0;
}

const SPACE = /\s/;

/**
 * Index just after the last newline that sits between two non-space characters ("word\nWord"):
 * GPT-2-style pre-tokenizers make that newline a token of its own and start afresh after it, so
 * encoding the two sides apart gives the same ids as encoding them together. -1 when none.
 */
function safeCut(text: string): number {
  for (let k = text.lastIndexOf('\n', text.length - 2); k > 0; k = text.lastIndexOf('\n', k - 1)) {
    if (!SPACE.test(text[k - 1]) && !SPACE.test(text[k + 1])) return k + 1;
  }
  return -1;
}

function copyRange(src: TokenFile, start: number, n: number, path: string): void {
  const w = new TokenFileWriter(path, src.vocabSize);
  const buf = new Int32Array(1 << 20);
  try {
    for (let off = 0; off < n; off += buf.length) {
      const k = Math.min(buf.length, n - off);
      src.read(start + off, k, buf);
      w.append(buf.subarray(0, k));
    }
    w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
}

/** A prepared data folder, opened: its tokenizer and both splits. */
export interface DataFolder {
  dir: string;
  meta: DataMeta;
  tokenizer: Tokenizer;
  /** The tokenizer's canonical JSON text, to compare with a run's. */
  tokenizerText: string;
  train: TokenFile;
  val: TokenFile;
}

export function openDataFolder(dir: string): DataFolder {
  const metaPath = join(dir, 'meta.json');
  if (!existsSync(metaPath)) throw new ScratchError(`${dir}: not a prepared data folder (no meta.json); make one with 'npx scratchlm prepare <text files> --tokenizer char --out ${dir}'`);
  const meta = readJson(metaPath, 'data description') as DataMeta;
  if (meta?.format !== DATA_FORMAT || meta.version !== DATA_VERSION) throw new ScratchError(`${metaPath}: not a scratchlm data folder of version ${DATA_VERSION}; run 'npx scratchlm prepare' again`);
  const tokPath = join(dir, 'tokenizer.json');
  const tokenizer = tokenizerFromJSON(readJson(tokPath, 'tokenizer file'), tokPath);
  const train = TokenFile.open(join(dir, 'train.bin'));
  const val = TokenFile.open(join(dir, 'val.bin'));
  for (const f of [train, val]) {
    if (f.vocabSize !== tokenizer.vocabSize) throw new ScratchError(`${f.path}: made for a vocabulary of ${f.vocabSize}, but ${tokPath} has ${tokenizer.vocabSize}; run 'npx scratchlm prepare' again`);
  }
  return { dir, meta, tokenizer, tokenizerText: formatTokenizerJSON(tokenizer), train, val };
}
