/** scratchlm bench train: median milliseconds per training step, tokens per second, a kernel profile. */
import { parseArgs } from 'node:util';
import { BENCH_SHAPES, ScratchError, benchTrain, type BenchShape } from '../../src/index.js';
import { BACKEND_OPTIONS, backendFromFlags } from '../backend-flags.js';

const HELP = `usage: scratchlm bench train [--preset baby|shakespeare] [--iters N] [--warmup N] [--dropout P]
                             [--kernels ref|wasm|auto] [--threads T] [--profile] [--json]

Times full training steps (forward, backward, gradient clipping, AdamW) on random tokens and
prints the median ms per step after warm-up and tokens/s. --dropout P (default 0) trains with
dropout P, as the shakespeare preset's 0.2; --profile adds the time per kernel; --json prints one
JSON object (ms_per_iter, tokens_per_s, peak_rss_mb, ...).`;

export async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...BACKEND_OPTIONS,
      preset: { type: 'string', default: 'baby' },
      iters: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      dropout: { type: 'string', default: '0' },
      profile: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || positionals[0] !== 'train') {
    console.log(HELP);
    return values.help ? 0 : 1;
  }
  if (!(values.preset! in BENCH_SHAPES)) throw new ScratchError(`--preset must be one of ${Object.keys(BENCH_SHAPES).join(', ')}, got '${values.preset}'`);
  const iters = Number(values.iters);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(iters) || iters < 1) throw new ScratchError(`--iters must be a whole number ≥ 1, got '${values.iters}'`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new ScratchError(`--warmup must be a whole number ≥ 0, got '${values.warmup}'`);
  const dropout = Number(values.dropout);
  if (!(dropout >= 0 && dropout < 1)) throw new ScratchError(`--dropout must be a number in [0, 1), got '${values.dropout}'`);
  const backend = await backendFromFlags(values);
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const r = benchTrain({ preset: values.preset as BenchShape, backend, iters, warmup, profile: values.profile, dropout });
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const peakMb = peak / 2 ** 20;
  if (values.json) {
    console.log(JSON.stringify({ ...r, peak_rss_mb: Math.round(peakMb) }));
    return 0;
  }
  console.log(`${r.preset}${dropout > 0 ? ` with dropout ${dropout}` : ''}: ${r.ms_per_iter.toFixed(1)} ms/step, ${Math.round(r.tokens_per_s)} tokens/s (kernels ${r.kernels}, ${r.threads} thread${r.threads > 1 ? 's' : ''}, median of ${iters}), peak RSS ${peakMb.toFixed(0)} MiB`);
  if (r.profile) {
    const total = Object.values(r.profile).reduce((a, p) => a + p.ms, 0);
    for (const [op, p] of Object.entries(r.profile).sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`  ${op.padEnd(22)} ${p.ms.toFixed(2).padStart(9)} ms  ${((100 * p.ms) / total).toFixed(1).padStart(5)} %  (${p.calls} calls)`);
    }
  }
  return 0;
}
