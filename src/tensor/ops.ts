/**
 * The differentiable ops of a GPT, each one kernel forward and one kernel backward.
 * Shapes are explicit: B batch, T time, C channels, NH heads, V vocabulary, OC output channels.
 */
import { ScratchError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { Buf } from '../kernels/types.js';
import { gradOf, isGradEnabled, makeResult, Tensor } from './tensor.js';

function scratchGrad(x: Tensor): Buf {
  // an input that needs no gradient still needs somewhere for the kernel to write
  return gradOf(x) ?? x.alloc(x.size);
}

/** Token + position embedding: idx (B, T) → (B, T, C); wpe null: token embedding only (rotary positions). */
export function embedding(idx: Int32Array, wte: Tensor, wpe: Tensor | null, B: number, T: number): Tensor {
  const [V, C] = wte.shape;
  if (wpe && T > wpe.shape[0]) throw new ScratchError(`sequence of ${T} tokens is longer than the block size ${wpe.shape[0]}`);
  for (let i = 0; i < B * T; i++) {
    const id = idx[i];
    if (!(id >= 0 && id < V && Number.isInteger(id))) throw new ScratchError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
  }
  const out = wte.alloc(B * T * C); // (B, T, C)
  wte.kernels.encoderForward({ out, inp: idx, wte: wte.data, wpe: wpe ? wpe.data : null, B, T, C });
  return makeResult(out, [B, T, C], wte, wpe ? [wte, wpe] : [wte], (o) => {
    wte.kernels.encoderBackward({ dwte: scratchGrad(wte), dwpe: wpe ? scratchGrad(wpe) : null, dout: o.grad!, inp: idx, B, T, C });
  });
}

/** x (..., C) @ weight (OC, C)^T + bias (OC) → (..., OC). */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  const [OC, C] = weight.shape;
  const xc = x.shape[x.shape.length - 1];
  if (xc !== C) throw new Error(`linear: input has ${xc} channels, weight expects ${C}`);
  const BT = x.size / C;
  const out = x.alloc(BT * OC); // (BT, OC)
  x.kernels.matmulForward({ out, inp: x.data, weight: weight.data, bias: bias ? bias.data : null, BT, C, OC });
  const parents = bias ? [x, weight, bias] : [x, weight];
  return makeResult(out, [...x.shape.slice(0, -1), OC], x, parents, (o) => {
    x.kernels.matmulBackward({
      dinp: gradOf(x),
      dweight: gradOf(weight),
      dbias: bias ? gradOf(bias) : null,
      dout: o.grad!,
      inp: x.data,
      weight: weight.data,
      BT,
      C,
      OC,
    });
  });
}

/**
 * A weight (OC, C) as Kernels.packWeight left it, in panels of P output columns; with P = 1 the
 * layout is the weight's own, and `data` may be the weight itself.
 */
export interface PackedWeight {
  readonly data: Buf;
  readonly C: number;
  readonly OC: number;
  readonly P: number;
}

/** Packed copies of a model's linear weights, by parameter name (packDecodeWeights). */
export type PackedWeights = ReadonlyMap<string, PackedWeight>;

/**
 * linear over a packed weight: the same product, for decoding. Forward only (the packed copy is
 * a snapshot, not a parameter), so it runs only where no gradient is recorded.
 */
export function linearPacked(x: Tensor, weight: PackedWeight, bias: Tensor | null): Tensor {
  const { C, OC, P } = weight;
  const xc = x.shape[x.shape.length - 1];
  if (xc !== C) throw new ScratchError(`linearPacked: input has ${xc} channels, weight expects ${C}`);
  if (isGradEnabled() && (x.requiresGrad || bias?.requiresGrad)) throw new ScratchError('linearPacked has no backward pass: call it inside noGrad');
  const BT = x.size / C;
  const out = x.alloc(BT * OC); // (BT, OC)
  x.kernels.matmulPacked({ out, inp: x.data, packed: weight.data, bias: bias ? bias.data : null, BT, C, OC, P });
  return new Tensor(out, [...x.shape.slice(0, -1), OC], x.backend);
}

/** LayerNorm over the last dimension. */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor | null, eps = 1e-5): Tensor {
  const C = x.shape[x.shape.length - 1];
  const N = x.size / C;
  const out = x.alloc(N * C); // (N, C)
  const mean = x.alloc(N); // (N)
  const rstd = x.alloc(N); // (N)
  x.kernels.layernormForward({ out, mean, rstd, inp: x.data, weight: weight.data, bias: bias ? bias.data : null, N, C, eps });
  const parents = bias ? [x, weight, bias] : [x, weight];
  return makeResult(out, x.shape, x, parents, (o) => {
    x.kernels.layernormBackward({
      dinp: scratchGrad(x),
      dweight: scratchGrad(weight),
      dbias: bias ? scratchGrad(bias) : null,
      dout: o.grad!,
      inp: x.data,
      weight: weight.data,
      mean,
      rstd,
      N,
      C,
    });
  });
}

/** RMSNorm over the last dimension: x / sqrt(mean(x²) + eps) * weight. */
export function rmsNorm(x: Tensor, weight: Tensor, eps = 1e-5): Tensor {
  const C = x.shape[x.shape.length - 1];
  const N = x.size / C;
  const out = x.alloc(N * C); // (N, C)
  const rstd = x.alloc(N); // (N)
  x.kernels.rmsnormForward({ out, rstd, inp: x.data, weight: weight.data, N, C, eps });
  return makeResult(out, x.shape, x, [x, weight], (o) => {
    x.kernels.rmsnormBackward({ dinp: scratchGrad(x), dweight: scratchGrad(weight), dout: o.grad!, inp: x.data, weight: weight.data, rstd, N, C });
  });
}

/** Rotary tables for positions [0, maxT) and head size hs: cos and sin of t * base^(-2i/hs), (maxT, hs/2). */
export function rotaryTables(maxT: number, hs: number, base: number, alloc: (n: number) => Buf): { cos: Buf; sin: Buf } {
  const h2 = hs >> 1;
  const cos = alloc(maxT * h2);
  const sin = alloc(maxT * h2);
  for (let t = 0; t < maxT; t++) {
    for (let i = 0; i < h2; i++) {
      const a = t * Math.pow(base, (-2 * i) / hs);
      cos[t * h2 + i] = Math.cos(a);
      sin[t * h2 + i] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/**
 * q and k of qkv (B, T, 3C), NH heads, made ready for attention: each head RMS-normalised when
 * `norm` (QK-norm), then rotated by its position when `rotary` tables are given. Row (b, t) is at
 * position t, or at positions[row] for rows (..., 3C) of single tokens (decoding).
 */
export function qkTransform(qkv: Tensor, NH: number, opts: { norm: boolean; rotary: { cos: Buf; sin: Buf } | null; positions?: Int32Array | null; eps?: number }): Tensor {
  const C3 = qkv.shape[qkv.shape.length - 1];
  const C = C3 / 3;
  const rowsN = qkv.size / C3;
  const pos = opts.positions ?? null;
  // with positions every row stands alone (T = 1); without, rows are (B, T)
  const [B, T] = pos ? [rowsN, 1] : [qkv.shape[0], qkv.shape.length === 3 ? qkv.shape[1] : 1];
  if (pos && pos.length !== rowsN) throw new Error(`qkTransform: ${pos.length} positions for ${rowsN} rows`);
  const rot = opts.rotary;
  if (rot) {
    const maxPos = pos ? Math.max(...pos) : T - 1;
    if ((maxPos + 1) * ((C / NH) >> 1) > rot.cos.length) throw new ScratchError(`position ${maxPos} is past the rotary table (the block size)`);
  }
  const out = qkv.alloc(rowsN * C3); // (..., 3C)
  const rstd = opts.norm ? qkv.alloc(rowsN * 2 * NH) : null; // (rows, 2, NH)
  const common = { rstd, cos: rot ? rot.cos : null, sin: rot ? rot.sin : null, B, T, C, NH, pos };
  qkv.kernels.qkForward({ out, inp: qkv.data, eps: opts.eps ?? 1e-5, ...common });
  return makeResult(out, qkv.shape, qkv, [qkv], (o) => {
    qkv.kernels.qkBackward({ dinp: scratchGrad(qkv), dout: o.grad!, inp: qkv.data, ...common });
  });
}

/**
 * Causal self-attention: qkv (B, T, 3C) → (B, T, C), NH heads. With `dropout` (training), each
 * attention probability is zeroed with probability p and the rest scaled by 1/(1-p), as
 * nanoGPT's attn_dropout does; the multipliers are drawn here, the kernels apply them.
 * `onProbs`, when given, sees the softmax probabilities (B, NH, T, T) (inspection).
 */
export function attention(qkv: Tensor, NH: number, dropout?: { p: number; rng: Rng }, onProbs?: (probs: Buf) => void): Tensor {
  const [B, T, C3] = qkv.shape;
  const C = C3 / 3;
  const out = qkv.alloc(B * T * C); // (B, T, C)
  const att = qkv.alloc(B * NH * T * T); // (B, NH, T, T)
  const drop = dropout && dropout.p > 0 ? qkv.alloc(B * NH * T * T) : null; // (B, NH, T, T)
  // multipliers for every entry; the kernel zeroes those above the diagonal
  if (drop) qkv.kernels.dropoutForward({ mask: drop, out: null, inp: null, N: drop.length, p: dropout!.p, seed: dropout!.rng.nextU32() });
  qkv.kernels.attentionForward({ out, att, inp: qkv.data, drop, B, T, C, NH });
  onProbs?.(att); // inspection reads the probabilities (B, NH, T, T) before dropout
  return makeResult(out, [B, T, C], qkv, [qkv], (o) => {
    const scratch = qkv.alloc(B * NH * T * T); // (B, NH, T, T)
    qkv.kernels.attentionBackward({ dinp: scratchGrad(qkv), scratch, dout: o.grad!, inp: qkv.data, att, drop, B, T, C, NH });
  });
}

export function gelu(x: Tensor): Tensor {
  const N = x.size;
  const out = x.alloc(N);
  x.kernels.geluForward({ out, inp: x.data, N });
  return makeResult(out, x.shape, x, [x], (o) => {
    x.kernels.geluBackward({ dinp: scratchGrad(x), inp: x.data, dout: o.grad!, N });
  });
}

/** ReLU²: max(0, x)² (modded-nanogpt's MLP activation). */
export function relu2(x: Tensor): Tensor {
  const N = x.size;
  const out = x.alloc(N);
  x.kernels.relu2Forward({ out, inp: x.data, N });
  return makeResult(out, x.shape, x, [x], (o) => {
    x.kernels.relu2Backward({ dinp: scratchGrad(x), inp: x.data, dout: o.grad!, N });
  });
}

/** SwiGLU: x (..., 2H) = [gate | up] → silu(gate) * up (..., H) (Llama's MLP). */
export function swiglu(x: Tensor): Tensor {
  const H2 = x.shape[x.shape.length - 1];
  if (H2 % 2 !== 0) throw new Error(`swiglu: last dimension ${H2} is odd`);
  const H = H2 / 2;
  const N = x.size / H2;
  const out = x.alloc(N * H);
  x.kernels.swigluForward({ out, inp: x.data, N, H });
  return makeResult(out, [...x.shape.slice(0, -1), H], x, [x], (o) => {
    x.kernels.swigluBackward({ dinp: scratchGrad(x), inp: x.data, dout: o.grad!, N, H });
  });
}

/** Soft-capping: cap * tanh(x / cap), smooth and bounded by ±cap (Gemma 2's and modded-nanogpt's logits). */
export function softcap(x: Tensor, cap: number): Tensor {
  const N = x.size;
  const out = x.alloc(N);
  x.kernels.softcapForward({ out, inp: x.data, N, cap });
  return makeResult(out, x.shape, x, [x], (o) => {
    x.kernels.softcapBackward({ dinp: scratchGrad(x), out, dout: o.grad!, N, cap });
  });
}

/** Elementwise a + b (the residual connection). */
export function add(a: Tensor, b: Tensor): Tensor {
  if (a.size !== b.size) throw new Error(`add: sizes differ (${a.size} vs ${b.size})`);
  const N = a.size;
  const out = a.alloc(N);
  a.kernels.residualForward({ out, inp1: a.data, inp2: b.data, N });
  return makeResult(out, a.shape, a, [a, b], (o) => {
    a.kernels.residualBackward({ dinp1: scratchGrad(a), dinp2: scratchGrad(b), dout: o.grad!, N });
  });
}

/**
 * Mean cross-entropy of logits (..., V) against targets; positions whose target is negative are
 * ignored (and not counted in the mean). Returns a scalar.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array): Tensor {
  const V = logits.shape[logits.shape.length - 1];
  const BT = logits.size / V;
  if (targets.length !== BT) throw new Error(`crossEntropy: ${targets.length} targets for ${BT} rows`);
  let counted = 0;
  for (let i = 0; i < BT; i++) {
    const t = targets[i];
    if (t >= V || !Number.isInteger(t)) throw new ScratchError(`target id ${t} is outside the vocabulary (0..${V - 1})`);
    if (t >= 0) counted++;
  }
  const losses = logits.alloc(BT); // (BT)
  const probs = logits.alloc(BT * V); // (BT, V)
  logits.kernels.crossEntropyForward({ losses, probs, logits: logits.data, targets, BT, V });
  let sum = 0;
  for (let i = 0; i < BT; i++) sum += losses[i];
  const out = logits.alloc(1);
  out[0] = counted ? sum / counted : 0;
  return makeResult(out, [1], logits, [logits], (o) => {
    const scale = counted ? o.grad![0] / counted : 0;
    logits.kernels.crossEntropyBackward({ dlogits: scratchGrad(logits), probs, targets, scale, BT, V });
  });
}

/**
 * Inverted dropout with probability p: the identity when p is 0. The mask comes from the kernels'
 * hash of (seed, index) under one fresh seed drawn from rng, so a seeded rng repeats it exactly.
 */
export function dropout(x: Tensor, p: number, rng: Rng): Tensor {
  if (p <= 0) return x;
  const N = x.size;
  const mask = x.alloc(N); // (N) 0 or 1/(1-p)
  const out = x.alloc(N);
  x.kernels.dropoutForward({ mask, out, inp: x.data, N, p, seed: rng.nextU32() });
  return makeResult(out, x.shape, x, [x], (o) => {
    x.kernels.dropoutBackward({ dinp: scratchGrad(x), dout: o.grad!, mask, N });
  });
}

/** Rows [start, start + count) of a (rows, C) tensor, as a new tensor (e.g. the last position). */
export function rows(x: Tensor, pick: ArrayLike<number>): Tensor {
  const C = x.shape[x.shape.length - 1];
  const out = x.alloc(pick.length * C);
  for (let r = 0; r < pick.length; r++) out.set(x.data.subarray(pick[r] * C, pick[r] * C + C), r * C);
  return makeResult(out, [pick.length, C], x, [x], (o) => {
    const dx = scratchGrad(x);
    const d = o.grad!;
    for (let r = 0; r < pick.length; r++) for (let c = 0; c < C; c++) dx[pick[r] * C + c] += d[r * C + c];
  });
}
