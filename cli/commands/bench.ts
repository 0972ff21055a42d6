/** scratchlm bench train: median milliseconds per training step, tokens per second, a kernel profile. */
import { readFileSync } from 'node:fs';
import { BENCH_SHAPES, GENERATE_BENCH_SHAPES, benchGenerate, benchTrain, type BenchShape, type GenerateBenchShape } from '../../src/index.js';
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

export const generateSpec = defineCommand({
  name: 'bench generate',
  summary: "Times greedy generation at batch 1 through the KV cache on a model of the preset's shape with random weights (gpt2: GPT-2 124M's shape): the prompt is prefilled once, then each token is one decode step; prints the mean ms per generated token, the prefill time and the peak resident memory.",
  flags: {
    ...BACKEND_FLAGS,
    preset: { type: 'string', choices: Object.keys(GENERATE_BENCH_SHAPES), value: Object.keys(GENERATE_BENCH_SHAPES).join('|'), default: 'baby', doc: 'model shape' },
    tokens: { type: 'int', min: 1, value: 'N', doc: 'tokens to generate (default: the block size less the prompt, at most 128)' },
    'prompt-tokens': { type: 'int', min: 1, value: 'N', default: 16, doc: 'prompt length' },
    json: { type: 'boolean', doc: 'print one JSON object (ms_per_token, median_ms, prefill_ms, tokens_per_s, peak_rss_mb, ...)' },
  },
  examples: ['npx scratchlm bench generate --preset gpt2 --tokens 64'],
});

/** The process's peak resident set in bytes (Linux's VmHWM; elsewhere the current RSS). */
function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss;
}

async function benchGenerateCommand(args: string[]): Promise<number> {
  const p = parseCommand(generateSpec, args);
  if (!p) return 0;
  const v = p.values;
  const backend = await backendFromFlags(v);
  const r = benchGenerate({ preset: v.preset as GenerateBenchShape, backend, tokens: v.tokens, promptTokens: v['prompt-tokens'],
    cpuNow: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    },
  });
  const peakMb = peakRss() / 2 ** 20;
  const weightsMb = r.weight_bytes / 2 ** 20;
  if (v.json) {
    console.log(JSON.stringify({ ...r, peak_rss_mb: Math.round(peakMb), weights_mb: Math.round(weightsMb) }));
    return 0;
  }
  console.log(
    `${r.preset}: ${r.ms_per_token.toFixed(2)} ms/token (median ${r.median_ms.toFixed(2)}), ${r.tokens_per_s.toFixed(1)} tokens/s over ${r.tokens} tokens after a ${r.prompt_tokens}-token prompt ` +
      `(prefill ${r.prefill_ms.toFixed(1)} ms; processor time ${r.cpu_ms_per_token!.toFixed(2)} ms/token; kernels ${r.kernels}, ${r.threads} thread${r.threads > 1 ? 's' : ''}); peak RSS ${peakMb.toFixed(0)} MiB = ${(peakMb / weightsMb).toFixed(2)} x the fp32 weights (${weightsMb.toFixed(0)} MiB)`,
  );
  return 0;
}

/** Benchmarks by name: add one here (its spec into `specs` too). */
const SUBS = { train: { spec: trainSpec, run: benchTrainCommand }, generate: { spec: generateSpec, run: benchGenerateCommand } };

export const specs = Object.values(SUBS).map((s) => s.spec);
export const run = subcommands('bench', SUBS);
