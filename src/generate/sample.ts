/**
 * Text generation: pick the next token from logits (greedy, temperature, top-k, top-p) and
 * extend a prompt one token at a time, cropping the context to the model's block size.
 * (Full recompute each step; a KV cache comes with the generation issue.)
 */
import { check } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { GPT } from '../model/gpt.js';
import { noGrad } from '../tensor/tensor.js';

export interface SampleOptions {
  /** 0 means greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: all). */
  topK?: number;
  /** Keep the smallest set of tokens whose probability reaches p (1 or absent: all). */
  topP?: number;
  /** Needed unless greedy. */
  rng?: Rng;
}

export function validateSampleOptions(o: SampleOptions): void {
  const t = o.temperature ?? 1;
  check(Number.isFinite(t) && t >= 0, `temperature must be ≥ 0 (0 is greedy), got ${t}`);
  if (o.topK !== undefined) check(Number.isInteger(o.topK) && o.topK >= 1, `top-k must be a whole number ≥ 1 (leave it out to keep every token), got ${o.topK}`);
  if (o.topP !== undefined) check(o.topP > 0 && o.topP <= 1, `top-p must be in (0, 1], got ${o.topP}`);
}

/** Index of the largest value; the first one on ties (as torch.argmax). */
export function argmax(x: ArrayLike<number>, start = 0, n = x.length - start): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[start + i];
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/** Draws one token id from a row of logits. */
export function sampleFromLogits(logits: ArrayLike<number>, opts: SampleOptions = {}): number {
  const temperature = opts.temperature ?? 1;
  const V = logits.length;
  if (temperature === 0) return argmax(logits);
  check(opts.rng, 'sampling with a temperature above 0 needs a seeded random generator');
  // candidates sorted by logit, descending (stable on ties)
  let idx = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a] || a - b);
  if (opts.topK && opts.topK < V) idx = idx.slice(0, opts.topK);
  const max = logits[idx[0]];
  let probs = idx.map((i) => Math.exp((logits[i] - max) / temperature));
  let sum = probs.reduce((a, b) => a + b, 0);
  if (opts.topP !== undefined && opts.topP < 1) {
    let acc = 0;
    let keep = 0;
    while (keep < probs.length) {
      acc += probs[keep++] / sum;
      if (acc >= opts.topP) break;
    }
    idx = idx.slice(0, keep);
    probs = probs.slice(0, keep);
    sum = probs.reduce((a, b) => a + b, 0);
  }
  let r = opts.rng.random() * sum;
  for (let i = 0; i < probs.length; i++) {
    r -= probs[i];
    if (r < 0) return idx[i];
  }
  return idx[idx.length - 1];
}

/** Yields maxNewTokens new ids after the prompt, one at a time (streaming). */
export function* generate(model: GPT, prompt: readonly number[], maxNewTokens: number, opts: SampleOptions = {}): Generator<number> {
  validateSampleOptions(opts);
  check(prompt.length > 0, 'generation needs a prompt of at least one token');
  const ctx = [...prompt];
  const { blockSize } = model.config;
  for (let n = 0; n < maxNewTokens; n++) {
    const window = ctx.slice(-blockSize);
    const T = window.length;
    const next = model.backend.scope(() =>
      noGrad(() => {
        const idx = model.backend.allocI32(T); // in the backend's memory: fast kernels read only their own
        idx.set(window);
        const { logits } = model.forward(idx, 1, T, { lastOnly: true });
        return sampleFromLogits(logits.data, opts);
      }),
    );
    ctx.push(next);
    yield next;
  }
}
