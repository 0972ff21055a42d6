/**
 * scratchlm tokenizer train|encode|decode: a thin shell over the tokenizer API.
 */
import { readFileSync } from 'node:fs';
import {
  CharTokenizer,
  ScratchError,
  decodeUtf8,
  loadTokenizer,
  readText,
  saveTokenizer,
  toHuggingFace,
  trainBpe,
  writeAtomic,

  type AllowedSpecial,
  type Tokenizer,
} from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { subcommands } from '../registry.js';

const TOKENIZER_DOC = "gpt2, char (built from --corpus FILE), a scratchlm tokenizer file, a Hugging Face tokenizer.json or a .tiktoken file";

export const trainSpec = defineCommand({
  name: 'tokenizer train',
  args: '<files...> --vocab-size N --out FILE',
  positionals: { min: 1, what: 'corpus files (UTF-8)' },
  summary: 'Learns a byte-level BPE from UTF-8 files and writes it atomically (scratchlm format, or Hugging Face tokenizer.json with --hf).',
  flags: {
    'vocab-size': { type: 'int', min: 1, value: 'N', doc: 'size of the vocabulary (256 bytes + merges + special tokens)' },
    out: { type: 'string', value: 'FILE', doc: 'the tokenizer file to write' },
    pattern: { type: 'string', value: 'gpt2|gpt4|REGEX', default: 'gpt2', doc: 'the pre-tokenizer pattern (chunks merges never cross)' },
    special: { type: 'string', multiple: true, value: 'TOKEN', doc: "a special token, e.g. '<|endoftext|>' (repeat for more)" },
    hf: { type: 'boolean', doc: 'write a Hugging Face tokenizer.json' },
  },
  examples: ['npx scratchlm tokenizer train corpus.txt --vocab-size 4096 --out tok.json'],
});

export const encodeSpec = defineCommand({
  name: 'tokenizer encode',
  args: '--tokenizer NAME [file]',
  positionals: { max: 1, what: 'file (default: stdin)' },
  summary: 'Reads the file or stdin and writes the ids as one JSON array to stdout.',
  flags: {
    tokenizer: { type: 'string', value: 'NAME|FILE', doc: TOKENIZER_DOC },
    corpus: { type: 'string', value: 'FILE', doc: 'the text a char tokenizer is built from' },
    'allowed-special': { type: 'string', value: 'all|none|none_raise|LIST', default: 'none_raise', doc: 'special tokens in the text: none_raise (an error), all, none (plain text) or a comma-separated list' },
  },
  examples: ['npx scratchlm tokenizer encode --tokenizer gpt2 input.txt'],
});

export const decodeSpec = defineCommand({
  name: 'tokenizer decode',
  args: '--tokenizer NAME [file]',
  positionals: { max: 1, what: 'file (default: stdin)' },
  summary: 'Reads a JSON array of ids from the file or stdin and writes the text to stdout.',
  flags: {
    tokenizer: { type: 'string', value: 'NAME|FILE', doc: TOKENIZER_DOC },
    corpus: { type: 'string', value: 'FILE', doc: 'the text a char tokenizer is built from' },
  },
  examples: ['npx scratchlm tokenizer decode --tokenizer gpt2 ids.json'],
});

const SUBS = { train: { spec: trainSpec, run: train }, encode: { spec: encodeSpec, run: encode }, decode: { spec: decodeSpec, run: decode } };
export const specs = Object.values(SUBS).map((x) => x.spec);
export const run = subcommands('tokenizer', SUBS);

function train(args: string[]): number {
  const p = parseCommand(trainSpec, args);
  if (!p) return 0;
  const v = p.values;
  if (v['vocab-size'] === undefined) throw new ScratchError('tokenizer train needs --vocab-size N (e.g. --vocab-size 4096)');
  if (!v.out) throw new ScratchError('tokenizer train needs --out FILE');
  const texts = p.positionals.map((f) => readText(f));
  const t0 = performance.now();
  const r = trainBpe(texts, v['vocab-size'], { pattern: v.pattern, specialTokens: v.special ?? [] });
  const secs = (performance.now() - t0) / 1000;
  if (v.hf) writeAtomic(v.out, JSON.stringify(toHuggingFace(r.tokenizer), null, 2) + '\n');
  else saveTokenizer(r.tokenizer, v.out);
  if (r.warning) console.error(`scratchlm: warning: ${r.warning}`);
  console.error(`trained ${r.merges} merges (vocabulary ${r.tokenizer.vocabSize}) in ${secs.toFixed(2)} s → ${v.out}`);
  return 0;
}

function readInput(file: string | undefined): string {
  return file === undefined ? decodeUtf8(readFileSync(0), 'stdin') : readText(file);
}

function resolveTokenizer(spec: string | undefined, corpus: string | undefined): Tokenizer {
  if (!spec) throw new ScratchError('--tokenizer is required: gpt2, char (with --corpus FILE) or a tokenizer file');
  if (spec === 'char') {
    if (!corpus) throw new ScratchError('--tokenizer char needs --corpus FILE: the character vocabulary is the set of characters in that file');
    return CharTokenizer.fromText(readText(corpus));
  }
  return loadTokenizer(spec);
}

function encode(args: string[]): number {
  const p = parseCommand(encodeSpec, args);
  if (!p) return 0;
  const tok = resolveTokenizer(p.values.tokenizer, p.values.corpus);
  const a = p.values['allowed-special']!;
  const allowed: AllowedSpecial = a === 'all' || a === 'none' || a === 'none_raise' ? a : new Set(a.split(','));
  const ids = tok.encode(readInput(p.positionals[0]), { allowedSpecial: allowed });
  process.stdout.write(JSON.stringify(ids) + '\n');
  return 0;
}

function decode(args: string[]): number {
  const p = parseCommand(decodeSpec, args);
  if (!p) return 0;
  const tok = resolveTokenizer(p.values.tokenizer, p.values.corpus);
  const source = p.positionals[0] ?? 'stdin';
  let ids: unknown;
  try {
    ids = JSON.parse(readInput(p.positionals[0]));
  } catch (e) {
    if (e instanceof ScratchError) throw e;
    throw new ScratchError(`${source}: expected a JSON array of token ids (${(e as Error).message})`);
  }
  if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) throw new ScratchError(`${source}: expected a JSON array of integer token ids`);
  process.stdout.write(tok.decode(ids as number[]));
  return 0;
}
