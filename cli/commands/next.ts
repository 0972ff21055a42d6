/** scratchlm next --run RUN --prompt TEXT [--top N] [--candidates " morning| elephant"] [--json] */
import { nextTokens, parseCandidates } from '../../src/index.js';
import { defineCommand } from '../args.js';
import { json, openCommand, printNotes, q, RUN_FLAGS } from '../inspect-run.js';

export const spec = defineCommand({
  name: 'next',
  summary: 'The most likely next tokens after a prompt, with probabilities; candidate continuations scored token by token.',
  flags: {
    prompt: { type: 'string', value: 'TEXT', doc: 'the text before the next token (longer than the block size: its last blockSize tokens)' },
    top: { type: 'int', min: 1, value: 'N', default: 10, doc: 'how many next tokens (clamped to the vocabulary)' },
    candidates: { type: 'string', value: 'TEXT|TEXT', doc: "continuations to score, separated by | (spaces kept): ' morning| elephant'" },
    ...RUN_FLAGS,
  },
  description: 'Each candidate (one or more tokens) gets its total log-probability with teacher forcing, its probability and the rank of its first token. --json prints {"prompt", "top": [{"token", "id", "prob"}], "candidates": [{"text", "logprob", "prob", "tokens", "rank"}]}.',
  examples: ['npx scratchlm next --run runs/brown --prompt "I drink coffee every" --candidates " morning| elephant"'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const o = await openCommand(spec, args, 'prompt');
  if (!o) return 0;
  const { v, r, text: prompt } = o;
  const res = nextTokens(r.model, r.tokenizer, prompt, { top: v.top, candidates: v.candidates !== undefined ? parseCandidates(v.candidates) : [] });
  printNotes(res.notes);
  if (v.json) return json(res), 0;
  console.log(`after ${q(res.prompt)} (${res.promptTokens} tokens):`);
  for (const t of res.top) console.log(`  ${t.prob.toFixed(4)}  ${q(t.token)}`);
  if (res.candidates.length) {
    console.log('candidates:');
    for (const c of res.candidates) console.log(`  ${q(c.text).padEnd(20)} prob ${c.prob.toExponential(3)}  logprob ${c.logprob.toFixed(3)}  first-token rank ${c.rank}  (${c.tokens.length} token${c.tokens.length === 1 ? '' : 's'})`);
  }
  return 0;
}
