/** scratchlm prepare <text files...> --tokenizer char|gpt2|tok.json --out data/ */
import { prepareDataAsync, ScratchError } from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { ProgressOut } from '../progress.js';

export const spec = defineCommand({
  name: 'prepare',
  args: '<text files...> --out DIR',
  positionals: { min: 1, what: 'text files to tokenize' },
  summary: 'Tokenizes UTF-8 text files (read as a stream, one after another) into a data folder: train.bin and val.bin (token ids), tokenizer.json, meta.json.',
  flags: {
    out: { type: 'string', value: 'DIR', doc: 'the data folder to write (new or empty; a run folder is always refused)' },
    tokenizer: { type: 'string', value: 'char|gpt2|FILE|RUN', default: 'char', doc: "'char' (built from the files' characters), 'gpt2', a tokenizer file, or a run folder (its tokenizer)" },
    'train-fraction': { type: 'number', value: 'F', default: 0.9, doc: 'share of the tokens, from the start, that train (the rest validate)' },
    force: { type: 'boolean', doc: 'replace the data already prepared in --out (saying which runs trained on it), or write beside other files' },
  },
  description: 'Ctrl-C stops the prepare and removes what it wrote (a second Ctrl-C quits at once).',
  examples: ['npx scratchlm prepare input.txt --out data/mine --tokenizer char'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const v = p.values;
  if (!v.out) throw new ScratchError('prepare needs --out <folder> (where train.bin, val.bin and tokenizer.json go)');
  const out = new ProgressOut(process.stderr);
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
    meta = await prepareDataAsync(p.positionals, v.out, {
      tokenizer: v.tokenizer!,
      trainFraction: v['train-fraction'],
      force: v.force,
      onNotice: (m) => out.line(`prepare: ${m}`),
      onProgress: (ph, d, t) => out.bytes(ph, d, t),
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
  console.log(`${v.out}: ${meta.train} train + ${meta.val} val tokens, ${meta.tokenizer} tokenizer with ${meta.vocabSize} ids`);
  return 0;
}
