/** scratchlm report --run RUN [--prompt TEXT]: RUN/report.html */
import { writeRunReport } from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { backendFromFlags } from '../backend-flags.js';
import { required, RUN_FLAGS } from '../inspect-run.js';

const { json: _json, ...FLAGS } = RUN_FLAGS;
void _json;

export const spec = defineCommand({
  name: 'report',
  summary: 'Write RUN/report.html: how a run learned, in one self-contained page.',
  flags: {
    prompt: { type: 'string', value: 'TEXT', doc: "the prompt of the heatmaps, logit lens and next-token table (default: the run's first probe)" },
    groups: { type: 'string', value: 'SPEC', doc: 'token groups for the cohesion score (the syntax of --groups in npx scratchlm embeddings --help)' },
    'sample-tokens': { type: 'int', min: 1, max: 100000, value: 'N', default: 300, doc: 'tokens of the sample at the end of the page' },
    ...FLAGS,
  },
  description: "Inline SVG, no network: the loss curves, the probes' probabilities over training, the embedding map over time with its cohesion, the attention heads' scores over time, heatmaps and the logit lens for a prompt, and a sample.",
  examples: ['npx scratchlm report --run runs/brown'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const v = p.values;
  const dir = required(v.run, 'run DIR', spec.examples[0]);
  const backend = await backendFromFlags({ kernels: v.kernels ?? 'ref', threads: v.threads });
  const path = writeRunReport(dir, { backend, checkpoint: v.checkpoint as 'best' | 'latest' | undefined, prompt: v.prompt, groups: v.groups, sampleTokens: v['sample-tokens'] });
  console.log(`wrote ${path}`);
  return 0;
}
