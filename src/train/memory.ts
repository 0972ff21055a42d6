/**
 * What a training run will need before it allocates: parameters, gradients, the two AdamW moments
 * (4 bytes each) and the activations the forward pass saves for backward, with their gradients.
 */
import { ScratchError } from '../core/errors.js';
import { countParams, mlpWidth, type GPTConfig } from '../model/config.js';

/** The bytes a run needs, by part. */
export interface MemoryEstimate {
  params: number;
  grads: number;
  optimizer: number;
  activations: number;
  /** Kernel packing space, batch buffers, allocator slack: 64 MiB plus 5 % of the activations. */
  workspace: number;
  total: number;
}

const GiB = 1024 ** 3;

/** Bytes as GiB for messages ("0.153 GiB"). */
export function gib(bytes: number): string {
  return `${(bytes / GiB).toFixed(bytes < GiB / 10 ? 3 : 2)} GiB`;
}

/** Bytes for one micro-batch of B sequences of T tokens. */
export function estimateMemory(c: GPTConfig, B: number, T: number): MemoryEstimate {
  const P = countParams(c);
  const C = c.nEmbd;
  const BT = B * T;
  // per layer: ~10 tensors of (B, T, C) (norms, residuals, projections, dropout masks),
  // q/k/v (3C, twice with QK-norm or rotary positions) and the MLP's hidden (B, T, H) twice
  // (SwiGLU: 2H, then H), each with its gradient
  const H = mlpWidth(c);
  const qkv = BT * 3 * C * (c.qkNorm || c.positions === 'rope' ? 2 : 1);
  const perLayer = (BT * C * 10 + qkv + BT * H * (c.mlp === 'swiglu' ? 3 : 2)) * 2;
  // attention probabilities (B, NH, T, T), the backward pass's scratch and, with dropout, the
  // dropped probabilities: no gradients of their own
  const attention = B * c.nHead * T * T * (c.dropout > 0 ? 3 : 2);
  const head = (BT * C * 3 + BT * c.vocabSize * (c.logitSoftcap > 0 ? 3 : 2)) * 2; // embeddings, final norm; logits and probabilities
  const actFloats = c.nLayer * (perLayer + attention) + head;
  // measured: shakespeare's piece of 16 grows the wasm arena 0.2 % past params + ... + activations
  const e = { params: 4 * P, grads: 4 * P, optimizer: 8 * P, activations: 4 * actFloats, workspace: 64 * 2 ** 20 + 0.2 * actFloats, total: 0 };
  e.total = e.params + e.grads + e.optimizer + e.activations + e.workspace;
  return e;
}

/**
 * The fewest equal pieces a batch of B sequences splits into so that one piece's estimate fits in
 * `available` bytes (1 when the whole batch fits), or null when not even one sequence does. The
 * pieces' gradients add up to the whole batch's, so splitting changes memory, not the step.
 */
export function batchPieces(c: GPTConfig, B: number, T: number, available: number): number | null {
  for (let k = 1; k <= B; k++) if (B % k === 0 && estimateMemory(c, B / k, T).total <= available) return k;
  return null;
}

/**
 * Bytes a run may use: --max-memory (GiB; 0 for what is available), never more than the kernels
 * can address (the wasm kernels: 4 GiB). `capped` when that limit is what binds.
 */
export function memoryBudget(maxMemoryGiB: number, available: number, addressable = Infinity): { bytes: number; capped: boolean } {
  const asked = maxMemoryGiB > 0 ? maxMemoryGiB * 1024 ** 3 : available;
  return asked > addressable ? { bytes: addressable, capped: true } : { bytes: asked, capped: false };
}

/**
 * Refuses a run whose estimate exceeds `available` bytes, with the estimate in the message.
 * `limit` says what sets the limit when it is not a memory setting the user can raise.
 */
export function checkMemory(e: MemoryEstimate, available: number, what: string, limit?: string): void {
  if (e.total > available) {
    throw new ScratchError(
      `${what} needs about ${gib(e.total)} (parameters ${gib(e.params)}, gradients ${gib(e.grads)}, optimizer ${gib(e.optimizer)}, activations ${gib(e.activations)}, workspace ${gib(e.workspace)}) but only ${gib(available)} is available` +
        (limit ? ` (${limit})` : '') + `; lower --block-size or use a smaller model${limit ? '' : ', or raise --max-memory'}`,
    );
  }
}
