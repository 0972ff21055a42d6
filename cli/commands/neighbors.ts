/** scratchlm neighbors --run RUN --token TEXT [--top N] [--json] */
import { nearestTokens } from '../../src/index.js';
import { defineCommand } from '../args.js';
import { json, openCommand, printNotes, q, RUN_FLAGS } from '../inspect-run.js';

export const spec = defineCommand({
  name: 'neighbors',
  summary: 'The tokens whose embeddings are nearest to a token by cosine similarity.',
  flags: {
    token: { type: 'string', value: 'TEXT', doc: "one token of the run's vocabulary exactly (e.g. \"e\", or \" the\" with its space for GPT-2's)" },
    top: { type: 'int', min: 1, value: 'N', default: 10, doc: 'how many neighbours (clamped to the vocabulary)' },
    ...RUN_FLAGS,
  },
  description: 'A token not in the vocabulary gets a one-line error listing the closest spellings that are. --json prints {"token", "id", "neighbors": [{"token", "id", "cosine"}]}.',
  examples: ['npx scratchlm neighbors --run runs/brown --token e'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const o = await openCommand(spec, args, 'token');
  if (!o) return 0;
  const { v, r, text: token } = o;
  const res = nearestTokens(r.model, r.tokenizer, token, { top: v.top });
  printNotes(res.notes);
  if (v.json) return json(res), 0;
  console.log(`nearest to ${q(res.token)} (id ${res.id}):`);
  for (const n of res.neighbors) console.log(`  ${n.cosine.toFixed(4)}  ${q(n.token)}`);
  return 0;
}
