/** scratchlm sample --run runs/x [--prompt ...]: stream a continuation to stdout. */
import { generateText, generateTexts, loadRun, readText, ScratchError, type TextSampleOptions } from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { backendFromFlags, BACKEND_FLAGS } from '../backend-flags.js';
import { stdoutClosed, writeOut } from '../output.js';

export const spec = defineCommand({
  name: 'sample',
  args: '--run DIR',
  summary: "Prints the prompt and streams the model's continuation (same seed, same text), through a KV cache.",
  flags: {
    run: { type: 'string', value: 'DIR', doc: 'a run folder (made by train --out) or a Hugging Face GPT-2 folder (config.json + model.safetensors)' },
    prompt: { type: 'string', multiple: true, value: 'TEXT', doc: 'the text to continue (repeatable; default: a newline for a character tokenizer, <|endoftext|> for GPT-2)' },
    'prompt-file': { type: 'string', value: 'FILE', doc: 'a UTF-8 file whose text is one more prompt' },
    'num-samples': { type: 'int', min: 1, max: 10000, value: 'N', default: 1, doc: 'samples per prompt (sample j uses seed + j)' },
    'max-tokens': { type: 'int', min: 1, value: 'N', default: 500, doc: 'tokens to generate per sample' },
    temperature: { type: 'number', value: 'T', doc: '0 is greedy (default 0.8)' },
    'top-k': { type: 'int', value: 'K', doc: 'keep the K most likely tokens' },
    'top-p': { type: 'number', value: 'P', doc: 'keep the most likely tokens whose probabilities add up to P' },
    'min-p': { type: 'number', value: 'P', doc: 'drop tokens less likely than P times the most likely one' },
    'repetition-penalty': { type: 'number', value: 'R', doc: 'divide (multiply, when negative) the logits of tokens already seen by R' },
    'presence-penalty': { type: 'number', value: 'X', doc: "subtract X from tokens generated so far (OpenAI's; -2 to 2)" },
    'frequency-penalty': { type: 'number', value: 'X', doc: "subtract X per time a token was generated (OpenAI's; -2 to 2)" },
    stop: { type: 'string', multiple: true, value: 'STR', doc: 'stop before STR (repeatable; \\n in STR is a newline)' },
    seed: { type: 'int', min: 0, max: 0xffffffff, value: 'S', doc: 'seed of the sampler (default 1337)' },
    logprobs: { type: 'int', value: 'N', doc: "with --json: each token's log-probability and the N most likely alternatives" },
    json: { type: 'boolean', doc: 'one JSON object per sample: {prompt, sample, text, tokens, finish_reason[, logprobs]}' },
    checkpoint: { type: 'string', choices: ['best', 'latest'], value: 'best|latest', doc: 'which checkpoint of a run (default: best when there is one)' },
    ...BACKEND_FLAGS,
  },
  description: 'Several prompts and/or --num-samples N generate all sequences together, one batched forward pass per token, and print each when done.',
  examples: ['npx scratchlm sample --run runs/brown --prompt "The " --max-tokens 200', 'npx scratchlm sample --run runs/brown --num-samples 3 --temperature 1'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const v = p.values;
  if (!v.run) throw new ScratchError('sample: expected --run <run folder or Hugging Face GPT-2 folder>, e.g. npx scratchlm sample --run runs/brown');
  const n = v['num-samples']!;
  const logprobs = v.logprobs;
  if (logprobs !== undefined && (logprobs < 0 || !v.json)) throw new ScratchError(logprobs < 0 ? `--logprobs must be ≥ 0, got ${logprobs}` : '--logprobs needs --json (the log-probabilities are printed as JSON)');
  const opts: TextSampleOptions = {
    maxTokens: v['max-tokens']!,
    temperature: v.temperature,
    topK: v['top-k'],
    topP: v['top-p'],
    minP: v['min-p'],
    repetitionPenalty: v['repetition-penalty'],
    presencePenalty: v['presence-penalty'],
    frequencyPenalty: v['frequency-penalty'],
    stop: v.stop?.map((s) => s.replace(/\\n/g, '\n')),
    seed: v.seed,
  };
  const prompts = [...(v.prompt ?? [])];
  if (v['prompt-file'] !== undefined) prompts.push(readText(v['prompt-file'], 'prompt file'));
  const backend = await backendFromFlags(v);
  const r = loadRun(v.run, { backend, checkpoint: v.checkpoint as 'best' | 'latest' | undefined, inference: true });
  if (r.notice) console.error(`scratchlm: ${v.run}: ${r.notice}`);
  if (prompts.length <= 1 && n === 1 && !v.json) {
    const gen = generateText(r.model, r.tokenizer, { ...opts, prompt: prompts[0] });
    // generateText has checked the options and the prompt by now: nothing is printed for bad ones
    if (prompts[0]) await writeOut(prompts[0]);
    for (const piece of gen) {
      await writeOut(piece);
      if (stdoutClosed()) return 0; // the reader went away (| head): stop generating
    }
    await writeOut('\n');
    return 0;
  }
  const all = prompts.length > 0 ? prompts : [''];
  const samples = generateTexts(r.model, r.tokenizer, { ...opts, prompts: all, n, logprobs });
  for (const s of samples) {
    if (v.json) {
      const o: Record<string, unknown> = { prompt: all[s.prompt], sample: s.sample, text: s.text, tokens: s.tokens, finish_reason: s.finishReason };
      if (s.logprobs) o.logprobs = s.logprobs;
      await writeOut(JSON.stringify(o) + '\n');
    } else await writeOut(`--- prompt ${s.prompt + 1}, sample ${s.sample + 1} (${s.finishReason}) ---\n${all[s.prompt]}${s.text}\n`);
    if (stdoutClosed()) return 0;
  }
  return 0;
}
