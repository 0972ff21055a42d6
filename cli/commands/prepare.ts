/** scratchlm prepare <text files...> --tokenizer char|gpt2|tok.json --out data/ */
import { parseArgs } from 'node:util';
import { prepareData } from '../../src/index.js';
import { ProgressOut } from '../progress.js';

const HELP = `usage: scratchlm prepare <text files...> --out <folder> [--tokenizer char|gpt2|FILE] [--train-fraction 0.9]

Tokenizes the text files (UTF-8, read as a stream, one after another) and writes into the folder:
  train.bin, val.bin   token ids (first 90 % of the tokens train, the rest val, as nanoGPT)
  tokenizer.json       the tokenizer ('char' is built from the files' characters)
  meta.json            counts and sources`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { tokenizer: { type: 'string', default: 'char' }, out: { type: 'string' }, 'train-fraction': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length === 0 || !values.out) {
    console.error(`scratchlm prepare: expected text files and --out\n${HELP}`);
    return 1;
  }
  const out = new ProgressOut(process.stderr);
  const frac = values['train-fraction'] !== undefined ? Number(values['train-fraction']) : undefined;
  const meta = prepareData(positionals, values.out, { tokenizer: values.tokenizer!, trainFraction: frac, onProgress: (p, d, t) => out.bytes(p, d, t) });
  out.end();
  console.log(`${values.out}: ${meta.train} train + ${meta.val} val tokens, ${meta.tokenizer} tokenizer with ${meta.vocabSize} ids`);
  return 0;
}
