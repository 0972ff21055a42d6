/** scratchlm export --run RUN --hf DIR: a run's model as a Hugging Face GPT-2 folder. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BpeTokenizer, loadRun, refBackend, saveHfGpt2, ScratchError, toHuggingFace, formatTokenizerJSON, writeAtomic } from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';

export const spec = defineCommand({
  name: 'export',
  args: '--run DIR --hf DIR',
  summary: "Writes a run's model (its best checkpoint by default) as a Hugging Face GPT-2 folder: config.json and model.safetensors (GPT2LMHeadModel's; PyTorch loads them with safetensors alone, transformers' from_pretrained too) and tokenizer.json (Hugging Face's format for BPE, scratchlm's for char).",
  flags: {
    run: { type: 'string', value: 'DIR', doc: 'a run folder (made by train --out)' },
    hf: { type: 'string', value: 'DIR', doc: 'the folder to write: new or empty, or an earlier export (with --force)' },
    checkpoint: { type: 'string', choices: ['best', 'latest'], value: 'best|latest', doc: 'which checkpoint (default: best when there is one)' },
    force: { type: 'boolean', doc: 'replace an earlier export in --hf (a folder with other files is always refused)' },
  },
  description: 'scratchlm reads the folder back: train --init-from, sample and eval take it.',
  examples: ['npx scratchlm export --run runs/brown --hf hf/brown'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const values = p.values;
  if (!values.run || !values.hf) throw new ScratchError('export needs --run <run folder> and --hf <folder>, e.g. npx scratchlm export --run runs/brown --hf hf/brown');
  const ck = values.checkpoint as 'best' | 'latest' | undefined;
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
  console.log(`${out}: GPT-2 with ${c.nLayer} layers, ${c.nHead} heads, ${c.nEmbd} wide, context ${c.blockSize}, ${c.vocabSize} ids, from ${values.run} (${r.checkpoint} checkpoint, step ${r.step})`);
  return 0;
}
