/** scratchlm eval --run runs/x --data data/: loss and perplexity per split. */
import { parseArgs } from 'node:util';
import { evaluateRun, loadRun, ScratchError } from '../../src/index.js';
import { backendFromFlags, BACKEND_OPTIONS, memoryFor } from '../backend-flags.js';

const HELP = `usage: scratchlm eval --run <run folder> --data <data folder> [--batches N] [--seed S] [--checkpoint best|latest]

Mean cross-entropy loss and perplexity of the run's model on N seeded batches (default: the
run's evalIters) of each split.`;

export async function run(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...BACKEND_OPTIONS, run: { type: 'string' }, data: { type: 'string' }, batches: { type: 'string' }, seed: { type: 'string' }, checkpoint: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.run || !values.data) {
    console.error(`scratchlm eval: expected --run and --data\n${HELP}`);
    return 1;
  }
  const int = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < (name === 'seed' ? 0 : 1)) throw new ScratchError(`--${name} must be a whole number${name === 'seed' ? '' : ' ≥ 1'}, got '${v}'`);
    return n;
  };
  const ck = values.checkpoint;
  if (ck !== undefined && ck !== 'best' && ck !== 'latest') throw new ScratchError(`--checkpoint must be best or latest, got '${ck}'`);
  const backend = await backendFromFlags(values);
  const r = loadRun(values.run, { backend, checkpoint: ck });
  if (r.notice) console.error(`scratchlm: ${values.run}: ${r.notice}`);
  const res = evaluateRun(r, values.data, { batches: int('batches', values.batches), seed: int('seed', values.seed), availableMemory: memoryFor(backend).availableMemory });
  console.log(`${values.run} (${r.checkpoint} checkpoint, step ${r.meta.step})`);
  for (const split of ['train', 'val'] as const) console.log(`${split.padEnd(5)} loss ${res[split].loss.toFixed(4)}  perplexity ${res[split].perplexity.toFixed(2)}`);
  return 0;
}
