/** scratchlm eval --run runs/x --data data/: loss and perplexity per split. */
import { evaluateRun, loadRun, ScratchError } from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { backendFromFlags, BACKEND_FLAGS, memoryFor } from '../backend-flags.js';

export const spec = defineCommand({
  name: 'eval',
  summary: "Mean cross-entropy loss and perplexity of a model on N seeded batches of each split of a data folder.",
  flags: {
    run: { type: 'string', value: 'DIR', doc: 'a run folder (made by train --out) or a Hugging Face GPT-2 folder (config.json + model.safetensors)' },
    data: { type: 'string', value: 'DIR', doc: "a data folder made by 'npx scratchlm prepare' with the model's tokenizer" },
    batches: { type: 'int', min: 1, value: 'N', doc: "batches per split (default: the run's evalIters)" },
    seed: { type: 'int', min: 0, max: 0xffffffff, value: 'S', doc: "seed of the batches (default: the run's seed)" },
    checkpoint: { type: 'string', choices: ['best', 'latest'], value: 'best|latest', doc: "which checkpoint of a run (default: best when there is one)" },
    ...BACKEND_FLAGS,
  },
  examples: ['npx scratchlm eval --run runs/x --data data/x'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const v = p.values;
  if (!v.run || !v.data) throw new ScratchError(`eval needs --run <run folder> and --data <data folder>, e.g. npx scratchlm eval --run runs/x --data data/x`);
  const backend = await backendFromFlags(v);
  const r = loadRun(v.run, { backend, checkpoint: v.checkpoint as 'best' | 'latest' | undefined });
  if (r.notice) console.error(`scratchlm: ${v.run}: ${r.notice}`);
  const res = evaluateRun(r, v.data, { batches: v.batches, seed: v.seed, availableMemory: memoryFor(backend).availableMemory });
  console.log(`${v.run} (${r.checkpoint === 'hf' ? 'Hugging Face GPT-2 folder' : `${r.checkpoint} checkpoint, step ${r.step}`})`);
  for (const split of ['train', 'val'] as const) console.log(`${split.padEnd(5)} loss ${res[split].loss.toFixed(4)}  perplexity ${res[split].perplexity.toFixed(2)}`);
  return 0;
}
