/**
 * One optimisation step on one batch: zero gradients, forward, loss, backward, clip, AdamW.
 * Runs in the backend's scope, so the step's activations are reclaimed (and, on backends with
 * an arena, the same memory is reused by the next step).
 */
import { ScratchError } from '../core/errors.js';
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

/** What one training step returns. */
export interface StepResult {
  loss: number;
  /** Gradient norm before clipping. */
  gradNorm: number;
}

/** trainStep's options: one batch (idx, targets) or several (batches), and the step's settings. */
export interface TrainStepOptions {
  /** Input ids (B, T), row-major; a plain Int32Array is copied into the backend's memory. */
  idx?: Int32Array;
  /** Target ids (B, T): idx shifted by one; negative ids are ignored. */
  targets?: Int32Array;
  /** Micro-batches whose gradients add up to one update (instead of idx/targets). */
  batches?: readonly { idx: Int32Array; targets: Int32Array }[];
  /** Sequence length; B is the ids' length / T. */
  T: number;
  /** Learning rate (default: the optimizer's). */
  lr?: number;
  /** Clip the gradient norm to this (default 1; 0: no clipping). */
  gradClip?: number;
}

/**
 * One update. `trainStep(model, opt, { idx, targets, T, lr })`; or, as the training loop calls
 * it, `trainStep(model, opt, batches, B, T, lr, gradClip)`. Gradient accumulation: `batches`
 * (each B × T) are summed into the gradients, each loss scaled by 1 / batches.length, before one
 * update. Returns the mean loss and the gradient norm before clipping.
 */
export function trainStep(model: Trainable, opt: Optimizer, options: TrainStepOptions): StepResult;
export function trainStep(model: Trainable, opt: Optimizer, batches: readonly { idx: Int32Array; targets: Int32Array }[], B: number, T: number, lr: number, gradClip: number): StepResult;
export function trainStep(
  model: Trainable,
  opt: Optimizer,
  a: TrainStepOptions | readonly { idx: Int32Array; targets: Int32Array }[],
  B0?: number,
  T0?: number,
  lr0?: number,
  clip0?: number,
): StepResult {
  let batches: readonly { idx: Int32Array; targets: Int32Array }[];
  let B: number, T: number, lr: number | undefined, gradClip: number;
  if (Array.isArray(a)) {
    batches = a;
    [B, T, lr, gradClip] = [B0!, T0!, lr0, clip0 ?? 1];
  } else {
    const o = a as TrainStepOptions;
    if (o.batches && (o.idx || o.targets)) throw new ScratchError('trainStep: give idx and targets, or batches, not both');
    batches = o.batches ?? (o.idx && o.targets ? [{ idx: o.idx, targets: o.targets }] : []);
    if (batches.length === 0) throw new ScratchError('trainStep: needs idx and targets (or batches)');
    T = o.T;
    if (!Number.isInteger(T) || T < 1) throw new ScratchError(`trainStep: T must be a whole number ≥ 1, got ${T}`);
    B = batches[0]!.idx.length / T;
    if (!Number.isInteger(B) || B < 1) throw new ScratchError(`trainStep: idx holds ${batches[0]!.idx.length} ids, not a multiple of T = ${T}`);
    lr = o.lr;
    gradClip = o.gradClip ?? 1;
  }
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
