/** The reference of Kernels.sampleRow: one temperature draw over a row of logits. */
import { expNonPositive } from '../../core/exp.js';
import type { SampleRowArgs } from '../types.js';

export function sampleRow({ logits, weights, V, invT, u }: SampleRowArgs): number {
  let max = -Infinity;
  let arg = 0;
  for (let i = 0; i < V; i++) {
    if (logits[i]! > max) {
      max = logits[i]!;
      arg = i;
    }
  }
  let sum = 0;
  for (let i = 0; i < V; i++) {
    const w = Math.fround(expNonPositive((logits[i]! - max) * invT));
    weights[i] = w;
    sum += w;
  }
  let r = u * sum;
  let last = -1;
  for (let i = 0; i < V; i++) {
    const p = weights[i]!;
    if (p > 0) last = i;
    r -= p;
    if (r < 0) return i;
  }
  return last >= 0 ? last : arg;
}
