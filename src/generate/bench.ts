/**
 * `scratchlm bench generate`: milliseconds per generated token, greedy at batch 1, after a
 * 16-token prompt, on a model of a named shape with random weights (GPT-2's initialisation).
 * The prompt is prefilled once; every following token is one decode step through the KV cache.
 */
import { check } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Backend } from '../kernels/types.js';
import type { GPTConfig } from '../model/config.js';
import { GPT } from '../model/gpt.js';
import { DecodeEngine } from './engine.js';

/** The model shapes `npx scratchlm bench generate` times, by preset name. */
export const GENERATE_BENCH_SHAPES = {
  /** nanoGPT's baby model on characters. */
  baby: { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, bias: false, dropout: 0 },
  /** GPT-2 124M's shape. */
  gpt2: { vocabSize: 50257, blockSize: 1024, nLayer: 12, nHead: 12, nEmbd: 768, bias: true, dropout: 0 },
} as const satisfies Record<string, Partial<GPTConfig>>;

/** A preset name of GENERATE_BENCH_SHAPES. */
export type GenerateBenchShape = keyof typeof GENERATE_BENCH_SHAPES;

/** What `benchGenerate` measured (the fields of `bench generate --json`). */
export interface GenerateBenchResult {
  preset: string;
  kernels: string;
  threads: number;
  prompt_tokens: number;
  tokens: number;
  /** Mean time of the decode steps (every generated token after the first). */
  ms_per_token: number;
  /** Median decode step. */
  median_ms: number;
  /** The prompt's prefill, which also yields the first token. */
  prefill_ms: number;
  tokens_per_s: number;
  /**
   * Processor time (all threads) per decode step, when a `cpuNow` clock was given: on a machine
   * shared with other jobs it shows the work done, where wall time also counts waiting for a core.
   */
  cpu_ms_per_token?: number;
  /** Bytes of float32 weights. */
  weight_bytes: number;
}

/** Options of `benchGenerate`. */
export interface GenerateBenchOptions {
  preset: GenerateBenchShape;
  backend: Backend;
  /** Tokens to generate (default: up to the block size, at most 128). */
  tokens?: number;
  promptTokens?: number;
  /** A clock in milliseconds (default performance.now). */
  now?: () => number;
  /** This process's processor time in milliseconds (Node: process.cpuUsage), for cpu_ms_per_token. */
  cpuNow?: () => number;
}

/**
 * Times generation through the KV cache on a randomly initialised model of a preset's shape: ms per
 * token, prompt processing and peak memory.
 */
export function benchGenerate(o: GenerateBenchOptions): GenerateBenchResult {
  const cfg = GENERATE_BENCH_SHAPES[o.preset];
  const P = o.promptTokens ?? 16;
  check(Number.isInteger(P) && P >= 1, `--prompt-tokens must be a whole number ≥ 1, got ${o.promptTokens}`);
  const n = o.tokens ?? Math.max(2, Math.min(128, cfg.blockSize - P));
  check(Number.isInteger(n) && n >= 2, `--tokens must be a whole number ≥ 2, got ${o.tokens}`);
  const now = o.now ?? (() => performance.now());
  const model = new GPT(cfg, { backend: o.backend, rng: new Rng(1), inference: true });
  const rng = new Rng(2);
  const prompt = Array.from({ length: P }, () => rng.int(cfg.vocabSize));
  const engine = new DecodeEngine(model, { maxSequences: 1 });
  const cpu = o.cpuNow;
  let cpuMs = 0;
  const run = (tokens: number): { prefill: number; steps: number[] } => {
    engine.add({ prompt, maxTokens: tokens, sampling: { temperature: 0 } });
    const steps: number[] = [];
    let t0 = now();
    engine.step();
    const prefill = now() - t0;
    const c0 = cpu?.() ?? 0;
    while (engine.size > 0) {
      t0 = now();
      engine.step();
      steps.push(now() - t0);
    }
    cpuMs = (cpu?.() ?? 0) - c0;
    return { prefill, steps };
  };
  run(Math.min(4, n)); // warm-up: compiles, touches the cache
  const { prefill, steps } = run(n);
  const ms = steps.reduce((a, b) => a + b, 0) / steps.length;
  const sorted = [...steps].sort((a, b) => a - b);
  return {
    preset: o.preset,
    kernels: o.backend.name,
    threads: o.backend.threads,
    prompt_tokens: P,
    tokens: n,
    ms_per_token: ms,
    median_ms: sorted[Math.floor(sorted.length / 2)]!,
    prefill_ms: prefill,
    tokens_per_s: 1000 / ms,
    ...(cpu ? { cpu_ms_per_token: cpuMs / steps.length } : {}),
    weight_bytes: model.params.count * 4,
  };
}
