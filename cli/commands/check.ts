/** scratchlm check <fixture-dir>: compare the model with PyTorch's numbers. */
import { parseArgs } from 'node:util';
import { runFixtureCheck } from '../../src/index.js';
import { backendFromFlags, BACKEND_OPTIONS } from '../backend-flags.js';

const HELP = `usage: scratchlm check <fixture-dir> [--kernels ref|wasm|auto] [--threads N] [--quiet]

Loads a fixture folder (config.json, model.safetensors, expected.safetensors, expected.json),
runs the forward pass, backward pass, AdamW steps and greedy decoding, prints each quantity's
largest error, and exits 1 when any is out of tolerance.`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...BACKEND_OPTIONS, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`scratchlm check: expected one fixture folder\n${HELP}`);
    return 1;
  }
  const backend = await backendFromFlags(values);
  const report = runFixtureCheck(positionals[0], { backend });
  for (const r of report.rows) {
    if (values.quiet && r.ok) continue;
    const err = r.name === 'greedy' ? `${r.maxError} tokens differ` : `max error ${r.maxError.toExponential(2)}`;
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.name.padEnd(36)} ${err}  (${(r.ratio * 100).toFixed(1)}% of tolerance)`);
  }
  const bad = report.rows.filter((r) => !r.ok).length;
  console.log(bad ? `${bad} of ${report.rows.length} quantities out of tolerance (kernels: ${backend.name})` : `all ${report.rows.length} quantities within tolerance (kernels: ${backend.name})`);
  return bad ? 1 : 0;
}
