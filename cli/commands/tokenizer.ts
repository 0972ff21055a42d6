/**
 * scratchlm tokenizer train|encode|decode: a thin shell over the tokenizer API.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
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

const USAGE = `usage:
  scratchlm tokenizer train <files...> --vocab-size N --out tok.json [--pattern gpt2|gpt4|REGEX] [--special TOKEN]... [--hf]
  scratchlm tokenizer encode --tokenizer <gpt2|char|path> [--corpus FILE] [--allowed-special all|none|TOKEN,...] [file]
  scratchlm tokenizer decode --tokenizer <gpt2|char|path> [--corpus FILE] [file]

  train   learns a byte-level BPE from UTF-8 files and writes it atomically (scratchlm format,
          or Hugging Face tokenizer.json with --hf)
  encode  reads the file or stdin and writes the ids as one JSON array to stdout
  decode  reads a JSON array of ids from the file or stdin and writes the text to stdout
  --tokenizer gpt2 | char (built from --corpus FILE) | a scratchlm tokenizer file | a tokenizer.json | a .tiktoken file`;

export async function run(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h') {
    console.log(USAGE);
    return sub ? 0 : 1;
  }
  if (sub === 'train') return train(rest);
  if (sub === 'encode') return encode(rest);
  if (sub === 'decode') return decode(rest);
  throw new ScratchError(`unknown tokenizer command '${sub}' (expected train, encode or decode)`);
}

function train(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      'vocab-size': { type: 'string' },
      out: { type: 'string' },
      pattern: { type: 'string', default: 'gpt2' },
      special: { type: 'string', multiple: true, default: [] },
      hf: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0) throw new ScratchError('tokenizer train needs at least one corpus file');
  if (!values['vocab-size']) throw new ScratchError('tokenizer train needs --vocab-size N (e.g. --vocab-size 4096)');
  if (!values.out) throw new ScratchError('tokenizer train needs --out FILE');
  const size = Number(values['vocab-size']);
  if (!Number.isInteger(size) || size <= 0) throw new ScratchError(`--vocab-size must be a positive integer, got '${values['vocab-size']}'`);
  const texts = positionals.map((p) => readText(p));
  const t0 = performance.now();
  const r = trainBpe(texts, size, { pattern: values.pattern, specialTokens: values.special });
  const secs = (performance.now() - t0) / 1000;
  if (values.hf) writeAtomic(values.out, JSON.stringify(toHuggingFace(r.tokenizer), null, 2) + '\n');
  else saveTokenizer(r.tokenizer, values.out);
  if (r.warning) console.error(`scratchlm: warning: ${r.warning}`);
  console.error(`trained ${r.merges} merges (vocabulary ${r.tokenizer.vocabSize}) in ${secs.toFixed(2)} s → ${values.out}`);
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

const COMMON = {
  tokenizer: { type: 'string' },
  corpus: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function encode(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...COMMON, 'allowed-special': { type: 'string', default: 'none_raise' } },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new ScratchError('tokenizer encode reads one file (or stdin)');
  const tok = resolveTokenizer(values.tokenizer, values.corpus);
  const a = values['allowed-special'];
  const allowed: AllowedSpecial = a === 'all' || a === 'none' || a === 'none_raise' ? a : new Set(a.split(','));
  const ids = tok.encode(readInput(positionals[0]), { allowedSpecial: allowed });
  process.stdout.write(JSON.stringify(ids) + '\n');
  return 0;
}

function decode(args: string[]): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: COMMON });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new ScratchError('tokenizer decode reads one file (or stdin)');
  const tok = resolveTokenizer(values.tokenizer, values.corpus);
  const source = positionals[0] ?? 'stdin';
  let ids: unknown;
  try {
    ids = JSON.parse(readInput(positionals[0]));
  } catch (e) {
    if (e instanceof ScratchError) throw e;
    throw new ScratchError(`${source}: expected a JSON array of token ids (${(e as Error).message})`);
  }
  if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x))) throw new ScratchError(`${source}: expected a JSON array of integer token ids`);
  process.stdout.write(tok.decode(ids as number[]));
  return 0;
}

