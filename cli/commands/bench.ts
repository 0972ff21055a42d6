/** scratchlm bench train: median milliseconds per training step, tokens per second, a kernel profile. */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { BENCH_SHAPES, GENERATE_BENCH_SHAPES, ScratchError, benchGenerate, benchTrain, type BenchShape, type GenerateBenchShape } from '../../src/index.js';
import { BACKEND_OPTIONS, backendFromFlags } from '../backend-flags.js';

const HELP_GENERATE = `usage: scratchlm bench generate [--preset baby|gpt2] [--tokens N] [--prompt-tokens 16]
                                [--kernels ref|wasm|auto] [--threads T] [--json]

Times greedy generation at batch 1 through the KV cache on a model of the preset's shape with
random weights (gpt2: GPT-2 124M's shape, 12 layers, 12 heads, 768 wide, vocabulary 50,257,
block 1024): the prompt is prefilled once, then each token is one decode step. Prints the mean
ms per generated token (decode steps), the prefill time and the peak resident memory; --json
prints one JSON object (ms_per_token, median_ms, prefill_ms, tokens_per_s, peak_rss_mb, ...).
--tokens defaults to the block size less the prompt, at most 128.`;

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

async function runGenerate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...BACKEND_OPTIONS,
      preset: { type: 'string', default: 'baby' },
      tokens: { type: 'string' },
      'prompt-tokens': { type: 'string', default: '16' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP_GENERATE);
    return 0;
  }
  if (!(values.preset! in GENERATE_BENCH_SHAPES)) throw new ScratchError(`--preset must be one of ${Object.keys(GENERATE_BENCH_SHAPES).join(', ')}, got '${values.preset}'`);
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isInteger(n)) throw new ScratchError(`--${name} must be a whole number, got '${v}'`);
    return n;
  };
  const backend = await backendFromFlags(values);
  const r = benchGenerate({ preset: values.preset as GenerateBenchShape, backend, tokens: int('tokens', values.tokens), promptTokens: int('prompt-tokens', values['prompt-tokens']),
    cpuNow: () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    },
  });
  const peakMb = peakRss() / 2 ** 20;
  const weightsMb = r.weight_bytes / 2 ** 20;
  if (values.json) {
    console.log(JSON.stringify({ ...r, peak_rss_mb: Math.round(peakMb), weights_mb: Math.round(weightsMb) }));
    return 0;
  }
  console.log(
    `${r.preset}: ${r.ms_per_token.toFixed(2)} ms/token (median ${r.median_ms.toFixed(2)}), ${r.tokens_per_s.toFixed(1)} tokens/s over ${r.tokens} tokens after a ${r.prompt_tokens}-token prompt ` +
      `(prefill ${r.prefill_ms.toFixed(1)} ms; processor time ${r.cpu_ms_per_token!.toFixed(2)} ms/token; kernels ${r.kernels}, ${r.threads} thread${r.threads > 1 ? 's' : ''}); peak RSS ${peakMb.toFixed(0)} MiB = ${(peakMb / weightsMb).toFixed(2)} x the fp32 weights (${weightsMb.toFixed(0)} MiB)`,
  );
  return 0;
}

const HELP = `usage: scratchlm bench train [--preset baby|shakespeare] [--iters N] [--warmup N] [--dropout P]
                             [--kernels ref|wasm|auto] [--threads T] [--profile] [--json]

Times full training steps (forward, backward, gradient clipping, AdamW) on random tokens and
prints the median ms per step after warm-up and tokens/s. --dropout P (default 0) trains with
dropout P, as the shakespeare preset's 0.2; --profile adds the time per kernel; --json prints one
JSON object (ms_per_iter, tokens_per_s, peak_rss_mb, ...).

scratchlm bench generate --help: time per generated token through the KV cache.`;

export async function run(args: string[]): Promise<number> {
  if (args[0] === 'generate') return runGenerate(args.slice(1));
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
