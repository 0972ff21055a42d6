import { ScratchError } from '../../core/errors.js';
import { dropThreshold } from '../ref/dropout.js';
import { KERNEL_OPS, type Buf, type KernelOp, type Kernels, packedFloats } from '../types.js';
import type { NativeArena } from './arena.js';

/**
 * The Kernels interface over the addon: each call writes its buffers' region offsets and its
 * sizes into the float64 argument block at the start of the region and runs one kernel, which
 * splits its work across the addon's threads. Float64Array arguments (gradient checks) go to the
 * TypeScript reference. An op the addon does not have (one added to the interface after it was
 * written) runs the reference kernel on the same memory: native buffers are ordinary typed-array
 * views, so it just works, only slower.
 */

/** The addon's ops, in the order of native/src/common.h. */
const OPS = [
  'encoderForward', 'encoderBackward', 'matmulForward', 'matmulBackward', 'layernormForward', 'layernormBackward',
  'attentionForward', 'attentionBackward', 'geluForward', 'geluBackward', 'residualForward', 'residualBackward',
  'crossEntropyForward', 'crossEntropyBackward', 'dropoutForward', 'dropoutBackward', 'adamw', 'sumSquares', 'scale',
  'attentionDecode',
  'rmsnormForward', 'rmsnormBackward', 'qkForward', 'qkBackward', 'relu2Forward', 'relu2Backward', 'swigluForward', 'swigluBackward',
  'softcapForward', 'softcapBackward', 'sampleRow', 'packPanel', 'packWeight', 'matmulPacked',
] as const;
const OP = Object.fromEntries(OPS.map((o, i) => [o, i])) as Record<(typeof OPS)[number], number>;

/** Below this many multiply-adds (or elements) a kernel runs on the calling thread alone. */
const PARALLEL_MIN = 32768;

export type RunOp = (op: number, parallel: boolean) => number;

/** The ops the addon implements (the rest delegate to the reference). */
export const NATIVE_OPS: readonly string[] = OPS;

export function nativeKernels(name: string, ref: Kernels, arena: NativeArena, run: RunOp, a: Float64Array): Kernels {
  const ptr = (b: Buf | Int32Array | null | undefined, what: string): number => {
    if (b === null || b === undefined) return 0;
    const off = arena.offset(b);
    if (off < 0) throw new ScratchError(`${name} kernels: buffer '${what}' was not allocated by this backend (use backend.allocF32/allocI32)`);
    return off;
  };
  const isF64 = (...bs: (Buf | null | undefined)[]): boolean => bs.some((b) => b instanceof Float64Array);
  const set = (...v: number[]): void => {
    for (let i = 0; i < v.length; i++) a[i] = v[i]!;
  };

  /** The variant's panel width (k_packed.h: its register tile, 3 vectors wide). */
  const panel = run(OP.packPanel, false);
  const k: Record<string, unknown> = {
    name,
    packPanel: panel,
    packWeight(x: Parameters<Kernels['packWeight']>[0]) {
      if (isF64(x.out, x.weight) || x.P !== panel) return ref.packWeight(x);
      checkPacked(x.out.length, x.C, x.OC, x.P);
      set(ptr(x.out, 'out'), ptr(x.weight, 'weight'), x.C, x.OC, x.P);
      run(OP.packWeight, x.C * x.OC >= PARALLEL_MIN);
    },
    matmulPacked(x: Parameters<Kernels['matmulPacked']>[0]) {
      if (isF64(x.out, x.inp, x.packed, x.bias)) return ref.matmulPacked(x);
      if (x.P === 1) return (k.matmulForward as Kernels['matmulForward'])({ out: x.out, inp: x.inp, weight: x.packed, bias: x.bias, BT: x.BT, C: x.C, OC: x.OC });
      if (x.P !== panel) return ref.matmulPacked(x);
      checkPacked(x.packed.length, x.C, x.OC, x.P);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), ptr(x.packed, 'packed'), ptr(x.bias, 'bias'), x.BT, x.C, x.OC, x.P);
      run(OP.matmulPacked, x.BT * x.C * x.OC >= PARALLEL_MIN);
    },
    encoderForward(x: Parameters<Kernels['encoderForward']>[0]) {
      if (isF64(x.out, x.wte, x.wpe)) return ref.encoderForward(x); // wpe null: no position table (rotary)
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), ptr(x.wte, 'wte'), ptr(x.wpe, 'wpe'), x.B, x.T, x.C);
      run(OP.encoderForward, x.B * x.T * x.C >= PARALLEL_MIN);
    },
    encoderBackward(x: Parameters<Kernels['encoderBackward']>[0]) {
      if (isF64(x.dwte, x.dwpe, x.dout)) return ref.encoderBackward(x);
      set(ptr(x.dwte, 'dwte'), ptr(x.dwpe, 'dwpe'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), x.B, x.T, x.C);
      run(OP.encoderBackward, x.B * x.T * x.C >= PARALLEL_MIN);
    },
    matmulForward(x: Parameters<Kernels['matmulForward']>[0]) {
      if (isF64(x.out, x.inp, x.weight, x.bias)) return ref.matmulForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), ptr(x.weight, 'weight'), ptr(x.bias, 'bias'), x.BT, x.C, x.OC);
      run(OP.matmulForward, x.BT * x.C * x.OC >= PARALLEL_MIN);
    },
    matmulBackward(x: Parameters<Kernels['matmulBackward']>[0]) {
      if (isF64(x.dinp, x.dweight, x.dbias, x.dout, x.inp, x.weight)) return ref.matmulBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.dweight, 'dweight'), ptr(x.dbias, 'dbias'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), ptr(x.weight, 'weight'), x.BT, x.C, x.OC);
      run(OP.matmulBackward, x.BT * x.C * x.OC >= PARALLEL_MIN);
    },
    layernormForward(x: Parameters<Kernels['layernormForward']>[0]) {
      if (isF64(x.out, x.mean, x.rstd, x.inp, x.weight, x.bias)) return ref.layernormForward(x);
      set(ptr(x.out, 'out'), ptr(x.mean, 'mean'), ptr(x.rstd, 'rstd'), ptr(x.inp, 'inp'), ptr(x.weight, 'weight'), ptr(x.bias, 'bias'), x.N, x.C, x.eps);
      run(OP.layernormForward, x.N * x.C >= PARALLEL_MIN);
    },
    layernormBackward(x: Parameters<Kernels['layernormBackward']>[0]) {
      if (isF64(x.dinp, x.dweight, x.dbias, x.dout, x.inp, x.weight, x.mean, x.rstd)) return ref.layernormBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.dweight, 'dweight'), ptr(x.dbias, 'dbias'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), ptr(x.weight, 'weight'), ptr(x.mean, 'mean'), ptr(x.rstd, 'rstd'), x.N, x.C);
      run(OP.layernormBackward, x.N * x.C >= PARALLEL_MIN);
    },
    attentionForward(x: Parameters<Kernels['attentionForward']>[0]) {
      if (isF64(x.out, x.att, x.inp, x.drop)) return ref.attentionForward(x);
      checkHeads(x.C, x.NH);
      set(ptr(x.out, 'out'), ptr(x.att, 'att'), ptr(x.inp, 'inp'), x.B, x.T, x.C, x.NH, ptr(x.drop, 'drop'));
      run(OP.attentionForward, true);
    },
    attentionBackward(x: Parameters<Kernels['attentionBackward']>[0]) {
      if (isF64(x.dinp, x.scratch, x.dout, x.inp, x.att, x.drop)) return ref.attentionBackward(x);
      checkHeads(x.C, x.NH);
      set(ptr(x.dinp, 'dinp'), ptr(x.scratch, 'scratch'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), ptr(x.att, 'att'), x.B, x.T, x.C, x.NH, ptr(x.drop, 'drop'));
      run(OP.attentionBackward, true);
    },
    attentionDecode(x: Parameters<Kernels['attentionDecode']>[0]) {
      if (isF64(x.out, x.att, x.q, x.k, x.v)) return ref.attentionDecode(x);
      checkHeads(x.C, x.NH);
      if (!(x.L >= 1)) throw new ScratchError(`attentionDecode: L must be at least 1, got ${x.L}`);
      set(ptr(x.out, 'out'), ptr(x.att, 'att'), ptr(x.q, 'q'), ptr(x.k, 'k'), ptr(x.v, 'v'), x.L, x.C, x.NH);
      run(OP.attentionDecode, true);
    },
    geluForward(x: Parameters<Kernels['geluForward']>[0]) {
      if (isF64(x.out, x.inp)) return ref.geluForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), x.N);
      run(OP.geluForward, true);
    },
    geluBackward(x: Parameters<Kernels['geluBackward']>[0]) {
      if (isF64(x.dinp, x.inp, x.dout)) return ref.geluBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.inp, 'inp'), ptr(x.dout, 'dout'), x.N);
      run(OP.geluBackward, true);
    },
    residualForward(x: Parameters<Kernels['residualForward']>[0]) {
      if (isF64(x.out, x.inp1, x.inp2)) return ref.residualForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp1, 'inp1'), ptr(x.inp2, 'inp2'), x.N);
      run(OP.residualForward, true);
    },
    residualBackward(x: Parameters<Kernels['residualBackward']>[0]) {
      if (isF64(x.dinp1, x.dinp2, x.dout)) return ref.residualBackward(x);
      set(ptr(x.dinp1, 'dinp1'), ptr(x.dinp2, 'dinp2'), ptr(x.dout, 'dout'), x.N);
      run(OP.residualBackward, true);
    },
    crossEntropyForward(x: Parameters<Kernels['crossEntropyForward']>[0]) {
      if (isF64(x.losses, x.probs, x.logits)) return ref.crossEntropyForward(x);
      set(ptr(x.losses, 'losses'), ptr(x.probs, 'probs'), ptr(x.logits, 'logits'), ptr(x.targets, 'targets'), x.BT, x.V);
      run(OP.crossEntropyForward, true);
    },
    crossEntropyBackward(x: Parameters<Kernels['crossEntropyBackward']>[0]) {
      if (isF64(x.dlogits, x.probs)) return ref.crossEntropyBackward(x);
      set(ptr(x.dlogits, 'dlogits'), ptr(x.probs, 'probs'), ptr(x.targets, 'targets'), x.scale, x.BT, x.V);
      run(OP.crossEntropyBackward, true);
    },
    dropoutForward(x: Parameters<Kernels['dropoutForward']>[0]) {
      if (isF64(x.mask, x.out, x.inp)) return ref.dropoutForward(x);
      const both = x.out && x.inp;
      set(ptr(x.mask, 'mask'), both ? ptr(x.out, 'out') : 0, both ? ptr(x.inp, 'inp') : 0, x.N, x.seed >>> 0, dropThreshold(x.p), 1 / (1 - x.p));
      run(OP.dropoutForward, true);
    },
    dropoutBackward(x: Parameters<Kernels['dropoutBackward']>[0]) {
      if (isF64(x.dinp, x.dout, x.mask)) return ref.dropoutBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.dout, 'dout'), ptr(x.mask, 'mask'), x.N);
      run(OP.dropoutBackward, true);
    },
    adamw(x: Parameters<Kernels['adamw']>[0]) {
      if (isF64(x.params, x.grads, x.m, x.v)) return ref.adamw(x);
      const bc1 = 1 - Math.pow(x.beta1, x.t);
      const bc2 = 1 - Math.pow(x.beta2, x.t);
      set(ptr(x.params, 'params'), ptr(x.grads, 'grads'), ptr(x.m, 'm'), ptr(x.v, 'v'), x.N, x.beta1, x.beta2, x.eps, 1 - x.lr * x.weightDecay, x.lr / bc1, 1 / bc2);
      run(OP.adamw, true);
    },
    sumSquares(x: Parameters<Kernels['sumSquares']>[0]) {
      if (isF64(x.inp)) return ref.sumSquares(x);
      set(ptr(x.inp, 'inp'), x.N);
      return run(OP.sumSquares, true);
    },
    rmsnormForward(x: Parameters<Kernels['rmsnormForward']>[0]) {
      if (isF64(x.out, x.rstd, x.inp, x.weight)) return ref.rmsnormForward(x);
      set(ptr(x.out, 'out'), ptr(x.rstd, 'rstd'), ptr(x.inp, 'inp'), ptr(x.weight, 'weight'), x.N, x.C, x.eps);
      run(OP.rmsnormForward, x.N * x.C >= PARALLEL_MIN);
    },
    rmsnormBackward(x: Parameters<Kernels['rmsnormBackward']>[0]) {
      if (isF64(x.dinp, x.dweight, x.dout, x.inp, x.weight, x.rstd)) return ref.rmsnormBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.dweight, 'dweight'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), ptr(x.weight, 'weight'), ptr(x.rstd, 'rstd'), x.N, x.C);
      run(OP.rmsnormBackward, x.N * x.C >= PARALLEL_MIN);
    },
    qkForward(x: Parameters<Kernels['qkForward']>[0]) {
      // a head wider than the kernel's one-head scratch (1024) takes the reference
      if (isF64(x.out, x.rstd, x.inp, x.cos, x.sin) || x.C / x.NH > 1024) return ref.qkForward(x);
      // positions from plain JS memory (a decode step's: a few rows) are read by the reference loops
      if (x.pos && arena.offset(x.pos) < 0) return ref.qkForward(x);
      checkHeads(x.C, x.NH);
      set(ptr(x.out, 'out'), ptr(x.rstd, 'rstd'), ptr(x.inp, 'inp'), ptr(x.cos, 'cos'), ptr(x.sin, 'sin'), ptr(x.pos, 'pos'), x.B, x.T, x.C, x.NH, x.eps);
      run(OP.qkForward, x.B * x.T * x.C >= PARALLEL_MIN);
    },
    qkBackward(x: Parameters<Kernels['qkBackward']>[0]) {
      if (isF64(x.dinp, x.dout, x.inp, x.rstd, x.cos, x.sin) || x.C / x.NH > 1024) return ref.qkBackward(x);
      if (x.pos && arena.offset(x.pos) < 0) return ref.qkBackward(x);
      checkHeads(x.C, x.NH);
      set(ptr(x.dinp, 'dinp'), ptr(x.dout, 'dout'), ptr(x.inp, 'inp'), ptr(x.rstd, 'rstd'), ptr(x.cos, 'cos'), ptr(x.sin, 'sin'), ptr(x.pos, 'pos'), x.B, x.T, x.C, x.NH);
      run(OP.qkBackward, x.B * x.T * x.C >= PARALLEL_MIN);
    },
    relu2Forward(x: Parameters<Kernels['relu2Forward']>[0]) {
      if (isF64(x.out, x.inp)) return ref.relu2Forward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), x.N);
      run(OP.relu2Forward, true);
    },
    relu2Backward(x: Parameters<Kernels['relu2Backward']>[0]) {
      if (isF64(x.dinp, x.inp, x.dout)) return ref.relu2Backward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.inp, 'inp'), ptr(x.dout, 'dout'), x.N);
      run(OP.relu2Backward, true);
    },
    swigluForward(x: Parameters<Kernels['swigluForward']>[0]) {
      if (isF64(x.out, x.inp)) return ref.swigluForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), x.N, x.H);
      run(OP.swigluForward, x.N * x.H >= PARALLEL_MIN);
    },
    swigluBackward(x: Parameters<Kernels['swigluBackward']>[0]) {
      if (isF64(x.dinp, x.inp, x.dout)) return ref.swigluBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.inp, 'inp'), ptr(x.dout, 'dout'), x.N, x.H);
      run(OP.swigluBackward, x.N * x.H >= PARALLEL_MIN);
    },
    softcapForward(x: Parameters<Kernels['softcapForward']>[0]) {
      if (isF64(x.out, x.inp)) return ref.softcapForward(x);
      set(ptr(x.out, 'out'), ptr(x.inp, 'inp'), x.N, x.cap);
      run(OP.softcapForward, true);
    },
    softcapBackward(x: Parameters<Kernels['softcapBackward']>[0]) {
      if (isF64(x.dinp, x.out, x.dout)) return ref.softcapBackward(x);
      set(ptr(x.dinp, 'dinp'), ptr(x.out, 'out'), ptr(x.dout, 'dout'), x.N, x.cap);
      run(OP.softcapBackward, true);
    },
    scale(x: Parameters<Kernels['scale']>[0]) {
      if (isF64(x.inout)) return ref.scale(x);
      set(ptr(x.inout, 'inout'), x.N, x.s);
      run(OP.scale, true);
    },
    sampleRow(x: Parameters<Kernels['sampleRow']>[0]) {
      // logits copied out to JavaScript memory (a prefill's): the reference, which gives the same draw
      if (isF64(x.logits, x.weights) || !arena.owns(x.logits) || !arena.owns(x.weights)) return ref.sampleRow(x);
      set(ptr(x.logits, 'logits'), ptr(x.weights, 'weights'), x.V, x.invT, x.u);
      return run(OP.sampleRow, false);
    },
  };
  // ops added to the interface after this backend: the reference kernel, on the same memory
  for (const op of KERNEL_OPS as readonly KernelOp[]) if (!(op in k)) k[op] = (ref as unknown as Record<string, unknown>)[op];
  return Object.freeze(k) as unknown as Kernels;
}

/** A packed buffer shorter than its shape needs would let the kernel read or write past it. */
function checkPacked(n: number, C: number, OC: number, P: number): void {
  const need = packedFloats(C, OC, P);
  if (n < need) throw new ScratchError(`packed weight: ${OC} x ${C} in panels of ${P} needs ${need} floats, the buffer holds ${n}`);
}

function checkHeads(C: number, NH: number): void {
  if (!Number.isInteger(NH) || NH <= 0 || C % NH !== 0) throw new ScratchError(`attention: C=${C} is not a multiple of NH=${NH}`);
}
