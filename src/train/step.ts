/**
 * One optimisation step on one batch: zero gradients, forward, loss, backward, clip, AdamW.
 * Runs in the backend's scope, so the step's activations are reclaimed (and, on backends with
 * an arena, the same memory is reused by the next step).
 */
import type { Backend } from '../kernels/types.js';
import type { Tensor } from '../tensor/tensor.js';
import { clipGradNorm, type OptimGroup } from './adamw.js';
import type { Optimizer } from './muon.js';

/** What the training loop needs of a model: its parameter groups and a loss for a batch. */
export interface Trainable {
  readonly backend: Backend;
  readonly params: { readonly groups: readonly OptimGroup[]; zeroGrad(): void };
  forward(idx: Int32Array, B: number, T: number, opts: { targets: Int32Array }): { loss: Tensor | null };
}

export interface StepResult {
  loss: number;
  /** Gradient norm before clipping. */
  gradNorm: number;
}

/**
 * Gradient accumulation: `micro` batches (each B × T) are summed into the gradients, each loss
 * scaled by 1 / micro, before one update. Returns the mean loss.
 */
export function trainStep(
  model: Trainable,
  opt: Optimizer,
  batches: readonly { idx: Int32Array; targets: Int32Array }[],
  B: number,
  T: number,
  lr: number,
  gradClip: number,
): StepResult {
  const { backend } = model;
  model.params.zeroGrad();
  let lossSum = 0;
  for (const batch of batches) {
    lossSum += backend.scope(() => {
      const { loss } = model.forward(batch.idx, B, T, { targets: batch.targets });
      loss!.backward(1 / batches.length); // the update follows the mean over micro-batches
      return loss!.item();
    });
  }
  const gradNorm = clipGradNorm(model.params.groups, gradClip, backend);
  opt.step(lr);
  return { loss: lossSum / batches.length, gradNorm };
}
