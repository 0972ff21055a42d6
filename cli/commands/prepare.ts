/** scratchlm prepare <text files...> --tokenizer char|gpt2|tok.json --out data/ */
import { parseArgs } from 'node:util';
import { prepareDataAsync } from '../../src/index.js';
import { ProgressOut } from '../progress.js';

const HELP = `usage: scratchlm prepare <text files...> --out <folder> [--tokenizer char|gpt2|FILE] [--train-fraction 0.9] [--force]

Tokenizes the text files (UTF-8, read as a stream, one after another) and writes into the folder:
  train.bin, val.bin   token ids (first 90 % of the tokens train, the rest val, as nanoGPT)
  tokenizer.json       the tokenizer ('char' is built from the files' characters)
  meta.json            counts and sources
The folder must be new or empty; --force replaces the data already prepared there (saying so,
with the runs found that trained on it) or writes beside other files. A run folder is refused.`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { tokenizer: { type: 'string', default: 'char' }, out: { type: 'string' }, force: { type: 'boolean' }, 'train-fraction': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
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
  // Ctrl-C (or SIGTERM) stops between chunks and removes what the prepare wrote; twice quits at once
  let stop: string | null = null;
  const onSignal = (sig: string) => {
    if (stop) process.exit(sig === 'SIGINT' ? 130 : 143);
    stop = sig;
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  let meta;
  try {
    meta = await prepareDataAsync(positionals, values.out, {
      tokenizer: values.tokenizer!,
      trainFraction: frac,
      force: values.force,
      onNotice: (m) => out.line(`prepare: ${m}`),
      onProgress: (p, d, t) => out.bytes(p, d, t),
      shouldStop: () => stop !== null,
    });
  } catch (e) {
    out.end();
    if (stop) {
      console.error(`scratchlm: ${(e as Error).message} (${stop})`);
      return stop === 'SIGINT' ? 130 : 143;
    }
    throw e;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
  out.end();
  console.log(`${values.out}: ${meta.train} train + ${meta.val} val tokens, ${meta.tokenizer} tokenizer with ${meta.vocabSize} ids`);
  return 0;
}
