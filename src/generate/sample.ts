/**
 * The simple entry points: pick one token from a row of logits, or stream the ids that continue a
 * prompt. Both go through the sampler (no sort of the vocabulary) and `generate` through the
 * KV-cache engine: the prompt runs once, then one position per step.
 */
import { check } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { GPT } from '../model/gpt.js';
import { DecodeEngine } from './engine.js';
import { Sampler, argmaxOf, validateSampling, type SamplingOptions } from './sampler.js';

/** Sampling options with the generator to draw from. */
export interface SampleOptions extends SamplingOptions {
  /** Needed unless greedy (takes the place of `seed`). */
  rng?: Rng;
}

/** Throws a ScratchError naming the first sampling option out of range. */
export function validateSampleOptions(o: SampleOptions): void {
  validateSampling(o);
}

/** Index of the largest value; the first one on ties (as torch.argmax). */
export function argmax(x: ArrayLike<number>, start = 0, n = x.length - start): number {
  return argmaxOf(x, n, start);
}

/** Draws one token id from a row of logits (a one-off sampler: penalties see no history). */
export function sampleFromLogits(logits: ArrayLike<number>, opts: SampleOptions = {}): number {
  if ((opts.temperature ?? 1) !== 0) check(opts.rng, 'sampling with a temperature above 0 needs a seeded random generator');
  return new Sampler(opts, logits.length).pick(logits);
}

/**
 * Yields maxNewTokens new ids after the prompt, one at a time (streaming), through the KV cache;
 * the same ids as recomputing the whole window every step (past the block size the window
 * slides and the cache is rebuilt).
 */
export function* generate(model: GPT, prompt: readonly number[], maxNewTokens: number, opts: SampleOptions = {}): Generator<number> {
  validateSampleOptions(opts);
  check(prompt.length > 0, 'generation needs a prompt of at least one token');
  if ((opts.temperature ?? 1) !== 0) check(opts.rng, 'sampling with a temperature above 0 needs a seeded random generator');
  if (maxNewTokens <= 0) return;
  const engine = new DecodeEngine(model, { maxSequences: 1 });
  const seq = engine.add({ prompt, maxTokens: maxNewTokens, sampling: opts });
  try {
    while (engine.size > 0) for (const ev of engine.step()) if (ev.token >= 0) yield ev.token;
  } finally {
    engine.cancel(seq); // a consumer that stops early hands the cache back
    if (engine.size > 0) engine.step();
  }
}
