/** scratchlm sample --run runs/x [--prompt ...]: stream a continuation to stdout. */
import { parseArgs } from 'node:util';
import { generateText, loadRun, ScratchError } from '../../src/index.js';
import { backendFromFlags, BACKEND_OPTIONS } from '../backend-flags.js';
import { stdoutClosed, writeOut } from '../output.js';

const HELP = `usage: scratchlm sample --run <run folder> [--prompt TEXT] [--max-tokens 500] [--temperature 0.8]
                        [--top-k K] [--top-p P] [--seed 1337] [--checkpoint best|latest] [--kernels ref|wasm|auto]

Prints the prompt and streams the model's continuation (same seed, same text). The default
prompt is a newline (character tokenizer) or <|endoftext|> (GPT-2's).`;

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
      prompt: { type: 'string' },
      'max-tokens': { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
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
  const backend = await backendFromFlags(values);
  const r = loadRun(values.run, { backend, checkpoint: ck });
  if (r.notice) console.error(`scratchlm: ${values.run}: ${r.notice}`);
  const gen = generateText(r.model, r.tokenizer, {
    prompt: values.prompt,
    maxTokens: num('max-tokens', values['max-tokens'], true) ?? 500,
    temperature: num('temperature', values.temperature),
    topK: num('top-k', values['top-k'], true),
    topP: num('top-p', values['top-p']),
    seed: num('seed', values.seed, true),
  });
  // generateText has checked the options and the prompt by now: nothing is printed for bad ones
  if (values.prompt) await writeOut(values.prompt);
  for (const piece of gen) {
    await writeOut(piece);
    if (stdoutClosed()) return 0; // the reader went away (| head): stop generating
  }
  await writeOut('\n');
  return 0;
}
