/** scratchlm export --run RUN --hf DIR: a run's model as a Hugging Face GPT-2 folder. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BpeTokenizer, loadRun, refBackend, saveHfGpt2, ScratchError, toHuggingFace, formatTokenizerJSON, writeAtomic } from '../../src/index.js';

const HELP = `usage: scratchlm export --run <run folder> --hf <folder> [--checkpoint best|latest] [--force]

Writes the run's model (its best checkpoint by default) as a Hugging Face GPT-2 folder:
  config.json, model.safetensors   GPT2LMHeadModel's config and weights (PyTorch loads them with
                                   safetensors alone; transformers' from_pretrained reads them too)
  tokenizer.json                   the run's tokenizer (Hugging Face's format for BPE, scratchlm's for char)
scratchlm reads the folder back: --init-from, sample and eval take it. The folder must be new or
empty, or hold an earlier export (--force replaces it).`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { run: { type: 'string' }, hf: { type: 'string' }, checkpoint: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.run || !values.hf) {
    console.error(`scratchlm export: expected --run and --hf\n${HELP}`);
    return 1;
  }
  const ck = values.checkpoint;
  if (ck !== undefined && ck !== 'best' && ck !== 'latest') throw new ScratchError(`--checkpoint must be best or latest, got '${ck}'`);
  const out = values.hf;
  if (existsSync(out)) {
    const names = readdirSync(out);
    const ours = names.every((n) => /^(config\.json|model\.safetensors|tokenizer\.json)$/.test(n));
    if (names.length && (!ours || !values.force)) {
      throw new ScratchError(`${out} is not empty (it holds ${names.slice(0, 3).join(', ')}); ${ours ? 'pass --force to replace the export there' : 'choose a new or empty --hf folder'}`);
    }
  }
  const r = loadRun(values.run, { backend: refBackend, checkpoint: ck });
  if (r.notice) console.error(`scratchlm: ${values.run}: ${r.notice}`);
  saveHfGpt2(r.model, out);
  const tok = r.tokenizer;
  writeAtomic(join(out, 'tokenizer.json'), tok instanceof BpeTokenizer ? JSON.stringify(toHuggingFace(tok)) + '\n' : formatTokenizerJSON(tok));
  const c = r.config.model;
  console.log(`${out}: GPT-2 with ${c.nLayer} layers, ${c.nHead} heads, ${c.nEmbd} wide, context ${c.blockSize}, ${c.vocabSize} ids, from ${values.run} (${r.checkpoint} checkpoint, step ${r.meta.step})`);
  return 0;
}
