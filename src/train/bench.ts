/**
 * The training-step benchmark behind `scratchlm bench train`: random tokens, one full step
 * (forward, backward, clip, AdamW) repeated; the median after warm-up, and where the time goes.
 */
import { Rng } from '../core/rng.js';
import type { Backend } from '../kernels/types.js';
import { GPT } from '../model/gpt.js';
import type { GPTConfig } from '../model/config.js';
import { AdamW } from './adamw.js';
import { median, profiledBackend, type KernelProfile } from './profile.js';
import { trainStep } from './step.js';

/** The shapes of issue 5's table: nanoGPT's baby run and a shakespeare_char step at batch 12. */
export const BENCH_SHAPES = {
  baby: { model: { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, bias: false, dropout: 0 }, batchSize: 12 },
  shakespeare: { model: { vocabSize: 65, blockSize: 256, nLayer: 6, nHead: 6, nEmbd: 384, bias: false, dropout: 0 }, batchSize: 12 },
} as const satisfies Record<string, { model: Partial<GPTConfig>; batchSize: number }>;

/** A preset name `npx scratchlm bench train` knows. */
export type BenchShape = keyof typeof BENCH_SHAPES;

/** What `benchTrain` measured (the fields of `bench train --json`). */
export interface BenchResult {
  preset: string;
  dropout: number;
  kernels: string;
  threads: number;
  iters: number;
  ms_per_iter: number;
  tokens_per_s: number;
  /** Every timed step, in ms. */
  samples: number[];
  /** Milliseconds per step spent in each kernel (from one extra profiled step set). */
  profile?: Record<string, { calls: number; ms: number }>;
}

/** `dropout` > 0 trains in training mode with that dropout (the real presets' 0.2), else without. */
export function benchTrain(opts: { preset: BenchShape; backend: Backend; iters: number; warmup?: number; profile?: boolean; dropout?: number }): BenchResult {
  const shape = BENCH_SHAPES[opts.preset];
  const B = shape.batchSize;
  const T = shape.model.blockSize;
  const prof = opts.profile ? profiledBackend(opts.backend) : null;
  const backend = prof ? prof.backend : opts.backend;
  const dropout = opts.dropout ?? 0;
  const model = new GPT({ ...shape.model, dropout }, { backend, rng: new Rng(1) });
  if (dropout > 0) model.train(new Rng(3));
  const opt = new AdamW(model.params.groups, backend, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
  const rng = new Rng(2);
  const idx = backend.allocI32(B * T);
  const targets = backend.allocI32(B * T);
  for (let i = 0; i < B * T; i++) {
    idx[i] = rng.int(shape.model.vocabSize);
    targets[i] = rng.int(shape.model.vocabSize);
  }
  const warmup = opts.warmup ?? 3;
  const samples: number[] = [];
  for (let i = 0; i < warmup + opts.iters; i++) {
    if (i === warmup) prof?.reset();
    const t0 = performance.now();
    trainStep(model, opt, [{ idx, targets }], B, T, 1e-3, 1.0);
    if (i >= warmup) samples.push(performance.now() - t0);
  }
  const ms = median(samples);
  const result: BenchResult = {
    preset: opts.preset,
    dropout,
    kernels: opts.backend.name,
    threads: opts.backend.threads,
    iters: opts.iters,
    ms_per_iter: ms,
    tokens_per_s: (B * T * 1000) / ms,
    samples,
  };
  if (prof) {
    result.profile = Object.fromEntries(
      Object.entries(prof.profile as KernelProfile)
        .filter(([, p]) => p.calls > 0)
        .map(([op, p]) => [op, { calls: p.calls / opts.iters, ms: p.ms / opts.iters }]),
    );
  }
  return result;
}
