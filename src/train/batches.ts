/**
 * Batches as nanoGPT's get_batch: B random windows of T + 1 tokens; inputs are the first T,
 * targets the last T. The windows come from a seeded generator whose state is the data position
 * saved in checkpoints. Evaluation draws from its own generator, seeded from (seed, step, split),
 * so it never disturbs the training stream.
 */
import { ScratchError } from '../core/errors.js';
import { Rng } from '../core/rng.js';

/** Somewhere tokens can be read from (a token file). */
export interface TokenSource {
  readonly path: string;
  readonly count: number;
  read(start: number, n: number, out: Int32Array, outOffset?: number): void;
}

/** A batch as the model takes it: input ids and the ids that follow each (the same names as forward's). */
export interface Batch {
  idx: Int32Array; // (B, T)
  targets: Int32Array; // (B, T)
}

/** Fails with advice when a split has no window of T + 1 tokens. */
export function checkBlockFits(src: TokenSource, T: number, split: string, advice = 'use a smaller --block-size or more text'): void {
  if (src.count < T + 1) {
    throw new ScratchError(`block size ${T} needs windows of ${T + 1} tokens, but the ${split} data has ${src.count} (${src.path}); ${advice}`);
  }
}

/** Fills a batch of B windows with starts drawn from rng. */
export function getBatch(src: TokenSource, B: number, T: number, rng: Rng, out?: Batch): Batch {
  const x = out?.idx ?? new Int32Array(B * T);
  const y = out?.targets ?? new Int32Array(B * T);
  const win = new Int32Array(T + 1);
  const span = src.count - T; // nanoGPT: torch.randint(len(data) - block_size)
  for (let b = 0; b < B; b++) {
    const start = rng.int(span);
    src.read(start, T + 1, win);
    x.set(win.subarray(0, T), b * T);
    y.set(win.subarray(1), b * T);
  }
  return { idx: x, targets: y };
}

/** The generator for the evaluation batches of one split at one step. */
export function evalRng(seed: number, step: number, split: 'train' | 'val'): Rng {
  return new Rng((Math.imul(seed ^ 0x5bd1e995, 31) + Math.imul(step + 1, 0x9e3779b1) + (split === 'val' ? 0x632be5ab : 0)) >>> 0);
}
