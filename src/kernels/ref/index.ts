import type { Backend, Kernels } from '../types.js';
import { attentionBackward, attentionDecode, attentionForward } from './attention.js';
import { dropoutBackward, dropoutForward } from './dropout.js';
import {
  encoderBackward,
  encoderForward,
  geluBackward,
  geluForward,
  layernormBackward,
  layernormForward,
  residualBackward,
  residualForward,
} from './layers.js';
import { adamw, crossEntropyBackward, crossEntropyForward, scale, sumSquares } from './loss.js';
import { matmulBackward, matmulForward, matmulPacked, packWeight } from './matmul.js';
import { sampleRow } from './sample.js';
import {
  qkBackward,
  qkForward,
  relu2Backward,
  relu2Forward,
  rmsnormBackward,
  rmsnormForward,
  softcapBackward,
  softcapForward,
  swigluBackward,
  swigluForward,
} from './modern.js';

/** The plain TypeScript kernels: naive loops, the reference every fast backend is checked against. */
export const refKernels: Kernels = Object.freeze({
  name: 'ref',
  // P = 1 is the weight's own layout (row o is panel o): nothing to gain from packing here
  packPanel: 1,
  encoderForward,
  encoderBackward,
  matmulForward,
  matmulBackward,
  packWeight,
  matmulPacked,
  layernormForward,
  layernormBackward,
  attentionForward,
  attentionBackward,
  attentionDecode,
  geluForward,
  geluBackward,
  residualForward,
  residualBackward,
  crossEntropyForward,
  crossEntropyBackward,
  dropoutForward,
  dropoutBackward,
  adamw,
  sumSquares,
  scale,
  rmsnormForward,
  rmsnormBackward,
  qkForward,
  qkBackward,
  relu2Forward,
  relu2Backward,
  swigluForward,
  swigluBackward,
  softcapForward,
  softcapBackward,
  sampleRow,
});

/** The reference backend: JavaScript heap memory, reclaimed by the garbage collector. */
export const refBackend: Backend = Object.freeze({
  name: 'ref',
  kernels: refKernels,
  threads: 1,
  allocF32: (n: number) => new Float32Array(n),
  allocI32: (n: number) => new Int32Array(n),
  scope: <T>(fn: () => T): T => fn(),
});
