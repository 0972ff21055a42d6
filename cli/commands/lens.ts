/** scratchlm lens --run RUN --prompt TEXT [--json] */
import { logitLens } from '../../src/index.js';
import { defineCommand } from '../args.js';
import { json, openCommand, printNotes, q, RUN_FLAGS } from '../inspect-run.js';

export const spec = defineCommand({
  name: 'lens',
  summary: 'Logit lens: the most likely next token read from the residual stream after every layer.',
  flags: {
    prompt: { type: 'string', value: 'TEXT', doc: 'the text before the next token' },
    top: { type: 'int', min: 1, value: 'N', default: 5, doc: 'tokens shown per layer' },
    ...RUN_FLAGS,
  },
  description: "Read after the embedding and after every block, through the model's own final norm and LM head. --json prints {\"prompt\", \"layers\": [{\"name\", \"token\", \"prob\", \"top\"}]}.",
  examples: ['npx scratchlm lens --run runs/brown --prompt "The United"'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const o = await openCommand(spec, args, 'prompt');
  if (!o) return 0;
  const { v, r, text: prompt } = o;
  const res = logitLens(r.model, r.tokenizer, prompt, { top: v.top });
  printNotes(res.notes);
  if (v.json) return json(res), 0;
  console.log(`next token after ${q(res.prompt)}, layer by layer:`);
  for (const l of res.layers) console.log(`  ${l.name.padEnd(16)} ${q(l.token).padEnd(12)} ${l.prob.toFixed(4)}   then ${l.top.slice(1).map((t) => `${q(t.token)} ${t.prob.toFixed(3)}`).join(', ')}`);
  return 0;
}
