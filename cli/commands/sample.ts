/** scratchlm sample --run runs/x [--prompt ...]: stream a continuation to stdout. */
import { parseArgs } from 'node:util';
import { generateText, generateTexts, loadRun, ScratchError, type TextSampleOptions } from '../../src/index.js';
import { backendFromFlags, BACKEND_OPTIONS } from '../backend-flags.js';
import { stdoutClosed, writeOut } from '../output.js';

const HELP = `usage: scratchlm sample --run <run folder> [--prompt TEXT]... [--max-tokens 500] [--temperature 0.8]
                        [--top-k K] [--top-p P] [--min-p P] [--repetition-penalty R]
                        [--presence-penalty X] [--frequency-penalty X] [--stop STR]... [--seed 1337]
                        [--num-samples N] [--logprobs N] [--json]
                        [--checkpoint best|latest] [--kernels ref|wasm|auto] [--threads T]

Prints the prompt and streams the model's continuation (same seed, same text). The default
prompt is a newline (character tokenizer) or <|endoftext|> (GPT-2's). Generation runs through a
KV cache. Several --prompt flags and/or --num-samples N generate all sequences together, one
batched forward pass per token (sample j of each prompt uses seed + j), and print each when done.

  --temperature T         0 is greedy (default 0.8)
  --top-k K               keep the K most likely tokens
  --top-p P               keep the most likely tokens whose probabilities add up to P
  --min-p P               drop tokens less likely than P times the most likely one
  --repetition-penalty R  divide (multiply, when negative) the logits of tokens already seen by R
  --presence-penalty X    subtract X from tokens generated so far (OpenAI's; -2 to 2)
  --frequency-penalty X   subtract X per time a token was generated (OpenAI's; -2 to 2)
  --stop STR              stop before STR (repeatable; \\n in STR is a newline)
  --logprobs N            with --json: each token's log-probability and the N most likely alternatives
  --json                  one JSON object per sample: {prompt, sample, text, tokens, finish_reason[, logprobs]}`;

function num(name: string, v: string | undefined, int = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (int && !Number.isInteger(n))) throw new ScratchError(`--${name} must be ${int ? 'a whole number' : 'a number'}, got '${v}'`);
  return n;
}

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...BACKEND_OPTIONS,
      run: { type: 'string' },
      prompt: { type: 'string', multiple: true },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      'min-p': { type: 'string' },
      'repetition-penalty': { type: 'string' },
      'presence-penalty': { type: 'string' },
      'frequency-penalty': { type: 'string' },
      stop: { type: 'string', multiple: true },
      seed: { type: 'string' },
      'num-samples': { type: 'string' },
      logprobs: { type: 'string' },
      json: { type: 'boolean' },
      checkpoint: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.run) {
    console.error(`scratchlm sample: expected --run <run folder>\n${HELP}`);
    return 1;
  }
  const ck = values.checkpoint;
  if (ck !== undefined && ck !== 'best' && ck !== 'latest') throw new ScratchError(`--checkpoint must be best or latest, got '${ck}'`);
  const n = num('num-samples', values['num-samples'], true) ?? 1;
  if (n < 1) throw new ScratchError(`--num-samples must be ≥ 1, got ${n}`);
  const logprobs = num('logprobs', values.logprobs, true);
  if (logprobs !== undefined && (logprobs < 0 || !values.json)) throw new ScratchError(logprobs < 0 ? `--logprobs must be ≥ 0, got ${logprobs}` : '--logprobs needs --json (the log-probabilities are printed as JSON)');
  const opts: TextSampleOptions = {
    maxTokens: num('max-tokens', values['max-tokens'], true) ?? 500,
    temperature: num('temperature', values.temperature),
    topK: num('top-k', values['top-k'], true),
    topP: num('top-p', values['top-p']),
    minP: num('min-p', values['min-p']),
    repetitionPenalty: num('repetition-penalty', values['repetition-penalty']),
    presencePenalty: num('presence-penalty', values['presence-penalty']),
    frequencyPenalty: num('frequency-penalty', values['frequency-penalty']),
    stop: values.stop?.map((s) => s.replace(/\\n/g, '\n')),
    seed: num('seed', values.seed, true),
  };
  const prompts = values.prompt ?? [];
  const backend = await backendFromFlags(values);
  const r = loadRun(values.run, { backend, checkpoint: ck, inference: true });
  if (r.notice) console.error(`scratchlm: ${values.run}: ${r.notice}`);
  if (prompts.length <= 1 && n === 1 && !values.json) {
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
    if (values.json) {
      const o: Record<string, unknown> = { prompt: all[s.prompt], sample: s.sample, text: s.text, tokens: s.tokens, finish_reason: s.finishReason };
      if (s.logprobs) o.logprobs = s.logprobs;
      await writeOut(JSON.stringify(o) + '\n');
    } else await writeOut(`--- prompt ${s.prompt + 1}, sample ${s.sample + 1} (${s.finishReason}) ---\n${all[s.prompt]}${s.text}\n`);
    if (stdoutClosed()) return 0;
  }
  return 0;
}
