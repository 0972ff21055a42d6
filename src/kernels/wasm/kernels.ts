import { ScratchError } from '../../core/errors.js';
import { dropThreshold } from '../ref/dropout.js';
import { refKernels } from '../ref/index.js';
import type { Buf, Kernels } from '../types.js';
import type { Arena } from './memory.js';
import { FN } from './module.js';
import { MAX_CHUNKS, PARTS_BYTE, type Pool } from './pool.js';

/**
 * The Kernels interface over the wasm module: each call turns its buffers into byte offsets in the
 * shared memory, writes the arguments for the pool and runs one job. Float64Array arguments (the
 * reference's gradient checks) go to the TypeScript reference; a Float32Array from elsewhere is an
 * error, since copying it in and out would hide a slow path.
 */

/** Below this many multiply-adds (or elements) a job runs on the calling thread alone. */
const PARALLEL_MIN = 32768;
/**
 * Products with at most this many rows (decoding: one row per sequence) read W's rows directly
 * (matvec) instead of packing W into panels first, which for one row costs more than the product.
 */
export const MATVEC_MAX_ROWS = 8;
/**
 * A matrix-vector product is split across threads only from this many multiply-adds (1 MiB of
 * weights): below it the hand-off to the workers costs more than the product (a small model's
 * decode step is dozens of such calls).
 */
const MATVEC_PARALLEL_MIN = 1 << 18;
/** Floats reserved for packed matmul panels; larger weights are packed and multiplied in k-chunks. */
export const PACK_FLOATS = 1 << 20;
/** Each chunk's share of the panel space, for kernels that pack per (batch, head). */
const CHUNK_FLOATS = PACK_FLOATS / MAX_CHUNKS;

export function wasmKernels(name: string, pool: Pool, arena: Arena, packPtr: number): Kernels {
  const a = pool.args;
  const ptr = (b: Buf | Int32Array | null, what: string): number => {
    if (b === null) return 0;
    if (!arena.owns(b)) throw new ScratchError(`${name} kernels: buffer '${what}' was not allocated by this backend (use backend.allocF32/allocI32)`);
    return b.byteOffset;
  };
  const isF64 = (...bs: (Buf | null)[]): boolean => bs.some((b) => b instanceof Float64Array);
  const set = (...v: number[]): void => {
    for (let i = 0; i < v.length; i++) a[i] = v[i]!;
  };

  const k: Kernels = {
    name,
    // P = 1 is the weight's own layout, so matmulPacked is this backend's matvec/GEMM as it is
    packPanel: 1,
    packWeight: (x) => refKernels.packWeight(x),
    matmulPacked(x) {
      if (x.P !== 1) return refKernels.matmulPacked(x);
      k.matmulForward({ out: x.out, inp: x.inp, weight: x.packed, bias: x.bias, BT: x.BT, C: x.C, OC: x.OC });
    },
    encoderForward(x) {
      if (isF64(x.out, x.wte, x.wpe) || !x.wpe) return refKernels.encoderForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), ptr(x.wte, 'wte'), ptr(x.wpe, 'wpe'), x.B, x.T, x.C);
      pool.run(FN.encoderForward, x.B * x.T * x.C >= PARALLEL_MIN);
    },
    encoderBackward(x) {
      if (isF64(x.dwte, x.dwpe, x.dout) || !x.dwpe) return refKernels.encoderBackward(x);
      set(ptr(x.dwte, 'dwte'), ptr(x.dwpe, 'dwpe'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), x.B, x.T, x.C);
      pool.run(FN.encoderBackward, x.B * x.T * x.C >= PARALLEL_MIN && x.C >= 8);
    },
    matmulForward(x) {
      if (isF64(x.out, x.inp, x.weight, x.bias)) return refKernels.matmulForward(x);
      const { BT, C, OC } = x;
      const out = ptr(x.out, 'out');
      const inp = ptr(x.inp, 'inp');
      const w = ptr(x.weight, 'weight');
      const bias = ptr(x.bias, 'bias');
      const par = BT * C * OC >= PARALLEL_MIN;
      if (BT <= MATVEC_MAX_ROWS) {
        set(out, inp, w, bias, BT, C, OC);
        pool.run(FN.matvec, BT * C * OC >= MATVEC_PARALLEL_MIN && OC >= 8);
        return;
      }
      const panels = Math.ceil(OC / 8);
      // k-chunks whose packed panels fit the reserved space; the first overwrites, the rest add
      const Kc = Math.max(1, Math.min(C, Math.floor(PACK_FLOATS / (panels * 8))));
      for (let k0 = 0; k0 < C || k0 === 0; k0 += Kc) {
        const kc = Math.min(Kc, C - k0);
        set(w, C * 4, OC, k0, kc, packPtr);
        pool.run(FN.pack, par);
        set(BT, OC, kc, inp + k0 * 4, C * 4, 4, packPtr, 32, kc * 32, out, OC * 4, k0 === 0 ? bias : 0, k0 === 0 ? 0 : 1);
        pool.run(FN.gemmFwd, par);
        if (C === 0) break;
      }
    },
    matmulBackward(x) {
      if (isF64(x.dinp, x.dweight, x.dbias, x.dout, x.inp, x.weight)) return refKernels.matmulBackward(x);
      const { BT, C, OC } = x;
      const dout = ptr(x.dout, 'dout');
      const inp = ptr(x.inp, 'inp');
      const w = ptr(x.weight, 'weight');
      const dweight = ptr(x.dweight, 'dweight');
      const dinp = ptr(x.dinp, 'dinp');
      const par = BT * C * OC >= PARALLEL_MIN;
      // dinp += dout W: W's rows packed into 8-wide column panels (k-chunks of OC rows that fit the
      // panel space), so the product runs through gemmFwd's contiguous B stream
      if (dinp && OC > 0) {
        const KcW = Math.max(1, Math.min(OC, Math.floor(PACK_FLOATS / (Math.ceil(C / 8) * 8))));
        for (let k0 = 0; k0 < OC; k0 += KcW) {
          const kc = Math.min(KcW, OC - k0);
          set(w, C * 4, C, k0, kc, packPtr, 0);
          pool.run(FN.packRows8, par);
          set(BT, C, kc, dout + k0 * 4, OC * 4, 4, packPtr, 32, kc * 32, dinp, C * 4, 0, 1);
          pool.run(FN.gemmFwd, par);
        }
      }
      // dweight sums over the batch rows: pack inp and dout rows in chunks that fit the panel space
      const cPad = Math.ceil(C / 8) * 8;
      const Kc = Math.max(1, Math.min(BT, Math.floor(PACK_FLOATS / (cPad + Math.ceil(OC / 4) * 4))));
      const packA = packPtr + Kc * cPad * 4;
      // with dweight, packDw sums dout's columns into dbias as it packs them; without, colsum does
      const dbias = ptr(x.dbias, 'dbias');
      if (dweight) {
        set(inp, C, dout, OC, 0, Math.min(Kc, BT), packPtr, packA, dbias);
        pool.run(FN.packDw, par);
      }
      set(0, dweight, dweight ? 0 : dbias, dout, packPtr, packA, Math.min(Kc, BT), w, BT, C, OC);
      pool.run(FN.matmulBackward, par);
      for (let k0 = Kc; dweight && k0 < BT; k0 += Kc) {
        const kc = Math.min(Kc, BT - k0);
        set(inp, C, dout, OC, k0, kc, packPtr, packA, dbias);
        pool.run(FN.packDw, par);
        set(OC, C, kc, packA, kc * 4, 16, packPtr, 32, kc * 32, dweight, C * 4, 0, 1);
        pool.run(FN.gemmDw, par);
      }
    },
    layernormForward(x) {
      if (isF64(x.out, x.mean, x.rstd, x.inp, x.weight, x.bias)) return refKernels.layernormForward(x);
      set(ptr(x.out, 'out'), ptr(x.mean, 'mean'), ptr(x.rstd, 'rstd'), ptr(x.inp, 'inp'), ptr(x.weight, 'weight'), ptr(x.bias, 'bias'), x.N, x.C, x.eps);
      pool.run(FN.layernormForward, x.N * x.C >= PARALLEL_MIN);
    },
    layernormBackward(x) {
      if (isF64(x.dinp, x.dweight, x.dbias, x.dout, x.inp, x.weight, x.mean, x.rstd)) return refKernels.layernormBackward(x);
      set(
        ptr(x.dinp, 'dinp'),
        ptr(x.dweight, 'dweight'),
        ptr(x.dbias, 'dbias'),
        ptr(x.dout, 'dout'),
        ptr(x.inp, 'inp'),
        ptr(x.weight, 'weight'),
        ptr(x.mean, 'mean'),
        ptr(x.rstd, 'rstd'),
        x.N,
        x.C,
      );
      pool.run(FN.layernormBackward, x.N * x.C >= PARALLEL_MIN && x.C >= 8);
    },
    attentionForward(x) {
      if (isF64(x.out, x.att, x.inp, x.drop ?? null)) return refKernels.attentionForward(x);
      checkHeads(x.C, x.NH);
      const par = x.B * x.NH > 1 && x.B * x.T * x.T * x.C >= PARALLEL_MIN;
      const drop = x.drop ? ptr(x.drop, 'drop') : 0;
      if (blockedFits(x.T, x.C / x.NH)) {
        set(ptr(x.out, 'out'), ptr(x.att, 'att'), ptr(x.inp, 'inp'), x.B, x.T, x.C, x.NH, packPtr, CHUNK_FLOATS * 4, drop);
        pool.run(drop ? FN.attentionForwardBlockedDrop : FN.attentionForwardBlocked, par);
      } else {
        set(ptr(x.out, 'out'), ptr(x.att, 'att'), ptr(x.inp, 'inp'), x.B, x.T, x.C, x.NH, drop);
        pool.run(drop ? FN.attentionForwardDrop : FN.attentionForward, par);
      }
    },
    attentionBackward(x) {
      if (isF64(x.dinp, x.scratch, x.dout, x.inp, x.att, x.drop ?? null)) return refKernels.attentionBackward(x);
      checkHeads(x.C, x.NH);
      const drop = x.drop ? ptr(x.drop, 'drop') : 0;
      const par = x.B * x.NH > 1 && x.B * x.T * x.T * x.C >= PARALLEL_MIN;
      const common = [ptr(x.dinp, 'dinp'), ptr(x.scratch, 'scratch'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), ptr(x.att, 'att'), x.B, x.T, x.C, x.NH];
      if (blockedFits(x.T, x.C / x.NH)) {
        set(...common, packPtr, CHUNK_FLOATS * 4, drop);
        pool.run(drop ? FN.attentionBackwardBlockedDrop : FN.attentionBackwardBlocked, par);
      } else {
        set(...common, drop);
        pool.run(drop ? FN.attentionBackwardDrop : FN.attentionBackward, par);
      }
    },
    attentionDecode(x) {
      if (isF64(x.out, x.att, x.q, x.k, x.v)) return refKernels.attentionDecode(x);
      checkHeads(x.C, x.NH);
      if (!(x.L >= 1)) throw new ScratchError(`attentionDecode: L must be at least 1, got ${x.L}`);
      set(ptr(x.out, 'out'), ptr(x.att, 'att'), ptr(x.q, 'q'), ptr(x.k, 'k'), ptr(x.v, 'v'), x.L, x.C, x.NH);
      pool.run(FN.attentionDecode, x.NH > 1 && x.L * x.C >= PARALLEL_MIN / 2);
    },
    geluForward(x) {
      if (isF64(x.out, x.inp)) return refKernels.geluForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), x.N);
      pool.run(FN.geluForward, x.N >= PARALLEL_MIN / 4);
    },
    geluBackward(x) {
      if (isF64(x.dinp, x.inp, x.dout)) return refKernels.geluBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.inp, 'inp'), ptr(x.dout, 'dout'), x.N);
      pool.run(FN.geluBackward, x.N >= PARALLEL_MIN / 4);
    },
    residualForward(x) {
      if (isF64(x.out, x.inp1, x.inp2)) return refKernels.residualForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp1, 'inp1'), ptr(x.inp2, 'inp2'), x.N);
      pool.run(FN.residualForward, x.N >= PARALLEL_MIN);
    },
    residualBackward(x) {
      if (isF64(x.dinp1, x.dinp2, x.dout)) return refKernels.residualBackward(x);
      set(ptr(x.dinp1, 'dinp1'), ptr(x.dinp2, 'dinp2'), ptr(x.dout, 'dout'), x.N);
      pool.run(FN.residualBackward, x.N >= PARALLEL_MIN);
    },
    crossEntropyForward(x) {
      if (isF64(x.losses, x.probs, x.logits)) return refKernels.crossEntropyForward(x);
      set(ptr(x.losses, 'losses'), ptr(x.probs, 'probs'), ptr(x.logits, 'logits'), ptr(x.targets, 'targets'), x.BT, x.V);
      pool.run(FN.crossEntropyForward, x.BT * x.V >= PARALLEL_MIN / 4);
    },
    crossEntropyBackward(x) {
      if (isF64(x.dlogits, x.probs)) return refKernels.crossEntropyBackward(x);
      set(ptr(x.dlogits, 'dlogits'), ptr(x.probs, 'probs'), ptr(x.targets, 'targets'), x.scale, x.BT, x.V);
      pool.run(FN.crossEntropyBackward, x.BT * x.V >= PARALLEL_MIN);
    },
    dropoutForward(x) {
      if (isF64(x.mask, x.out, x.inp)) return refKernels.dropoutForward(x);
      set(ptr(x.mask, 'mask'), ptr(x.out, 'out'), ptr(x.inp, 'inp'), x.N, x.seed | 0, dropThreshold(x.p) | 0, 1 / (1 - x.p));
      pool.run(x.out && x.inp ? FN.dropoutForward : FN.dropoutMask, x.N >= PARALLEL_MIN / 4);
    },
    dropoutBackward(x) {
      if (isF64(x.dinp, x.dout, x.mask)) return refKernels.dropoutBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.dout, 'dout'), ptr(x.mask, 'mask'), x.N);
      pool.run(FN.dropoutBackward, x.N >= PARALLEL_MIN);
    },
    adamw(x) {
      if (isF64(x.params, x.grads, x.m, x.v)) return refKernels.adamw(x);
      const bc1 = 1 - Math.pow(x.beta1, x.t);
      const bc2 = 1 - Math.pow(x.beta2, x.t);
      set(ptr(x.params, 'params'), ptr(x.grads, 'grads'), ptr(x.m, 'm'), ptr(x.v, 'v'), x.N, x.beta1, x.beta2, x.eps, 1 - x.lr * x.weightDecay, x.lr / bc1, 1 / bc2);
      pool.run(FN.adamw, x.N >= PARALLEL_MIN / 4);
    },
    sumSquares(x) {
      if (isF64(x.inp)) return refKernels.sumSquares(x);
      set(ptr(x.inp, 'inp'), x.N, PARTS_BYTE);
      const par = x.N >= PARALLEL_MIN;
      pool.run(FN.sumSquares, par);
      let s = 0;
      for (let i = 0; i < pool.lastChunks; i++) s += pool.parts[i]!;
      return s;
    },
    scale(x) {
      if (isF64(x.inout)) return refKernels.scale(x);
      set(ptr(x.inout, 'inout'), x.N, x.s);
      pool.run(FN.scale, x.N >= PARALLEL_MIN);
    },
    rmsnormForward(x) {
      if (isF64(x.out, x.rstd, x.inp, x.weight)) return refKernels.rmsnormForward(x);
      set(ptr(x.out, 'out'), ptr(x.rstd, 'rstd'), ptr(x.inp, 'inp'), ptr(x.weight, 'weight'), x.N, x.C, x.eps);
      pool.run(FN.rmsnormForward, x.N * x.C >= PARALLEL_MIN);
    },
    rmsnormBackward(x) {
      if (isF64(x.dinp, x.dweight, x.dout, x.inp, x.weight, x.rstd)) return refKernels.rmsnormBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.dweight, 'dweight'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), ptr(x.weight, 'weight'), ptr(x.rstd, 'rstd'), x.N, x.C);
      pool.run(FN.rmsnormBackward, x.N * x.C >= PARALLEL_MIN && x.C >= 8);
    },
    qkForward(x) {
      if (isF64(x.out, x.rstd, x.inp, x.cos, x.sin)) return refKernels.qkForward(x);
      // positions from plain JS memory (a decode step's) are read by the reference loops
      if (x.pos && !arena.owns(x.pos)) return refKernels.qkForward(x);
      set(ptr(x.out, 'out'), ptr(x.rstd, 'rstd'), ptr(x.inp, 'inp'), ptr(x.cos, 'cos'), ptr(x.sin, 'sin'), x.B, x.T, x.C, x.NH, ptr(x.pos, 'pos'), x.eps);
      pool.run(FN.qkForward, x.B * x.T * x.C >= PARALLEL_MIN / 4);
    },
    qkBackward(x) {
      if (isF64(x.dinp, x.dout, x.inp, x.rstd, x.cos, x.sin)) return refKernels.qkBackward(x);
      if (x.pos && !arena.owns(x.pos)) return refKernels.qkBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), ptr(x.rstd, 'rstd'), ptr(x.cos, 'cos'), ptr(x.sin, 'sin'), x.B, x.T, x.C, x.NH, ptr(x.pos, 'pos'));
      pool.run(FN.qkBackward, x.B * x.T * x.C >= PARALLEL_MIN / 4);
    },
    relu2Forward(x) {
      if (isF64(x.out, x.inp)) return refKernels.relu2Forward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), x.N);
      pool.run(FN.relu2Forward, x.N >= PARALLEL_MIN);
    },
    relu2Backward(x) {
      if (isF64(x.dinp, x.inp, x.dout)) return refKernels.relu2Backward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.inp, 'inp'), ptr(x.dout, 'dout'), x.N);
      pool.run(FN.relu2Backward, x.N >= PARALLEL_MIN);
    },
    swigluForward(x) {
      if (isF64(x.out, x.inp)) return refKernels.swigluForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), x.N, x.H);
      pool.run(FN.swigluForward, x.N * x.H >= PARALLEL_MIN / 4);
    },
    swigluBackward(x) {
      if (isF64(x.dinp, x.inp, x.dout)) return refKernels.swigluBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.inp, 'inp'), ptr(x.dout, 'dout'), x.N, x.H);
      pool.run(FN.swigluBackward, x.N * x.H >= PARALLEL_MIN / 4);
    },
    softcapForward(x) {
      if (isF64(x.out, x.inp)) return refKernels.softcapForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), x.N, x.cap, 1 / x.cap);
      pool.run(FN.softcapForward, x.N >= PARALLEL_MIN / 4);
    },
    softcapBackward(x) {
      if (isF64(x.dinp, x.out, x.dout)) return refKernels.softcapBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.out, 'out'), ptr(x.dout, 'dout'), x.N, 1 / x.cap);
      pool.run(FN.softcapBackward, x.N >= PARALLEL_MIN);
    },
    // one row, sequential walk: the reference loops on the same memory (a page samples one
    // sequence at a time, and JavaScript's float64 loops are as fast as scalar wasm here)
    sampleRow: (x) => refKernels.sampleRow(x),
  };
  return Object.freeze(k);
}

/** Whether one head's packed panels (T x hs, both padded to 8) fit a chunk's scratch. */
function blockedFits(T: number, hs: number): boolean {
  return Math.ceil(T / 8) * 8 * Math.ceil(hs / 8) * 8 <= CHUNK_FLOATS;
}

function checkHeads(C: number, NH: number): void {
  if (!Number.isInteger(NH) || NH <= 0 || C % NH !== 0) throw new ScratchError(`attention: C=${C} is not a multiple of NH=${NH}`);
}
