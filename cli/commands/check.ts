/** scratchlm check <fixture-dir>: compare the model with PyTorch's numbers. */
import { runFixtureCheck } from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { backendFromFlags, BACKEND_FLAGS } from '../backend-flags.js';

export const spec = defineCommand({
  name: 'check',
  args: '<fixture folder>',
  positionals: { min: 1, max: 1, what: 'one fixture folder' },
  summary: "Loads a fixture folder (config.json, model.safetensors, expected.safetensors, expected.json), runs the forward pass, backward pass, AdamW steps and greedy decoding, prints each quantity's largest error, and exits 1 when any is out of tolerance.",
  flags: { ...BACKEND_FLAGS, quiet: { type: 'boolean', doc: 'print only the quantities out of tolerance' } },
  examples: ['npx scratchlm check ../shared/fixtures/gpt2-tiny --kernels ref'],
});
export const specs = [spec];

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(spec, args);
  if (!p) return 0;
  const backend = await backendFromFlags(p.values);
  const report = runFixtureCheck(p.positionals[0]!, { backend });
  for (const r of report.rows) {
    if (p.values.quiet && r.ok) continue;
    const err = r.name === 'greedy' ? `${r.maxError} tokens differ` : `max error ${r.maxError.toExponential(2)}`;
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(36)} ${err}  (${(r.ratio * 100).toFixed(1)}% of tolerance)`);
  }
  const bad = report.rows.filter((r) => !r.ok).length;
  console.log(bad ? `${bad} of ${report.rows.length} quantities out of tolerance (kernels: ${backend.name})` : `all ${report.rows.length} quantities within tolerance (kernels: ${backend.name})`);
  return bad ? 1 : 0;
}
