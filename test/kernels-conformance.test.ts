/**
 * One conformance suite for every kernel of every backend: each op runs on odd shapes (1, 3, 17,
 * sizes that are not multiples of 4 or 8), on shapes big enough to be split across threads, and
 * on extreme values, and must match the TypeScript reference within float32 tolerances. Backward
 * kernels start from non-zero gradients, so accumulation (+=) is checked, not just assignment.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Backend, type KernelOp, type Kernels, KERNEL_OPS, Rng, createBackend, ops, packedFloats, refBackend, refKernels } from '../src/index.js';
import { NATIVE_BUILT, nativeVariantsHere } from './native-helpers.js';

type Args<K extends KernelOp> = Parameters<Kernels[K]>[0];
type Alloc = { f32(n: number): Float32Array; i32(n: number): Int32Array };
interface Case<A> {
  /** Shapes to run; `big` ones exceed the kernels' thresholds for using every thread. */
  shapes: Record<string, number>[];
  make(s: Record<string, number>, m: Maker, rng: Rng): A;
  /** Allowed error, relative to max(1, largest |value| of the reference buffer). */
  tol?: number;
  /** Buffers whose contents are undefined afterwards. */
  skip?: string[];
}

/** Fills buffers from the backend under test. */
class Maker {
  constructor(private readonly a: Alloc) {}
  rand(n: number, rng: Rng, scale = 1, offset = 0): Float32Array {
    const x = this.a.f32(n);
    for (let i = 0; i < n; i++) x[i] = offset + scale * rng.normal();
    return x;
  }
  zeros(n: number): Float32Array {
    return this.a.f32(n);
  }
  ints(n: number, rng: Rng, max: number, allowNeg = false): Int32Array {
    const x = this.a.i32(n);
    for (let i = 0; i < n; i++) x[i] = allowNeg && rng.random() < 0.2 ? -1 : rng.int(max);
    return x;
  }
  copy(src: Float32Array): Float32Array {
    const x = this.a.f32(src.length);
    x.set(src);
    return x;
  }
}

/** Probabilities from the reference forward pass, for the backward cases. */
function refLayernorm(m: Maker, inp: Float32Array, weight: Float32Array, N: number, C: number) {
  const mean = m.zeros(N), rstd = m.zeros(N);
  refKernels.layernormForward({ out: new Float32Array(N * C), mean, rstd, inp, weight, bias: null, N, C, eps: 1e-5 });
  return { mean, rstd };
}

/** Attention dropout multipliers: 0 or 1/(1-p) at and below each head's diagonal, noise above it. */
function multipliers(m: Maker, heads: number, T: number, p: number, r: Rng): Float32Array {
  const x = m.rand(heads * T * T, r);
  for (let i = 0; i < heads * T * T; i++) if (i % T <= Math.floor(i / T) % T) x[i] = r.random() < p ? 0 : 1 / (1 - p);
  return x;
}

const CASES: { [K in KernelOp]: Case<Args<K>> } = {
  encoderForward: {
    shapes: [{ B: 1, T: 1, C: 1, V: 1 }, { B: 2, T: 3, C: 17, V: 5 }, { B: 3, T: 17, C: 33, V: 65 }, { B: 4, T: 64, C: 128, V: 65 }, { B: 3, T: 17, C: 33, V: 65, nopos: 1 }],
    make: ({ B, T, C, V, nopos }, m, r) => ({ out: m.rand(B * T * C, r), inp: m.ints(B * T, r, V), wte: m.rand(V * C, r), wpe: nopos ? null : m.rand(T * C, r), B, T, C }),
  },
  encoderBackward: {
    shapes: [{ B: 1, T: 1, C: 1, V: 1 }, { B: 2, T: 3, C: 17, V: 5 }, { B: 3, T: 17, C: 33, V: 4 }, { B: 4, T: 64, C: 130, V: 65 }, { B: 3, T: 17, C: 33, V: 4, nopos: 1 }],
    make: ({ B, T, C, V, nopos }, m, r) => ({ dwte: m.rand(V * C, r), dwpe: nopos ? null : m.rand(T * C, r), dout: m.rand(B * T * C, r), inp: m.ints(B * T, r, V), B, T, C }),
  },
  matmulForward: {
    shapes: [{ BT: 1, C: 1, OC: 1 }, { BT: 3, C: 17, OC: 5 }, { BT: 17, C: 3, OC: 9, nobias: 1 }, { BT: 13, C: 33, OC: 65 }, { BT: 66, C: 128, OC: 130 }, { BT: 64, C: 72, OC: 384, big: 1e4 }, { BT: 40, C: 1100, OC: 1030 }, // the last packs W in k-chunks
      // few rows take the matrix-vector path (decoding; wasm up to 8, native up to 32, in blocks of 4 rows x 4 or 2 weight rows): odd widths, threads, extreme values
      { BT: 1, C: 768, OC: 2307 }, { BT: 2, C: 5, OC: 3 }, { BT: 7, C: 130, OC: 65, nobias: 1 }, { BT: 8, C: 9, OC: 1001, big: 1e4 }, { BT: 3, C: 3, OC: 1 }, { BT: 1, C: 2049, OC: 13 },
      { BT: 9, C: 1100, OC: 1030 }, { BT: 30, C: 47, OC: 1003, big: 1e4 }, { BT: 16, C: 777, OC: 70 }, { BT: 12, C: 800, OC: 2305, big: 1e4 }, { BT: 15, C: 5, OC: 3 }, { BT: 32, C: 768, OC: 67 }, { BT: 33, C: 65, OC: 131 }, { BT: 5, C: 16, OC: 6, nobias: 1 },
      // a narrow output under many rows (a character-level LM head: edge tiles of one live column)
      { BT: 230, C: 37, OC: 65 }, { BT: 300, C: 129, OC: 100, nobias: 1, big: 1e4 }, { BT: 113, C: 5, OC: 1 }, { BT: 768, C: 128, OC: 65 },
      // native reads the rows of inp in place; a remainder of more than half a tile (57 = 32 + 25, or 3 x 16 + 9) stays a padded edge tile
      { BT: 45, C: 20, OC: 57 }, { BT: 47, C: 300, OC: 57, nobias: 1 }],
    make: ({ BT, C, OC, nobias, big }, m, r) => ({
      out: m.rand(BT * OC, r),
      inp: m.rand(BT * C, r, big ?? 1),
      weight: m.rand(OC * C, r),
      bias: nobias ? null : m.rand(OC, r),
      BT, C, OC,
    }),
  },
  // P: the native variants' panels (portable 12, avx2 24, avx512 48: their fast paths), the
  // weight's own layout (1, the wasm and reference panel) and an odd width (the reference path)
  packWeight: {
    shapes: [{ C: 1, OC: 1, P: 12 }, { C: 5, OC: 3, P: 48 }, { C: 17, OC: 49, P: 48 }, { C: 33, OC: 96, P: 48 }, { C: 130, OC: 25, P: 24 }, { C: 9, OC: 1001, P: 12 }, { C: 300, OC: 770, P: 48 }, { C: 7, OC: 13, P: 1 }, { C: 7, OC: 13, P: 5 }, { C: 0, OC: 5, P: 48 }],
    make: ({ C, OC, P }, m, r) => ({ out: m.rand(packedFloats(C, OC, P), r), weight: m.rand(OC * C, r), C, OC, P }),
  },
  matmulPacked: {
    shapes: [{ BT: 1, C: 1, OC: 1, P: 48 }, { BT: 2, C: 5, OC: 3, P: 48 }, { BT: 16, C: 130, OC: 97, P: 48 }, { BT: 9, C: 17, OC: 48, P: 48, nobias: 1 }, { BT: 13, C: 768, OC: 2307, P: 48, big: 1 }, { BT: 32, C: 33, OC: 1001, P: 48 },
      { BT: 8, C: 64, OC: 50, P: 48, scale: 1e4 }, { BT: 1, C: 3072, OC: 70, P: 48 }, { BT: 13, C: 1600, OC: 100, P: 48, big: 1 }, { BT: 6, C: 1000, OC: 50, P: 24, nobias: 1 }, // deeper than 768: k in blocks { BT: 5, C: 7, OC: 25, P: 24 }, { BT: 16, C: 300, OC: 770, P: 24, big: 1 }, { BT: 4, C: 9, OC: 23, P: 24, nobias: 1 },
      { BT: 3, C: 17, OC: 13, P: 12 }, { BT: 17, C: 130, OC: 1001, P: 12, big: 1 }, { BT: 6, C: 40, OC: 13, P: 1 }, { BT: 40, C: 40, OC: 130, P: 1 }, { BT: 3, C: 11, OC: 13, P: 5 },
      // empty: no rows (nothing to write), no inner dimension (the bias alone)
      { BT: 0, C: 4, OC: 5, P: 48 }, { BT: 3, C: 0, OC: 5, P: 48 }, { BT: 3, C: 0, OC: 5, P: 12, nobias: 1 }, { BT: 0, C: 4, OC: 5, P: 24 }],
    make: ({ BT, C, OC, P, nobias, scale }, m, r) => {
      const weight = m.rand(OC * C, r, scale ?? 1);
      const packed = m.zeros(packedFloats(C, OC, P));
      refKernels.packWeight({ out: packed, weight, C, OC, P });
      return { out: m.rand(BT * OC, r), inp: m.rand(BT * C, r), packed, bias: nobias ? null : m.rand(OC, r), BT, C, OC, P };
    },
  },
  matmulBackward: {
    shapes: [{ BT: 1, C: 1, OC: 1 }, { BT: 3, C: 17, OC: 5 }, { BT: 17, C: 3, OC: 9, partial: 1 }, { BT: 13, C: 33, OC: 65 }, { BT: 66, C: 128, OC: 130 }, { BT: 70, C: 64, OC: 65, partial: 2 }, { BT: 70001, C: 9, OC: 7 }], // the last packs in batch chunks
    make: ({ BT, C, OC, partial }, m, r) => ({
      dinp: partial === 1 ? null : m.rand(BT * C, r),
      dweight: partial === 2 ? null : m.rand(OC * C, r),
      dbias: partial ? null : m.rand(OC, r),
      dout: m.rand(BT * OC, r),
      inp: m.rand(BT * C, r),
      weight: m.rand(OC * C, r),
      BT, C, OC,
    }),
  },
  layernormForward: {
    shapes: [{ N: 1, C: 1 }, { N: 3, C: 3 }, { N: 17, C: 17, nobias: 1 }, { N: 5, C: 130 }, { N: 300, C: 128 }, { N: 7, C: 33, offset: 1e3 }, { N: 7, C: 19, scale: 1e4 }],
    make: ({ N, C, nobias, offset, scale }, m, r) => ({
      out: m.rand(N * C, r), mean: m.zeros(N), rstd: m.zeros(N),
      inp: m.rand(N * C, r, scale ?? 1, offset ?? 0), weight: m.rand(C, r), bias: nobias ? null : m.rand(C, r),
      N, C, eps: 1e-5,
    }),
    tol: 1e-4,
  },
  layernormBackward: {
    shapes: [{ N: 1, C: 1 }, { N: 3, C: 3 }, { N: 17, C: 17, nobias: 1 }, { N: 5, C: 130 }, { N: 300, C: 128 }, { N: 7, C: 19, scale: 1e3 }],
    make: ({ N, C, nobias, scale }, m, r) => {
      const inp = m.rand(N * C, r, scale ?? 1);
      const weight = m.rand(C, r);
      return { dinp: m.rand(N * C, r), dweight: m.rand(C, r), dbias: nobias ? null : m.rand(C, r), dout: m.rand(N * C, r), inp, weight, ...refLayernorm(m, inp, weight, N, C), N, C };
    },
    tol: 1e-4,
  },
  attentionForward: {
    shapes: [
      { B: 1, T: 1, C: 1, NH: 1 }, { B: 1, T: 3, C: 6, NH: 2 }, { B: 2, T: 17, C: 12, NH: 4 }, { B: 2, T: 9, C: 20, NH: 2, big: 8 }, { B: 4, T: 64, C: 128, NH: 4 },
      { B: 1, T: 70, C: 260, NH: 1 }, // row kernel (the head is too large for the blocked one)
      { B: 1, T: 1, C: 1, NH: 1, p: 0.5 }, { B: 2, T: 17, C: 12, NH: 4, p: 0.2 }, { B: 4, T: 64, C: 128, NH: 4, p: 0.9 }, { B: 1, T: 70, C: 260, NH: 1, p: 0.3 },
    ],
    make: ({ B, T, C, NH, big, p }, m, r) => ({
      out: m.rand(B * T * C, r), att: m.rand(B * NH * T * T, r), inp: m.rand(B * T * 3 * C, r, big ?? 1),
      drop: p === undefined ? null : multipliers(m, B * NH, T, p, r), B, T, C, NH,
    }),
    tol: 1e-4,
  },
  attentionBackward: {
    shapes: [
      { B: 1, T: 1, C: 1, NH: 1 }, { B: 1, T: 3, C: 6, NH: 2 }, { B: 2, T: 17, C: 12, NH: 4 }, { B: 2, T: 9, C: 20, NH: 2 }, { B: 4, T: 64, C: 128, NH: 4 },
      { B: 1, T: 70, C: 260, NH: 1 },
      { B: 1, T: 1, C: 1, NH: 1, p: 0.5 }, { B: 2, T: 17, C: 12, NH: 4, p: 0.2 }, { B: 4, T: 64, C: 128, NH: 4, p: 0.9 }, { B: 1, T: 70, C: 260, NH: 1, p: 0.3 },
    ],
    make: ({ B, T, C, NH, p }, m, r) => {
      const inp = m.rand(B * T * 3 * C, r);
      const att = m.zeros(B * NH * T * T);
      const drop = p === undefined ? null : multipliers(m, B * NH, T, p, r);
      refKernels.attentionForward({ out: new Float32Array(B * T * C), att, inp, drop, B, T, C, NH });
      return { dinp: m.rand(B * T * 3 * C, r), scratch: m.zeros(B * NH * T * T), dout: m.rand(B * T * C, r), inp, att, drop, B, T, C, NH };
    },
    skip: ['scratch'],
    tol: 1e-4,
  },
  attentionDecode: {
    shapes: [
      { L: 1, C: 1, NH: 1 }, { L: 3, C: 6, NH: 2 }, { L: 17, C: 12, NH: 4 }, { L: 9, C: 20, NH: 2, big: 8 }, { L: 70, C: 260, NH: 1 },
      { L: 200, C: 384, NH: 6 }, { L: 33, C: 768, NH: 12, cap: 64 }, { L: 5, C: 15, NH: 3, big: 30 },
    ],
    make: ({ L, C, NH, big, cap }, m, r) => ({
      out: m.rand(C, r), att: m.rand(NH * L, r), q: m.rand(C, r, big ?? 1),
      k: m.rand((cap ?? L) * C, r, big ?? 1), v: m.rand((cap ?? L) * C, r), L, C, NH,
    }),
    tol: 1e-4,
  },
  geluForward: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }, { N: 33, scale: 20 }],
    make: ({ N, scale }, m, r) => ({ out: m.rand(N, r), inp: m.rand(N, r, scale ?? 1), N }),
  },
  geluBackward: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }, { N: 33, scale: 20 }],
    make: ({ N, scale }, m, r) => ({ dinp: m.rand(N, r), inp: m.rand(N, r, scale ?? 1), dout: m.rand(N, r), N }),
  },
  residualForward: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }],
    make: ({ N }, m, r) => ({ out: m.rand(N, r), inp1: m.rand(N, r), inp2: m.rand(N, r), N }),
  },
  residualBackward: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }],
    make: ({ N }, m, r) => ({ dinp1: m.rand(N, r), dinp2: m.rand(N, r), dout: m.rand(N, r), N }),
  },
  crossEntropyForward: {
    shapes: [{ BT: 1, V: 1 }, { BT: 3, V: 5 }, { BT: 17, V: 65 }, { BT: 200, V: 257 }, { BT: 9, V: 33, scale: 1e4 }],
    make: ({ BT, V, scale }, m, r) => ({ losses: m.rand(BT, r), probs: m.rand(BT * V, r), logits: m.rand(BT * V, r, scale ?? 3), targets: m.ints(BT, r, V, true), BT, V }),
    tol: 1e-4,
  },
  crossEntropyBackward: {
    shapes: [{ BT: 1, V: 1 }, { BT: 3, V: 5 }, { BT: 17, V: 65 }, { BT: 200, V: 257 }],
    make: ({ BT, V }, m, r) => {
      const logits = m.rand(BT * V, r, 3);
      const targets = m.ints(BT, r, V, true);
      const probs = m.zeros(BT * V);
      refKernels.crossEntropyForward({ losses: new Float32Array(BT), probs, logits, targets, BT, V });
      return { dlogits: m.rand(BT * V, r), probs, targets, scale: 1 / BT, BT, V };
    },
  },
  dropoutForward: {
    // the mask must match bit for bit: the same hash of (seed, index) in every lane and thread
    shapes: [{ N: 1, p: 0.5 }, { N: 3, p: 0.1 }, { N: 17, p: 0.9, maskOnly: 1 }, { N: 40001, p: 0.2 }, { N: 40003, p: 0.3, maskOnly: 1 }, { N: 33, p: 0 }, { N: 35, p: 0.999 }],
    make: ({ N, p, maskOnly }, m, r) => ({
      mask: m.rand(N, r), out: maskOnly ? null : m.rand(N, r), inp: maskOnly ? null : m.rand(N, r, 100), N, p: p!, seed: r.nextU32(),
    }),
    tol: 0,
  },
  dropoutBackward: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }],
    make: ({ N }, m, r) => {
      const mask = m.zeros(N);
      refKernels.dropoutForward({ mask, out: null, inp: null, N, p: 0.3, seed: r.nextU32() });
      return { dinp: m.rand(N, r), dout: m.rand(N, r), mask, N };
    },
  },
  adamw: {
    shapes: [{ N: 1, t: 1 }, { N: 3, t: 2 }, { N: 17, t: 10 }, { N: 40001, t: 100 }],
    make: ({ N, t }, m, r) => {
      const v = m.rand(N, r, 0.01);
      for (let i = 0; i < N; i++) v[i] = v[i]! * v[i]!;
      return { params: m.rand(N, r), grads: m.rand(N, r, 0.1), m: m.rand(N, r, 0.01), v, N, lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, t: t! };
    },
  },
  sumSquares: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 100003 }, { N: 1001, scale: 1e4 }],
    make: ({ N, scale }, m, r) => ({ inp: m.rand(N, r, scale ?? 1), N }),
  },
  scale: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }],
    make: ({ N }, m, r) => ({ inout: m.rand(N, r), N, s: 0.37 }),
  },
  rmsnormForward: {
    shapes: [{ N: 1, C: 1 }, { N: 3, C: 3 }, { N: 17, C: 17 }, { N: 5, C: 130 }, { N: 300, C: 128 }, { N: 7, C: 19, scale: 1e4 }, { N: 4, C: 9, scale: 1e-3 }],
    make: ({ N, C, scale }, m, r) => ({ out: m.rand(N * C, r), rstd: m.zeros(N), inp: m.rand(N * C, r, scale ?? 1), weight: m.rand(C, r), N, C, eps: 1e-5 }),
    tol: 1e-4,
  },
  rmsnormBackward: {
    shapes: [{ N: 1, C: 1 }, { N: 3, C: 3 }, { N: 17, C: 17 }, { N: 5, C: 130 }, { N: 300, C: 128 }, { N: 7, C: 19, scale: 1e3 }],
    make: ({ N, C, scale }, m, r) => {
      const inp = m.rand(N * C, r, scale ?? 1);
      const weight = m.rand(C, r);
      const rstd = m.zeros(N);
      refKernels.rmsnormForward({ out: new Float32Array(N * C), rstd, inp, weight, N, C, eps: 1e-5 });
      return { dinp: m.rand(N * C, r), dweight: m.rand(C, r), dout: m.rand(N * C, r), inp, weight, rstd, N, C };
    },
    tol: 1e-4,
  },
  qkForward: {
    shapes: [
      { B: 1, T: 1, C: 2, NH: 1, norm: 1, rope: 1 }, { B: 2, T: 3, C: 6, NH: 3, norm: 1 }, { B: 2, T: 17, C: 12, NH: 2, rope: 1, pos0: 5 },
      { B: 4, T: 64, C: 128, NH: 4, norm: 1, rope: 1 }, { B: 1, T: 9, C: 34, NH: 1, norm: 1, rope: 1, scale: 1e3 },
    ],
    make: ({ B, T, C, NH, norm, rope, pos0, scale }, m, r) => {
      const tab = rope ? tables(m, T + (pos0 ?? 0), C / NH) : { cos: null, sin: null };
      return { out: m.rand(B * T * 3 * C, r), rstd: norm ? m.zeros(B * T * 2 * NH) : null, inp: m.rand(B * T * 3 * C, r, scale ?? 1), ...tab, B, T, C, NH, pos: positions(m, B, T, pos0), eps: 1e-5 };
    },
    tol: 1e-4,
  },
  qkBackward: {
    shapes: [
      { B: 1, T: 1, C: 2, NH: 1, norm: 1, rope: 1 }, { B: 2, T: 3, C: 6, NH: 3, norm: 1 }, { B: 2, T: 17, C: 12, NH: 2, rope: 1, pos0: 5 },
      { B: 4, T: 64, C: 128, NH: 4, norm: 1, rope: 1 },
    ],
    make: ({ B, T, C, NH, norm, rope, pos0 }, m, r) => {
      const tab = rope ? tables(m, T + (pos0 ?? 0), C / NH) : { cos: null, sin: null };
      const inp = m.rand(B * T * 3 * C, r);
      const rstd = norm ? m.zeros(B * T * 2 * NH) : null;
      const pos = positions(m, B, T, pos0);
      refKernels.qkForward({ out: new Float32Array(B * T * 3 * C), rstd, inp, ...tab, B, T, C, NH, pos, eps: 1e-5 });
      return { dinp: m.rand(B * T * 3 * C, r), dout: m.rand(B * T * 3 * C, r), inp, rstd, ...tab, B, T, C, NH, pos };
    },
    tol: 1e-4,
  },
  relu2Forward: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }, { N: 33, scale: 100 }],
    make: ({ N, scale }, m, r) => ({ out: m.rand(N, r), inp: m.rand(N, r, scale ?? 1), N }),
  },
  relu2Backward: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }],
    make: ({ N }, m, r) => ({ dinp: m.rand(N, r), inp: m.rand(N, r), dout: m.rand(N, r), N }),
  },
  swigluForward: {
    shapes: [{ N: 1, H: 1 }, { N: 3, H: 5 }, { N: 17, H: 17 }, { N: 300, H: 344 }, { N: 5, H: 9, scale: 30 }],
    make: ({ N, H, scale }, m, r) => ({ out: m.rand(N * H, r), inp: m.rand(N * 2 * H, r, scale ?? 1), N, H }),
    tol: 1e-4,
  },
  swigluBackward: {
    shapes: [{ N: 1, H: 1 }, { N: 3, H: 5 }, { N: 17, H: 17 }, { N: 300, H: 344 }, { N: 5, H: 9, scale: 30 }],
    make: ({ N, H, scale }, m, r) => ({ dinp: m.rand(N * 2 * H, r), inp: m.rand(N * 2 * H, r, scale ?? 1), dout: m.rand(N * H, r), N, H }),
    tol: 1e-4,
  },
  softcapForward: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }, { N: 33, scale: 1e3 }],
    make: ({ N, scale }, m, r) => ({ out: m.rand(N, r), inp: m.rand(N, r, scale ?? 10), N, cap: 15 }),
    tol: 1e-4,
  },
  softcapBackward: {
    shapes: [{ N: 1 }, { N: 3 }, { N: 17 }, { N: 40001 }],
    make: ({ N }, m, r) => {
      const out = m.zeros(N);
      refKernels.softcapForward({ out, inp: m.rand(N, r, 10), N, cap: 15 });
      return { dinp: m.rand(N, r), out, dout: m.rand(N, r), N, cap: 15 };
    },
  },
  // the returned index must equal the reference's; the weights within tolerance
  sampleRow: {
    shapes: [{ V: 1, T: 1 }, { V: 7, T: 0.7 }, { V: 33, T: 2, u: 0 }, { V: 33, T: 1, u: 0.9999999 }, { V: 300, T: 0.05, scale: 30 }, { V: 65, T: 1, ninf: 1 }, { V: 50257, T: 0.8 }, { V: 50257, T: 1.3, scale: 4 }],
    make: ({ V, T, u, scale, ninf }, m, r) => {
      const logits = m.rand(V, r, scale ?? 1);
      if (ninf) for (let i = 0; i < V; i += 3) logits[i] = -Infinity; // masked tokens
      return { logits, weights: m.rand(V, r), V, invT: 1 / T!, u: u ?? r.random() };
    },
    skip: ['logits'], // read only, and compare() cannot subtract the -Infinity entries
  },
};

/** With an offset, every row at its own position (as decoding passes them); else null. */
function positions(m: Maker, B: number, T: number, pos0?: number): Int32Array | null {
  if (pos0 === undefined) return null;
  const p = m.ints(B * T, new Rng(5), 1);
  for (let i = 0; i < B * T; i++) p[i] = pos0 + ((i * 7) % T);
  return p;
}

/** Rotary tables in the backend's memory. */
function tables(m: Maker, T: number, hs: number): { cos: Float32Array; sin: Float32Array } {
  const t = ops.rotaryTables(T, hs, 10000, (n) => m.zeros(n));
  return t as { cos: Float32Array; sin: Float32Array };
}

type Typed = Float32Array | Float64Array | Int32Array;
const isTyped = (x: unknown): x is Typed => x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array;

/** A heap copy of the arguments for the reference run. */
function cloneArgs<A extends object>(a: A): A {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(a)) out[k] = isTyped(v) ? v.slice() : v;
  return out as A;
}

function compare(op: string, shape: object, name: string, got: Typed, want: Typed, tol: number): void {
  let maxAbs = 1;
  for (let i = 0; i < want.length; i++) maxAbs = Math.max(maxAbs, Math.abs(want[i]!));
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (!(d <= tol * maxAbs))
      assert.fail(`${op} ${JSON.stringify(shape)}: ${name}[${i}] = ${got[i]}, reference ${want[i]} (|diff| ${d} > ${tol * maxAbs})`);
  }
}

function runOp<K extends KernelOp>(op: K, be: Backend, seed: number): void {
  const c = CASES[op] as Case<Args<K>>;
  const call = (k: Kernels, a: Args<K>): unknown => (k[op] as (x: Args<K>) => unknown)(a);
  for (const s of c.shapes) {
    be.scope(() => {
      const args = c.make(s, new Maker({ f32: (n) => be.allocF32(n), i32: (n) => be.allocI32(n) }), new Rng(seed));
      const want = cloneArgs(args);
      const rWant = call(refKernels, want);
      const rGot = call(be.kernels, args);
      const tol = c.tol ?? 2e-5;
      if (typeof rWant === 'number') {
        assert.equal(typeof rGot, 'number');
        const d = Math.abs((rGot as number) - rWant);
        assert.ok(d <= 1e-6 * Math.max(1, rWant), `${op} ${JSON.stringify(s)}: returned ${rGot as number}, reference ${rWant}`);
      }
      for (const [k, v] of Object.entries(args)) {
        if (!isTyped(v) || c.skip?.includes(k)) continue;
        compare(op, s, k, v, (want as unknown as Record<string, Typed>)[k]!, tol);
      }
    });
  }
}

const backends: [string, Promise<Backend>][] = [
  ['ref', Promise.resolve(refBackend)],
  ['wasm, 1 thread', createBackend({ kernels: 'wasm', threads: 1 })],
  ['wasm, 2 threads', createBackend({ kernels: 'wasm', threads: 2 })],
  ['wasm plain SIMD, 2 threads', createBackend({ kernels: 'wasm', threads: 2, relaxedSimd: false })],
];
/** Every dispatch path of the native kernels on 1 and 2 threads, where this CPU has it and the addon is built. */
const nativeVariants = NATIVE_BUILT ? nativeVariantsHere() : [];
for (const v of nativeVariants)
  for (const threads of [1, 2]) backends.push([`native ${v}, ${threads} thread${threads > 1 ? 's' : ''}`, createBackend({ kernels: `native-${v}` as 'native', threads })]);

after(async () => {
  for (const [, p] of backends) (await p as { close?: () => void }).close?.();
});

test('kernels conformance: every backend packs weights in panels the cases above cover', async () => {
  for (const [label, p] of backends) assert.ok([1, 12, 24, 48].includes((await p).kernels.packPanel), `${label}: packPanel ${(await p).kernels.packPanel}`);
  const panels = new Map([['portable', 12], ['avx2', 24], ['avx512', 48]]);
  for (const [label, p] of backends) {
    const v = /^native (\w+),/.exec(label)?.[1];
    if (v) assert.equal((await p).kernels.packPanel, panels.get(v), label);
  }
});

test('kernels conformance: native kernels built here', { skip: NATIVE_BUILT ? false : 'the native addon is not built (npm run build:native)' }, () => {
  assert.ok(nativeVariants.includes('portable'), `variants: ${nativeVariants.join(', ')}`);
});

for (const [label, p] of backends) {
  test(`kernels conformance: ${label}`, async (t) => {
    const be = await p;
    for (const op of KERNEL_OPS) await t.test(op, () => runOp(op, be, 1234));
  });
}

test('wasm backend: scope reuses the same memory, persistent buffers survive', async () => {
  const be = await backends[1]![1];
  const keep = be.allocF32(10);
  keep.fill(7);
  const offs: number[][] = [];
  for (let i = 0; i < 3; i++) {
    be.scope(() => {
      const a = be.allocF32(1000), b = be.allocI32(33);
      assert.ok(a.every((x) => x === 0));
      a.fill(1);
      offs.push([a.byteOffset, b.byteOffset]);
    });
  }
  assert.deepEqual(offs[0], offs[2]);
  assert.ok(keep.every((x) => x === 7));
  const after = be.allocF32(5000);
  assert.ok(after.byteOffset >= keep.byteOffset + 40 && after.every((x) => x === 0));
  assert.throws(() => be.kernels.scale({ inout: new Float32Array(4), N: 4, s: 2 }), /not allocated by this backend/);
});
