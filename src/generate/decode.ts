/**
 * The KV-cache forward pass: a prompt runs once (prefill), filling each layer's cache of keys and
 * values; then each step feeds one new token per sequence and attends over the cache, so a step
 * costs one read of the weights instead of a whole window's forward pass. Both passes call the
 * model's own layer methods (embed, qkv, attnOut, mlp, unembed), so they compute the same layers as
 * `GPT.forward`.
 *
 *   prefill(ids):  x = embed(ids) → per layer: qkv → cache[k, v] ← rows → attention → attnOut → mlp
 *   decode(tokens of N sequences at their own positions):
 *                  x = embedAt (N, C) → per layer: qkv (N, 3C) → append k, v → attentionDecode per
 *                  sequence over its cache → attnOut → mlp → head → logits (N, V)
 *
 * Positions are absolute and learned, so when a sequence outgrows the block size the window slides
 * and every cached key changes: the cache is rebuilt from the last blockSize tokens (one prefill
 * per step from then on), which is exactly what a full recomputation computes.
 */
import { check } from '../core/errors.js';
import type { Buf } from '../kernels/types.js';
import type { GPT } from '../model/gpt.js';
import { type PackedWeights, attention } from '../tensor/ops.js';
import { Tensor, noGrad } from '../tensor/tensor.js';

/** One sequence's cached keys and values: per layer (blockSize, C) each, rows = positions. */
export class KVCache {
  /** Keys per layer. */
  readonly k: Buf[];
  /** Values per layer. */
  readonly v: Buf[];
  /** Positions filled (0..blockSize). */
  length = 0;
  constructor(
    readonly model: GPT,
    readonly data: Buf,
  ) {
    const { nLayer, blockSize, nEmbd: C } = model.config;
    const n = blockSize * C;
    this.k = Array.from({ length: nLayer }, (_, l) => data.subarray(2 * l * n, (2 * l + 1) * n));
    this.v = Array.from({ length: nLayer }, (_, l) => data.subarray((2 * l + 1) * n, (2 * l + 2) * n));
  }

  /** Copies another cache of the same model (several samples of one prompt share its prefill). */
  copyFrom(o: KVCache): void {
    const n = o.length * this.model.config.nEmbd;
    for (let l = 0; l < this.k.length; l++) {
      this.k[l]!.set(o.k[l]!.subarray(0, n));
      this.v[l]!.set(o.v[l]!.subarray(0, n));
    }
    this.length = o.length;
  }
}

/** Floats one sequence's cache takes: 2 x nLayer x blockSize x nEmbd. */
export function kvCacheFloats(model: GPT): number {
  const { nLayer, blockSize, nEmbd } = model.config;
  return 2 * nLayer * blockSize * nEmbd;
}

/**
 * Caches are allocated once per model and reused: the fast backends' memory is a bump allocator
 * whose persistent buffers are never freed, so a new cache per call would leak. Allocate outside
 * any `backend.scope` (a cache made inside one would be reclaimed with it).
 */
const pools = new WeakMap<GPT, KVCache[]>();

/** A KV cache for `model`, reused from the model's pool when one is free (give it back with releaseCache). */
export function acquireCache(model: GPT): KVCache {
  const free = pools.get(model) ?? [];
  pools.set(model, free);
  const c = free.pop();
  if (c) {
    c.length = 0;
    return c;
  }
  const n = kvCacheFloats(model);
  const f64 = model.params.data instanceof Float64Array;
  return new KVCache(model, f64 ? new Float64Array(n) : model.backend.allocF32(n));
}

/** Returns a KV cache from acquireCache to its model's pool. */
export function releaseCache(cache: KVCache): void {
  const free = pools.get(cache.model);
  if (free && !free.includes(cache)) free.push(cache);
}

/** A zeroed buffer of the model's precision from its backend (inside a scope: reclaimed with it). */
function allocLike(model: GPT, n: number): Buf {
  return model.params.data instanceof Float64Array ? new Float64Array(n) : model.backend.allocF32(n);
}

/**
 * Runs `ids` (at most blockSize of them) from position 0, replacing what the cache held, and
 * returns the logits (V) of the last position, copied out of the backend's memory. Each layer runs
 * in its own scope, so a long prompt needs one layer's activations, not all of them. `packed`: as
 * decodeStep's (a 256-row gpt2 prefill on the native kernels: 270-280 ms → 165-185 ms, since
 * the GEMM packs each weight again on every call).
 */
export function prefill(model: GPT, cache: KVCache, ids: readonly number[], packed?: PackedWeights | null): Float32Array {
  const { blockSize, nLayer, nHead, nEmbd: C } = model.config;
  const T = ids.length;
  check(T >= 1 && T <= blockSize, `prefill needs 1 to ${blockSize} tokens, got ${T}`);
  const be = model.backend;
  return be.scope(() =>
    noGrad(() => model.withPacked(packed ?? null, () => {
      const idx = be.allocI32(T); // (T) in the backend's memory: fast kernels read only their own
      idx.set(ids);
      const xbuf = allocLike(model, T * C); // (T, C) the residual stream between layers
      xbuf.set(model.embed(idx, 1, T).data);
      for (let l = 0; l < nLayer; l++) {
        be.scope(() => {
          const x = new Tensor(xbuf, [1, T, C], be);
          const qkv = model.qkv(l, x, null); // (1, T, 3C)
          const q = qkv.data;
          const K = cache.k[l]!;
          const Vc = cache.v[l]!;
          for (let t = 0; t < T; t++) {
            K.set(q.subarray(t * 3 * C + C, t * 3 * C + 2 * C), t * C);
            Vc.set(q.subarray(t * 3 * C + 2 * C, t * 3 * C + 3 * C), t * C);
          }
          const att = attention(qkv, nHead); // (1, T, C)
          xbuf.set(model.mlp(l, model.attnOut(l, x, att)).data);
        });
      }
      cache.length = T;
      const last = new Tensor(xbuf.subarray((T - 1) * C, T * C), [1, C], be);
      return Float32Array.from(model.unembed(last).data); // (V)
    })),
  );
}

/**
 * Prefills of several prompts in one forward pass: their positions are stacked as rows (R = the
 * sum of their lengths), so each product reads the weights once for all of them (R rows go
 * through the GEMM instead of R / N through the small-row path N times), attention runs per
 * prompt on its own rows, and the head runs on each prompt's last row only. Computes what
 * `prefill` does for each (up to float rounding). Returns the logits (N, V), copied out.
 * `packed`: as prefill's.
 */
export function prefillBatch(model: GPT, caches: readonly KVCache[], prompts: readonly (readonly number[])[], packed?: PackedWeights | null): Float32Array {
  const { blockSize, nLayer, nHead, nEmbd: C } = model.config;
  const N = prompts.length;
  check(N >= 1 && caches.length === N, `prefillBatch needs one cache per prompt, got ${caches.length} for ${N}`);
  for (const p of prompts) check(p.length >= 1 && p.length <= blockSize, `prefill needs 1 to ${blockSize} tokens, got ${p.length}`);
  if (N === 1) return prefill(model, caches[0]!, prompts[0]!, packed);
  const start = [0];
  for (const p of prompts) start.push(start[start.length - 1]! + p.length);
  const R = start[N]!;
  const be = model.backend;
  const logits = be.scope(() =>
    noGrad(() => model.withPacked(packed ?? null, () => {
      const ids = be.allocI32(R);
      const pos = new Int32Array(R);
      prompts.forEach((p, i) => {
        ids.set(p, start[i]!);
        for (let t = 0; t < p.length; t++) pos[start[i]! + t] = t;
      });
      const xbuf = allocLike(model, R * C); // (R, C) the residual stream between layers
      xbuf.set(model.embedAt(ids, pos).data);
      for (let l = 0; l < nLayer; l++) {
        be.scope(() => {
          const x = new Tensor(xbuf, [R, C], be);
          const qkv = model.qkv(l, x, pos).data; // (R, 3C)
          const att = allocLike(model, R * C); // (R, C)
          prompts.forEach((p, i) => {
            const T = p.length;
            const rows = qkv.subarray(start[i]! * 3 * C, start[i + 1]! * 3 * C);
            const K = caches[i]!.k[l]!;
            const Vc = caches[i]!.v[l]!;
            for (let t = 0; t < T; t++) {
              K.set(rows.subarray(t * 3 * C + C, t * 3 * C + 2 * C), t * C);
              Vc.set(rows.subarray(t * 3 * C + 2 * C, t * 3 * C + 3 * C), t * C);
            }
            att.set(attention(new Tensor(rows, [1, T, 3 * C], be), nHead).data, start[i]! * C);
          });
          xbuf.set(model.mlp(l, model.attnOut(l, x, new Tensor(att, [R, C], be))).data);
        });
      }
      const last = allocLike(model, N * C); // (N, C) each prompt's last position
      for (let i = 0; i < N; i++) last.set(xbuf.subarray((start[i + 1]! - 1) * C, start[i + 1]! * C), i * C);
      return Float32Array.from(model.unembed(new Tensor(last, [N, C], be)).data); // (N, V)
    })),
  );
  prompts.forEach((p, i) => (caches[i]!.length = p.length));
  return logits;
}

/**
 * One decode step for N sequences at once: token i goes to position caches[i].length of its own
 * cache (which must have room: length < blockSize). One forward over all N rows, so the weights are
 * read once per step, not once per sequence. Returns the logits (N, V), copied out: into `out`
 * (its first N x V floats) when given, else into a new array. A caller that steps again and again
 * passes the same `out`: a fresh 16 x 50,257-float array each step cost 20-30 ms of page faults
 * on the 2-core container, more than half the step's compute. `packed` (packDecodeWeights, as of
 * the current weights): the products read those copies, which the fast kernels stream faster.
 */
export function decodeStep(model: GPT, caches: readonly KVCache[], tokens: readonly number[], out?: Float32Array, packed?: PackedWeights | null): Float32Array {
  const { blockSize, nLayer, nHead, nEmbd: C } = model.config;
  const N = tokens.length;
  check(N >= 1 && caches.length === N, `decodeStep needs one cache per token, got ${caches.length} for ${N}`);
  for (const c of caches) check(c.model === model && c.length >= 1 && c.length < blockSize, `a cache must hold 1 to ${blockSize - 1} positions before a decode step, this one holds ${c.length}`);
  const be = model.backend;
  const k = be.kernels;
  const logits = be.scope(() =>
    noGrad(() => model.withPacked(packed ?? null, () => {
      const ids = be.allocI32(N);
      ids.set(tokens);
      const pos = new Int32Array(N);
      for (let i = 0; i < N; i++) pos[i] = caches[i]!.length;
      let x = model.embedAt(ids, pos); // (N, C)
      const maxL = Math.max(...pos) + 1;
      const probs = allocLike(model, nHead * maxL); // (NH, L) scratch, overwritten per sequence
      for (let l = 0; l < nLayer; l++) {
        const qkv = model.qkv(l, x, pos).data; // (N, 3C)
        const att = allocLike(model, N * C); // (N, C)
        for (let i = 0; i < N; i++) {
          const c = caches[i]!;
          const p = pos[i]!;
          const row = qkv.subarray(i * 3 * C, (i + 1) * 3 * C);
          c.k[l]!.set(row.subarray(C, 2 * C), p * C);
          c.v[l]!.set(row.subarray(2 * C, 3 * C), p * C);
          const L = p + 1;
          k.attentionDecode({ out: att.subarray(i * C, (i + 1) * C), att: probs.subarray(0, nHead * L), q: row.subarray(0, C), k: c.k[l]!, v: c.v[l]!, L, C, NH: nHead });
        }
        x = model.mlp(l, model.attnOut(l, x, new Tensor(att, [N, C], be)));
      }
      const head = model.unembed(x).data; // (N, V)
      if (!out) return Float32Array.from(head);
      check(out.length >= head.length, `decodeStep: out holds ${out.length} floats, the logits need ${head.length}`);
      const o = out.subarray(0, head.length);
      o.set(head);
      return o;
    })),
  );
  for (const c of caches) c.length++;
  return logits;
}
