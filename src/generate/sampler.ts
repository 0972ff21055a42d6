/**
 * Choosing the next token from a row of logits, without sorting the vocabulary: penalties touch
 * only the tokens seen so far; top-k, top-p and the log-probability alternatives use a partial
 * selection (a k-element heap over one pass, O(V log k)); plain sampling walks the vocabulary once.
 *
 * Order of the steps (Hugging Face's): repetition penalty, presence and frequency penalties →
 * temperature (0: greedy, the first largest) → top-k → top-p (over the top-k survivors,
 * renormalised) → min-p (relative to the most likely token) → one draw from the seeded generator.
 */
import { check } from '../core/errors.js';
import { expNonPositive } from '../core/exp.js';
import { Rng } from '../core/rng.js';
import { refKernels } from '../kernels/ref/index.js';
import type { Buf, Kernels } from '../kernels/types.js';

/**
 * How the next token is drawn from the logits: temperature, top-k, top-p, min-p, repetition penalty,
 * seed.
 */
export interface SamplingOptions {
  /** Softmax temperature; 0 is greedy (argmax). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (absent: all). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (absent or 1: all). */
  topP?: number;
  /** Drop tokens less likely than minP times the most likely one (absent or 0: none). */
  minP?: number;
  /**
   * CTRL's repetition penalty over the prompt and the tokens generated so far: a seen token's
   * logit is divided by it when positive, multiplied when negative. 1 (default) is off.
   */
  repetitionPenalty?: number;
  /** OpenAI's presence penalty: subtracted once from every token generated so far. In [-2, 2]. */
  presencePenalty?: number;
  /** OpenAI's frequency penalty: subtracted once per time a token was generated so far. In [-2, 2]. */
  frequencyPenalty?: number;
  /** Seed of this sequence's generator (default 1337); same seed, same tokens. */
  seed?: number;
  /** A generator to draw from instead of one seeded by `seed`. */
  rng?: Rng;
}

/** Checks sampling options; each problem is a one-line ScratchError naming the setting. */
export function validateSampling(o: SamplingOptions): void {
  const t = o.temperature ?? 1;
  check(Number.isFinite(t) && t >= 0, `temperature must be ≥ 0 (0 is greedy), got ${t}`);
  if (o.topK !== undefined) check(Number.isInteger(o.topK) && o.topK >= 1, `top-k must be a whole number ≥ 1 (leave it out to keep every token), got ${o.topK}`);
  if (o.topP !== undefined) check(o.topP > 0 && o.topP <= 1, `top-p must be in (0, 1], got ${o.topP}`);
  if (o.minP !== undefined) check(o.minP >= 0 && o.minP <= 1, `min-p must be in [0, 1], got ${o.minP}`);
  if (o.repetitionPenalty !== undefined) check(Number.isFinite(o.repetitionPenalty) && o.repetitionPenalty > 0, `repetition penalty must be a number > 0 (1 is off), got ${o.repetitionPenalty}`);
  for (const [name, v] of [['presence', o.presencePenalty], ['frequency', o.frequencyPenalty]] as const) {
    if (v !== undefined) check(Number.isFinite(v) && v >= -2 && v <= 2, `${name} penalty must be in [-2, 2] (0 is off), got ${v}`);
  }
  if (o.seed !== undefined) check(Number.isInteger(o.seed), `seed must be a whole number, got ${o.seed}`);
}

/** a ranks above b: larger value, or the same value and a smaller index (torch.argmax's tie rule). */
const above = (v: ArrayLike<number>, off: number, a: number, b: number): boolean => {
  const x = v[off + a]!;
  const y = v[off + b]!;
  return x > y || (x === y && a < b);
};

/**
 * The indices of the k largest of values[off .. off+n), largest first (ties: smaller index
 * first), by one pass with a k-element min-heap: O(n log k), no sort of the whole row.
 */
export function topIndices(values: ArrayLike<number>, k: number, n = values.length, off = 0): Int32Array {
  k = Math.max(0, Math.min(k, n));
  const heap = new Int32Array(k); // heap[0] is the worst of the best k so far
  let size = 0;
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) return;
      let w = l;
      if (l + 1 < size && above(values, off, heap[w]!, heap[l + 1]!)) w = l + 1;
      if (!above(values, off, heap[i]!, heap[w]!)) return;
      const t = heap[i]!;
      heap[i] = heap[w]!;
      heap[w] = t;
      i = w;
    }
  };
  for (let i = 0; i < n && k > 0; i++) {
    if (size < k) {
      let j = size++;
      heap[j] = i;
      while (j > 0) {
        const p = (j - 1) >> 1;
        if (!above(values, off, heap[p]!, heap[j]!)) break;
        const t = heap[p]!;
        heap[p] = heap[j]!;
        heap[j] = t;
        j = p;
      }
    } else if (above(values, off, i, heap[0]!)) {
      heap[0] = i;
      down(0);
    }
  }
  // pop the worst repeatedly: fills the result from the back
  const out = new Int32Array(size);
  for (let r = size - 1; r >= 0; r--) {
    out[r] = heap[0]!;
    heap[0] = heap[--size]!;
    down(0);
  }
  return out;
}

/** Index of the largest of values[off .. off+n); the first one on ties. */
export function argmaxOf(values: ArrayLike<number>, n = values.length, off = 0): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[off + i]!;
    if (v > bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/** A token id and its log-probability (natural log). */
export interface TokenLogprob {
  token: number;
  logprob: number;
}

/**
 * log-softmax of the model's own logits (before penalties and temperature) at `chosen`, and the
 * `topN` most likely tokens with theirs (what an OpenAI-style `logprobs` reports).
 */
export function logprobsOf(logits: ArrayLike<number>, chosen: number, topN: number, n = logits.length, off = 0): { logprob: number; top: TokenLogprob[] } {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[off + i]! > max) max = logits[off + i]!;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += expNonPositive(logits[off + i]! - max);
  const lse = max + Math.log(sum);
  const top = topN > 0 ? Array.from(topIndices(logits, topN, n, off), (t) => ({ token: t, logprob: logits[off + t]! - lse })) : [];
  return { logprob: logits[off + chosen]! - lse, top };
}

/**
 * Working rows of choose(), shared by every sampler of a vocabulary size: they hold nothing between
 * calls, and a pair per sampler was 800 KB of fresh pages per sequence for GPT-2's vocabulary
 * (about 15 ms of page faults per request on the 2-core container).
 */
const scratchRows = new Map<number, { z: Float64Array; w: Float64Array; w32: Float32Array }>();
function scratchFor(V: number): { z: Float64Array; w: Float64Array; w32: Float32Array } {
  let sc = scratchRows.get(V);
  if (!sc) {
    sc = { z: new Float64Array(V), w: new Float64Array(V), w32: new Float32Array(V) };
    scratchRows.set(V, sc);
  }
  return sc;
}

/**
 * Where a sampler's temperature-only draws run: a backend's `sampleRow` kernel with a weights row
 * of that backend's memory (a decoder passes its model's; the native kernel then reads the logits
 * in place when they are in its memory too). Every backend's kernel gives the reference's draw.
 */
export interface DrawKernels {
  kernels: Kernels;
  /** (V) scratch from the same backend's allocF32, shared by the samplers of one decoder. */
  weights: Buf;
}

/** One sequence's sampler: its settings, its generator and the tokens it has seen. */
export class Sampler {
  /** The sampling settings, checked. */
  readonly opts: Readonly<SamplingOptions>;
  private readonly rng: Rng;
  private readonly z: Float64Array;
  private readonly w: Float64Array;
  private readonly draw: DrawKernels;
  /** Generated tokens and how often (presence and frequency penalties). */
  private readonly counts = new Map<number, number>();
  /** Prompt and generated tokens (repetition penalty). */
  private readonly seen = new Set<number>();

  constructor(
    opts: SamplingOptions,
    readonly vocabSize: number,
    draw?: DrawKernels,
  ) {
    validateSampling(opts);
    this.opts = Object.freeze({ ...opts });
    this.rng = opts.rng ?? new Rng(opts.seed ?? 1337);
    const sc = scratchFor(vocabSize);
    this.z = sc.z;
    this.w = sc.w;
    this.draw = draw ?? { kernels: refKernels, weights: sc.w32 };
  }

  /** The prompt's tokens count for the repetition penalty. */
  addPrompt(ids: readonly number[]): void {
    for (const id of ids) this.seen.add(id);
  }

  /** Picks the next token from logits[off .. off+V) and records it as generated. */
  pick(logits: ArrayLike<number>, off = 0): number {
    const id = this.choose(logits, off);
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
    this.seen.add(id);
    return id;
  }

  private choose(logits: ArrayLike<number>, off: number): number {
    const o = this.opts;
    const V = this.vocabSize;
    const rp = o.repetitionPenalty ?? 1;
    const pp = o.presencePenalty ?? 0;
    const fp = o.frequencyPenalty ?? 0;
    const penalised = (rp !== 1 && this.seen.size > 0) || ((pp !== 0 || fp !== 0) && this.counts.size > 0);
    let z: ArrayLike<number> = logits;
    let zo = off;
    if (penalised) {
      const zz = this.z;
      for (let i = 0; i < V; i++) zz[i] = logits[off + i]!;
      if (rp !== 1) for (const id of this.seen) zz[id] = zz[id]! > 0 ? zz[id]! / rp : zz[id]! * rp;
      if (pp !== 0 || fp !== 0) for (const [id, c] of this.counts) zz[id] = zz[id]! - pp - fp * c;
      z = zz;
      zo = 0;
    }
    const T = o.temperature ?? 1;
    if (T === 0) return argmaxOf(z, V, zo);
    if ((o.topK === undefined || o.topK >= V) && (o.topP ?? 1) >= 1 && (o.minP ?? 0) === 0) return this.drawAll(z, zo, T);

    let max = -Infinity;
    for (let i = 0; i < V; i++) if (z[zo + i]! > max) max = z[zo + i]!;
    // candidates, most likely first; null means the whole vocabulary in index order
    let cand: Int32Array | null = o.topK !== undefined && o.topK < V ? topIndices(z, o.topK, V, zo) : null;
    const wb = this.w; // unnormalised probabilities, filled where needed
    const invT = 1 / T;
    if (cand) for (const i of cand) wb[i] = expNonPositive((z[zo + i]! - max) * invT);
    else for (let i = 0; i < V; i++) wb[i] = expNonPositive((z[zo + i]! - max) * invT);
    const topP = o.topP ?? 1;
    if (topP < 1) {
      let Z = 0;
      if (cand) for (const i of cand) Z += wb[i]!;
      else for (let i = 0; i < V; i++) Z += wb[i]!;
      // grow a partial selection until it holds the mass p (almost always after the first)
      for (let k = 64; ; k *= 8) {
        const c: Int32Array = cand ?? topIndices(z, k, V, zo);
        let acc = 0;
        let keep = 0;
        while (keep < c.length) {
          acc += wb[c[keep++]!]! / Z;
          if (acc >= topP) break;
        }
        if (acc >= topP || cand || c.length === V) {
          cand = c.subarray(0, keep);
          break;
        }
      }
    }
    // min-p: p_i / p_max = exp((z_i - max) / T) >= minP, and the most likely token has weight 1
    const minW = o.minP ?? 0;
    const keepW = (i: number): number => (wb[i]! >= minW ? wb[i]! : 0);
    let sum = 0;
    if (cand) for (const i of cand) sum += keepW(i);
    else for (let i = 0; i < V; i++) sum += keepW(i);
    let r = this.rng.random() * sum;
    let last = -1;
    if (cand) {
      for (const i of cand) {
        const p = keepW(i);
        if (p > 0) last = i;
        r -= p;
        if (r < 0) return i;
      }
    } else {
      for (let i = 0; i < V; i++) {
        const p = keepW(i);
        if (p > 0) last = i;
        r -= p;
        if (r < 0) return i;
      }
    }
    return last >= 0 ? last : argmaxOf(z, V, zo); // rounding left r >= 0: the last kept token
  }

  /**
   * choose() without filters (temperature only, the common case): one `sampleRow` kernel call,
   * the reference's float32 weights exp((z - max) / T) (core/exp.ts's e^x, 2.5x cheaper than
   * Math.exp and the same in every engine), their sum, one draw. A GPT-2 pick took 0.70 ms with
   * Math.exp in four passes here, 0.35 ms in the reference kernel and about 0.05 ms in the native one.
   */
  private drawAll(z: ArrayLike<number>, zo: number, T: number): number {
    const V = this.vocabSize;
    const row = ArrayBuffer.isView(z) ? (z as unknown as Float32Array).subarray(zo, zo + V) : Float64Array.from({ length: V }, (_, i) => z[zo + i]!);
    return this.draw.kernels.sampleRow({ logits: row, weights: this.draw.weights, V, invT: 1 / T, u: this.rng.random() });
  }
}
