/** scratchlm bench train: median milliseconds per training step, tokens per second, a kernel profile. */
import { BENCH_SHAPES, benchTrain, type BenchShape } from '../../src/index.js';
import { defineCommand, parseCommand } from '../args.js';
import { BACKEND_FLAGS, backendFromFlags } from '../backend-flags.js';
import { subcommands } from '../registry.js';

export const trainSpec = defineCommand({
  name: 'bench train',
  summary: 'Times full training steps (forward, backward, gradient clipping, AdamW) on random tokens; prints the median ms per step after warm-up and tokens/s.',
  flags: {
    ...BACKEND_FLAGS,
    preset: { type: 'string', choices: Object.keys(BENCH_SHAPES), value: Object.keys(BENCH_SHAPES).join('|'), default: 'baby', doc: 'model and batch shape' },
    iters: { type: 'int', min: 1, value: 'N', default: 20, doc: 'timed steps' },
    warmup: { type: 'int', min: 0, value: 'N', default: 3, doc: 'untimed steps first' },
    dropout: { type: 'number', min: 0, max: 0.999999, value: 'P', default: 0, doc: "train with dropout P (the shakespeare preset's 0.2)" },
    profile: { type: 'boolean', doc: 'add the time per kernel' },
    json: { type: 'boolean', doc: 'print one JSON object (ms_per_iter, tokens_per_s, peak_rss_mb, ...)' },
  },
  examples: ['npx scratchlm bench train --preset baby --threads 2 --profile'],
});

async function benchTrainCommand(args: string[]): Promise<number> {
  const p = parseCommand(trainSpec, args);
  if (!p) return 0;
  const v = p.values;
  const dropout = v.dropout!;
  const backend = await backendFromFlags(v);
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const r = benchTrain({ preset: v.preset as BenchShape, backend, iters: v.iters!, warmup: v.warmup!, profile: v.profile, dropout });
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const peakMb = peak / 2 ** 20;
  if (v.json) {
    console.log(JSON.stringify({ ...r, peak_rss_mb: Math.round(peakMb) }));
    return 0;
  }
  console.log(`${r.preset}${dropout > 0 ? ` with dropout ${dropout}` : ''}: ${r.ms_per_iter.toFixed(1)} ms/step, ${Math.round(r.tokens_per_s)} tokens/s (kernels ${r.kernels}, ${r.threads} thread${r.threads > 1 ? 's' : ''}, median of ${v.iters}), peak RSS ${peakMb.toFixed(0)} MiB`);
  if (r.profile) {
    const total = Object.values(r.profile).reduce((a, q) => a + q.ms, 0);
    for (const [op, q] of Object.entries(r.profile).sort((a, b) => b[1].ms - a[1].ms)) {
      console.log(`  ${op.padEnd(22)} ${q.ms.toFixed(2).padStart(9)} ms  ${((100 * q.ms) / total).toFixed(1).padStart(5)} %  (${q.calls} calls)`);
    }
  }
  return 0;
}

/** Benchmarks by name: add one here (its spec into `specs` too). */
const SUBS = { train: { spec: trainSpec, run: benchTrainCommand } };

export const specs = Object.values(SUBS).map((s) => s.spec);
export const run = subcommands('bench', SUBS);
