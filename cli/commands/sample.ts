/** scratchlm sample --run runs/x [--prompt ...]: stream a continuation to stdout. */
import { generateText, loadRun, readText, ScratchError } from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { backendFromFlags, BACKEND_FLAGS } from '../backend-flags.js';
import { stdoutClosed, writeOut } from '../output.js';

export const spec = defineCommand({
  name: 'sample',
  args: '--run DIR',
  summary: "Prints the prompt and streams the model's continuation (same seed, same text).",
  flags: {
    run: { type: 'string', value: 'DIR', doc: 'a run folder (made by train --out) or a Hugging Face GPT-2 folder (config.json + model.safetensors)' },
    prompt: { type: 'string', value: 'TEXT', doc: 'the text to continue (default: a newline for a character tokenizer, <|endoftext|> for GPT-2)' },
    'prompt-file': { type: 'string', value: 'FILE', doc: 'read the prompt from a UTF-8 file instead' },
    'num-samples': { type: 'int', min: 1, max: 10000, value: 'N', default: 1, doc: 'samples to print, one after another (seeds S, S+1, ...), separated by a line of dashes' },
    'max-tokens': { type: 'int', min: 1, value: 'N', default: 500, doc: 'tokens to generate per sample' },
    temperature: { type: 'number', min: 0, value: 'T', default: 0.8, doc: 'sampling temperature (0: always the most likely token)' },
    'top-k': { type: 'int', min: 1, value: 'K', doc: 'sample among the K most likely tokens only' },
    'top-p': { type: 'number', value: 'P', doc: 'sample among the most likely tokens whose probabilities add up to P (nucleus)' },
    seed: { type: 'int', min: 0, max: 0xffffffff, value: 'S', default: 1337, doc: 'seed of the sampler' },
    checkpoint: { type: 'string', choices: ['best', 'latest'], value: 'best|latest', doc: 'which checkpoint of a run (default: best when there is one)' },
    ...BACKEND_FLAGS,
  },
  examples: ['npx scratchlm sample --run runs/brown --prompt "The " --max-tokens 200', 'npx scratchlm sample --run runs/brown --num-samples 3 --temperature 1'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const v = p.values;
  if (!v.run) throw new ScratchError('sample needs --run <run folder or Hugging Face GPT-2 folder>, e.g. npx scratchlm sample --run runs/brown');
  if (v.prompt !== undefined && v['prompt-file'] !== undefined) throw new ScratchError('give --prompt or --prompt-file, not both');
  const prompt = v['prompt-file'] !== undefined ? readText(v['prompt-file'], 'prompt file') : v.prompt;
  const backend = await backendFromFlags(v);
  const r = loadRun(v.run, { backend, checkpoint: v.checkpoint as 'best' | 'latest' | undefined });
  const n = v['num-samples']!;
  for (let i = 0; i < n; i++) {
    const gen = generateText(r.model, r.tokenizer, { prompt, maxTokens: v['max-tokens']!, temperature: v.temperature, topK: v['top-k'], topP: v['top-p'], seed: (v.seed! + i) >>> 0 });
    // generateText has checked the options and the prompt by now: nothing is printed for bad ones
    if (i > 0) await writeOut('---------------\n');
    if (prompt) await writeOut(prompt);
    for (const piece of gen) {
      await writeOut(piece);
      if (stdoutClosed()) return 0; // the reader went away (| head): stop generating
    }
    await writeOut('\n');
  }
  return 0;
}
