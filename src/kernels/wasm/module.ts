import { type Fn, V, F, assemble, Fn as FnClass } from './asm.js';
import { adamw, encoderBackward, encoderForward, geluBackward, geluForward, residualBackward, residualForward, scale, sumSquares } from './gen-elementwise.js';
import { colsum, gemm, matmulBackward, pack, packDw, packRows } from './gen-matmul.js';
import { crossEntropyBackward, crossEntropyForward, layernormBackward, layernormForward } from './gen-rows.js';
import { attentionBackward, attentionForward } from './gen-attention.js';
import { attentionBackwardBlocked, attentionForwardBlocked } from './gen-attention-blocked.js';
import { dropoutBackward, dropoutForward } from './gen-dropout.js';
import { qkBackward, qkForward, relu2Backward, relu2Forward, rmsnormBackward, rmsnormForward, softcapBackward, softcapForward, swigluBackward, swigluForward } from './gen-modern.js';
import { attentionDecode, matvec } from './gen-decode.js';

/** JavaScript functions the module imports (f64 -> f64), in import order. */
export const IMPORTS = ['log'] as const;

/** Every exported function, in module order; the thread pool names them by index in this list. */
export const FN_NAMES = [
  'gemmFwd', 'gemmDinp', 'gemmDw', 'colsum', 'pack', 'packRows8', 'packRows4', 'packDw', 'matmulBackward',
  'encoderForward', 'encoderBackward', 'layernormForward', 'layernormBackward',
  'attentionForward', 'attentionForwardBlocked', 'attentionBackward', 'attentionBackwardBlocked',
  'attentionForwardDrop', 'attentionForwardBlockedDrop', 'attentionBackwardDrop', 'attentionBackwardBlockedDrop', 'geluForward', 'geluBackward',
  'residualForward', 'residualBackward', 'crossEntropyForward', 'crossEntropyBackward',
  'dropoutForward', 'dropoutMask', 'dropoutBackward', 'adamw', 'sumSquares', 'scale',
  'rmsnormForward', 'rmsnormBackward', 'qkForward', 'qkBackward', 'relu2Forward', 'relu2Backward', 'swigluForward', 'swigluBackward', 'softcapForward', 'softcapBackward',
  'matvec', 'attentionDecode',
] as const;
export type FnName = (typeof FN_NAMES)[number];
export const FN: Record<FnName, number> = Object.fromEntries(FN_NAMES.map((n, i) => [n, i])) as Record<FnName, number>;

/**
 * The kernels module's bytes; `relaxed` chooses relaxed-SIMD FMA over separate mul and add;
 * `shared: false` imports a plain (unshared) memory.
 */
export function kernelModuleBytes(relaxed: boolean, maxPages: number, shared = true): Uint8Array<ArrayBuffer> {
  const callOf = (name: string): number => IMPORTS.length + FN_NAMES.indexOf(name as FnName);
  const logIndex = IMPORTS.indexOf('log');
  const gens: Record<FnName, () => Fn> = {
    gemmFwd: () => gemm('gemmFwd', { aContig: true, bPacked: true, unroll: 1 }, relaxed),
    gemmDinp: () => gemm('gemmDinp', { aContig: true, bPacked: false, unroll: 1 }, relaxed),
    gemmDw: () => gemm('gemmDw', { aContig: false, bPacked: true, unroll: 1 }, relaxed),
    colsum: () => colsum(relaxed),
    pack: () => pack(),
    packRows8: () => packRows(8),
    packRows4: () => packRows(4),
    packDw: () => packDw(callOf),
    matmulBackward: () => matmulBackward(callOf),
    encoderForward: () => encoderForward(relaxed),
    encoderBackward: () => encoderBackward(relaxed),
    layernormForward: () => layernormForward(relaxed),
    layernormBackward: () => layernormBackward(relaxed),
    attentionForward: () => attentionForward(relaxed),
    attentionForwardBlocked: () => attentionForwardBlocked(relaxed, callOf),
    attentionBackward: () => attentionBackward(relaxed),
    attentionBackwardBlocked: () => attentionBackwardBlocked(relaxed, callOf),
    attentionForwardDrop: () => attentionForward(relaxed, true),
    attentionForwardBlockedDrop: () => attentionForwardBlocked(relaxed, callOf, true),
    attentionBackwardDrop: () => attentionBackward(relaxed, true),
    attentionBackwardBlockedDrop: () => attentionBackwardBlocked(relaxed, callOf, true),
    geluForward: () => geluForward(relaxed),
    geluBackward: () => geluBackward(relaxed),
    residualForward: () => residualForward(relaxed),
    residualBackward: () => residualBackward(relaxed),
    crossEntropyForward: () => crossEntropyForward(relaxed, logIndex),
    crossEntropyBackward: () => crossEntropyBackward(relaxed),
    dropoutForward: () => dropoutForward(true),
    dropoutMask: () => dropoutForward(false),
    dropoutBackward: () => dropoutBackward(relaxed),
    adamw: () => adamw(relaxed),
    sumSquares: () => sumSquares(),
    scale: () => scale(relaxed),
    rmsnormForward: () => rmsnormForward(relaxed),
    rmsnormBackward: () => rmsnormBackward(relaxed),
    qkForward: () => qkForward(relaxed),
    qkBackward: () => qkBackward(relaxed),
    relu2Forward: () => relu2Forward(relaxed),
    relu2Backward: () => relu2Backward(relaxed),
    swigluForward: () => swigluForward(relaxed),
    swigluBackward: () => swigluBackward(relaxed),
    softcapForward: () => softcapForward(relaxed),
    softcapBackward: () => softcapBackward(relaxed),
    matvec: () => matvec(relaxed),
    attentionDecode: () => attentionDecode(relaxed),
  };
  return assemble(FN_NAMES.map((n) => gens[n]()), [...IMPORTS], maxPages, shared);
}

/**
 * What this engine can run: SIMD at all, relaxed-SIMD FMA (Node 20 needs a V8 flag for it), and
 * shared memory (SharedArrayBuffer: threads; browsers have it on cross-origin-isolated pages only).
 */
export function wasmFeatures(): { simd: boolean; relaxed: boolean; shared: boolean } {
  const shared = typeof SharedArrayBuffer === 'function';
  if (typeof WebAssembly !== 'object') return { simd: false, relaxed: false, shared };
  const probe = (relaxed: boolean): boolean => {
    const f = new FnClass('probe', [['x', 'f32']]);
    f.results = ['f32'];
    const v = V.splat([0x20, 0]);
    f.body = V.lane(relaxed ? V.relaxedMadd(v, v, v) : V.add(v, V.splat(F.c(1))), 0);
    try {
      return WebAssembly.validate(assemble([f], [], 1, shared));
    } catch {
      return false;
    }
  };
  const simd = probe(false);
  return { simd, relaxed: simd && probe(true), shared };
}

export function importObject(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { env: { memory, log: Math.log } };
}
