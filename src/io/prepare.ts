/**
 * `scratchlm prepare`: text files → a data folder with train.bin, val.bin (token files), the
 * tokenizer (tokenizer.json) and meta.json. Text streams through in chunks, so inputs of a
 * gigabyte and more are never held whole; the split is nanoGPT's (first 90 % of the tokens
 * train, the rest val).
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ScratchError } from '../core/errors.js';
import { CharTokenizer } from '../tokenizer/char.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { fileErrorMessage, firstInvalidUtf8, readJson, removeStaleTemps, writeAtomic } from './files.js';
import { TokenFile, TokenFileWriter } from './token-file.js';
import { formatTokenizerJSON, tokenizerFromJSON } from '../tokenizer/formats.js';
import { loadTokenizer } from './tokenizer-files.js';

/** The `format` field of a data folder's meta.json. */
export const DATA_FORMAT = 'scratchlm-data';
/** The data folder version this scratchlm reads and writes. */
export const DATA_VERSION = 1;
const CHUNK = 4 << 20;

/** Options of `prepareData` (`npx scratchlm prepare`). */
export interface PrepareOptions {
  /** 'char' (built from the inputs), 'gpt2', a tokenizer file, or a tokenizer already made. */
  tokenizer: string | Tokenizer;
  /** Share of the tokens, from the start, that go to train (nanoGPT: 0.9). */
  trainFraction?: number;
  /** Called as text is read: phase, bytes done, bytes in all. */
  onProgress?: (phase: string, done: number, total: number) => void;
  /** Bytes read at a time (default 4 MiB; small values for tests). */
  chunkBytes?: number;
  /**
   * Write into `outDir` although it already holds prepared data, or other files (never a run
   * folder): the data folder is replaced, and onNotice says so, naming the runs trained on it.
   */
  force?: boolean;
  /** Told what prepare replaces (with force). */
  onNotice?: (message: string) => void;
}

/** Thrown into a prepare that is stopped (Ctrl-C) between chunks; its files are removed. */
export class PrepareInterrupted extends ScratchError {}

/** A data folder's meta.json: its format, tokenizer, vocabulary size and token counts. */
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

/** Streams the UTF-8 text of `paths`, one after another, in decoded chunks (yields each, with its file and byte offset there). */
function* streamText(paths: readonly string[], total: number, phase: string, onProgress: PrepareOptions['onProgress'], chunk: number): Generator<{ text: string; path: string; offset: number }, void, undefined> {
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
          yield { text, path, offset: emitted };
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
  const steps = prepareSteps(paths, outDir, opts);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * prepareData, giving the event loop a turn between chunks, so a signal handler can run:
 * when `shouldStop()` turns true the prepare stops, removes its temporary files and the folder
 * it made, and rejects with PrepareInterrupted.
 */
export async function prepareDataAsync(paths: readonly string[], outDir: string, opts: PrepareOptions & { shouldStop?: () => boolean }): Promise<DataMeta> {
  const steps = prepareSteps(paths, outDir, opts);
  let r = steps.next();
  while (!r.done) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    r = opts.shouldStop?.() ? steps.throw(new PrepareInterrupted(`${outDir}: prepare interrupted; its temporary files were removed`)) : steps.next();
  }
  return r.value;
}

/** Files a prepare writes (and its temporaries): a folder holding only these is a data folder, or one a prepare was killed in. */
const DATA_FILES = /^(train\.bin|val\.bin|all\.bin|tokenizer\.json|meta\.json)(\.tmp-\d+(-\d+)?)?$/;

/**
 * May prepare write into `outDir`? A new or empty folder, or one a killed prepare left: yes. A run
 * folder: never. A data folder (replaced) or a folder with other files: only with `force`, and
 * replacing a data folder is told through onNotice, with the runs (found nearby) trained on it.
 */
function checkOutFolder(outDir: string, opts: PrepareOptions): void {
  let names: string[];
  try {
    if (!statSync(outDir).isDirectory()) return; // mkdir reports it
    names = readdirSync(outDir);
  } catch {
    return; // not there yet
  }
  if (names.length === 0) return;
  if (names.some((n) => /^(latest|best)\.json$|^config\.json$|^metrics\.jsonl$/.test(n))) {
    throw new ScratchError(`${outDir} is a run folder (it holds ${names.filter((n) => /\.json$|\.jsonl$/.test(n) && n !== 'tokenizer.json').slice(0, 3).join(', ')}); prepare never writes into one: choose another --out`);
  }
  const isData = names.includes('meta.json');
  const ours = names.every((n) => DATA_FILES.test(n));
  if (!isData && ours) return; // a prepare was killed here: start again
  const runs = isData ? runsUsing(outDir) : [];
  const users = runs.length ? `, which ${runs.length === 1 ? 'the run' : 'the runs'} ${runs.join(', ')} trained on` : '';
  if (!opts.force) {
    if (isData) throw new ScratchError(`${outDir} already holds prepared data${describe(outDir)}${users}; pass --force to replace it, or choose another --out`);
    throw new ScratchError(`${outDir} is not empty and not a scratchlm data folder (it holds ${names.slice(0, 3).join(', ')}${names.length > 3 ? ', ...' : ''}); pass --force to write train.bin, val.bin, tokenizer.json and meta.json into it, or choose a new --out`);
  }
  if (isData) opts.onNotice?.(`replacing the prepared data in ${outDir}${describe(outDir)}${users}${runs.length ? '; resuming them needs the same tokenizer' : ''}`);
}

function describe(dir: string): string {
  try {
    const m = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Partial<DataMeta>;
    return typeof m.train === 'number' ? ` (${m.train} train + ${m.val} val tokens, ${m.tokenizer} tokenizer with ${m.vocabSize} ids)` : '';
  } catch {
    return '';
  }
}

/**
 * Run folders whose config.json names `dataDir` as their data, among the folders where runs
 * usually are: beside it, in ./runs and in the current folder. (A data folder does not know its
 * runs; these are the ones that can be found.)
 */
function runsUsing(dataDir: string): string[] {
  const target = resolve(dataDir);
  const places = new Set([dirname(target), resolve('runs'), resolve('.'), join(dirname(target), 'runs')]);
  const found: string[] = [];
  for (const place of places) {
    let entries: string[];
    try {
      entries = readdirSync(place);
    } catch {
      continue;
    }
    for (const e of entries.slice(0, 1000)) {
      const cfg = join(place, e, 'config.json');
      try {
        const c = JSON.parse(readFileSync(cfg, 'utf8')) as { data?: unknown };
        if (typeof c.data === 'string' && resolve(place, c.data) === target) found.push(relative('.', join(place, e)) || '.');
      } catch {
        /* not a run folder */
      }
    }
  }
  return [...new Set(found)];
}

function* prepareSteps(paths: readonly string[], outDir: string, opts: PrepareOptions): Generator<void, DataMeta, undefined> {
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
  checkOutFolder(outDir, opts);
  // the topmost folder this call creates (mkdir -p may create parents too), removed on failure
  let created: string | null = null;
  for (let d = outDir; !existsSync(d); d = dirname(d)) created = d;
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new ScratchError(fileErrorMessage(outDir, e, 'folder', 'create'));
  }
  try {
    return yield* prepareInto(paths, outDir, opts, trainFraction, total);
  } catch (e) {
    if (created) rmSync(created, { recursive: true, force: true });
    if (e instanceof PrepareInterrupted && created) throw new PrepareInterrupted(`${outDir}: prepare interrupted; removed its temporary files and the folder ${created} it made`);
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

function* prepareInto(paths: readonly string[], outDir: string, opts: PrepareOptions, trainFraction: number, total: number): Generator<void, DataMeta, undefined> {
  const chunk = opts.chunkBytes ?? CHUNK;

  removeStaleTemps(outDir); // of an earlier prepare that was killed

  let tok: Tokenizer;
  if (opts.tokenizer === 'char') {
    const seen = new Set<string>();
    for (const { text: t } of streamText(paths, total, 'scanning characters', opts.onProgress, chunk)) {
      for (const ch of t) seen.add(ch);
      yield;
    }
    if (seen.size === 0) throw new ScratchError(`${paths.join(', ')}: no text to build a character tokenizer from`);
    tok = CharTokenizer.fromText([...seen].join(''));
  } else {
    tok = typeof opts.tokenizer === 'string' ? loadTokenizer(opts.tokenizer) : opts.tokenizer;
  }

  // all tokens into one temporary file, then split it (the count is known only at the end)
  const allPath = join(outDir, 'all.bin');
  const all = new TokenFileWriter(allPath, tok.vocabSize);
  let carry = '';
  const encode = (text: string) => all.append(tok.encode(text, { allowedSpecial: 'none' }));
  try {
    for (const { text: t, path, offset } of streamText(paths, total, 'tokenizing', opts.onProgress, chunk)) {
      yield;
      if (tok.kind === 'char') {
        encodeChars(tok, t, path, offset, encode);
        continue;
      }
      // BPE: encode up to a cut where the pre-tokenizer splits the same way as in the whole text
      carry += t;
      const at = safeCut(carry);
      if (at < 0 && carry.length < chunk * 4) continue;
      const end = at < 0 ? carry.length : at;
      encode(carry.slice(0, end));
      carry = carry.slice(end);
    }
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
    yield* copyRange(src, 0, nTrain, join(outDir, 'train.bin'));
    yield* copyRange(src, nTrain, n - nTrain, join(outDir, 'val.bin'));
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

function* copyRange(src: TokenFile, start: number, n: number, path: string): Generator<void, void, undefined> {
  const w = new TokenFileWriter(path, src.vocabSize);
  const buf = new Int32Array(1 << 20);
  try {
    for (let off = 0; off < n; off += buf.length) {
      const k = Math.min(buf.length, n - off);
      src.read(start + off, k, buf);
      w.append(buf.subarray(0, k));
      yield;
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

/**
 * Opens a data folder made by `npx scratchlm prepare`: its tokenizer and its train and val token
 * files, checked against each other.
 */
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
