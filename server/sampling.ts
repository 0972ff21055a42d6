/**
 * Sampling one token from a row of logits with OpenAI's and llama.cpp's settings, and the
 * log-probabilities to report. (Used by the recompute engine; the batched engine of
 * src/generate/ brings its own.)
 */
import type { Rng } from '../src/index.js';
import type { SamplingSettings, TokenOut } from './engine.js';

/** log-softmax of one entry, in float64. */
export function logSoftmaxAt(row: ArrayLike<number>, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  return row[id] - max - Math.log(sum);
}

/** The n largest entries (index, value), largest first, ties to the lower index. O(V·n) for small n. */
export function largest(row: ArrayLike<number>, n: number): { id: number; v: number }[] {
  const out: { id: number; v: number }[] = [];
  if (n <= 0) return out;
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (out.length === n && v <= out[n - 1].v) continue;
    let j = out.length < n ? out.length : n - 1;
    if (out.length < n) out.push({ id: i, v });
    else out[j] = { id: i, v };
    while (j > 0 && out[j - 1].v < v) {
      [out[j - 1], out[j]] = [out[j], out[j - 1]];
      j--;
    }
  }
  return out;
}

export function topLogprobs(row: ArrayLike<number>, n: number): { id: number; logprob: number }[] {
  if (n <= 0) return [];
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  const lse = max + Math.log(sum);
  return largest(row, n).map(({ id, v }) => ({ id, logprob: v - lse }));
}

/**
 * Penalties (vLLM's rules: presence and frequency over the generated tokens, repetition over
 * prompt and generated), then greedy or temperature → top-k → min-p → top-p → draw.
 */
export function pickToken(raw: Float32Array, s: SamplingSettings, rng: Rng, counts: ReadonlyMap<number, number>, context: readonly number[]): TokenOut {
  const logits = Float64Array.from(raw);
  if (s.repetitionPenalty !== 1) {
    for (const id of new Set(context)) logits[id] = logits[id] > 0 ? logits[id] / s.repetitionPenalty : logits[id] * s.repetitionPenalty;
  }
  if (s.presencePenalty !== 0 || s.frequencyPenalty !== 0) {
    for (const [id, c] of counts) logits[id] -= s.presencePenalty + s.frequencyPenalty * c;
  }
  let id: number;
  if (s.temperature === 0) id = largest(logits, 1)[0].id;
  else {
    const V = logits.length;
    let cand = s.topK > 0 && s.topK < V ? largest(logits, s.topK) : Array.from(logits, (v, i) => ({ id: i, v })).sort((a, b) => b.v - a.v || a.id - b.id);
    const max = cand[0].v;
    let p = cand.map((c) => Math.exp((c.v - max) / s.temperature));
    if (s.minP > 0) {
      const keep = p.findIndex((x) => x < s.minP); // p[0] is 1 (the largest), so min-p compares with minP · 1
      if (keep > 0) {
        cand = cand.slice(0, keep);
        p = p.slice(0, keep);
      }
    }
    if (s.topP < 1) {
      const total = p.reduce((a, b) => a + b, 0);
      let acc = 0;
      let k = 0;
      while (k < p.length) {
        acc += p[k++] / total;
        if (acc >= s.topP) break;
      }
      cand = cand.slice(0, k);
      p = p.slice(0, k);
    }
    const total = p.reduce((a, b) => a + b, 0);
    let r = rng.random() * total;
    id = cand[cand.length - 1].id;
    for (let i = 0; i < p.length; i++) {
      r -= p[i];
      if (r < 0) {
        id = cand[i].id;
        break;
      }
    }
  }
  return { id, logprob: logSoftmaxAt(raw, id), top: topLogprobs(raw, s.logprobs) };
}
