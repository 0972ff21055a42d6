/**
 * The training loop. It knows a model only as parameters with gradients and a loss:
 * batch → forward → loss → backward → (accumulate) → clip → AdamW at the scheduled rate,
 * with evaluations every `evalInterval` steps. Everything a resumed run needs to repeat the same
 * numbers lives in TrainState (step, data and dropout generators, optimizer moments).
 */
import { ScratchError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import type { Backend, Buf } from '../kernels/types.js';
import { noGrad } from '../tensor/tensor.js';
import type { Tensor } from '../tensor/tensor.js';
import type { OptimGroup } from './adamw.js';
import type { Optimizer } from './muon.js';
import { trainStep } from './step.js';
import { evalRng, getBatch, type Batch, type TokenSource } from './batches.js';
import { learningRate, type TrainConfig } from './config.js';

/** What the loop needs of a model. */
export interface TrainableModel {
  readonly backend: Backend;
  readonly params: { readonly groups: readonly OptimGroup[]; readonly grads: Buf; zeroGrad(): void };
  /** Dropout on (drawing from rng) or off (null). */
  train(rng: Rng | null): void;
  forward(idx: Int32Array, B: number, T: number, opts: { targets?: Int32Array }): { loss: Tensor | null };
}

/** The state a training loop carries between steps (saved in checkpoints). */
export interface TrainState {
  /** The next step to take (steps taken so far). */
  iter: number;
  readonly dataRng: Rng;
  readonly dropoutRng: Rng;
  readonly optimizer: Optimizer;
  /** Lowest val loss seen at an evaluation (Infinity before the first). */
  bestVal: number;
}

/** What the training loop reports after each step. */
export interface StepRecord {
  iter: number;
  loss: number;
  lr: number;
  ms: number;
  gradNorm: number;
  tokens: number;
}

/** What the training loop reports after each evaluation: mean losses over evalIters batches of each split. */
export interface EvalRecord {
  iter: number;
  train: number;
  val: number;
  ms: number;
  best: boolean;
}

/** What the training loop calls as it goes. */
export interface TrainHooks {
  onStep?(r: StepRecord): void;
  onEval?(r: EvalRecord): void;
  /** Save the state: at evaluations (best when val improved), at the end, and when stopped. */
  checkpoint?(reason: 'eval' | 'end' | 'stop', best: boolean): void;
  /** Polled after each step; true stops the loop (Ctrl-C). */
  shouldStop?(): boolean;
  /** Awaited after each step, so signals and output get their turn (an event-loop tick). */
  tick?(): Promise<void>;
}

/** Token sources of the train and val splits. */
export interface TrainData {
  train: TokenSource;
  val: TokenSource;
}

/** Thrown when the loss or gradient stops being a finite number. */
export class NonFiniteLossError extends ScratchError {
  constructor(
    readonly iter: number,
    readonly value: number,
    what: string,
  ) {
    super(`the ${what} became ${value} at step ${iter}; training stopped`);
  }
}

function allocBatch(backend: Backend, B: number, T: number): Batch {
  return { idx: backend.allocI32(B * T), targets: backend.allocI32(B * T) };
}

/**
 * Mean loss over evalIters batches of each split, dropout off, without gradients. Each batch runs
 * as `pieces` equal pieces drawn one after another from the same generator (the same windows).
 */
export function estimateLoss(model: TrainableModel, data: TrainData, cfg: TrainConfig, T: number, step: number, buf?: Batch, pieces = 1): { train: number; val: number } {
  const out = { train: 0, val: 0 };
  const Bp = cfg.batchSize / pieces;
  const batch = buf ?? allocBatch(model.backend, Bp, T);
  for (const split of ['train', 'val'] as const) {
    const rng = evalRng(cfg.seed, step, split);
    let sum = 0;
    for (let k = 0; k < cfg.evalIters * pieces; k++) {
      sum += model.backend.scope(() =>
        noGrad(() => {
          const { idx, targets } = getBatch(data[split], Bp, T, rng, batch);
          return model.forward(idx, Bp, T, { targets }).loss!.item();
        }),
      );
    }
    out[split] = sum / (cfg.evalIters * pieces);
  }
  return out;
}

/**
 * Runs steps from state.iter up to cfg.maxIters. Returns how it ended. With `pieces` > 1 each
 * micro-batch of B sequences runs as that many equal pieces (see batchPieces): the same windows
 * and the same mean loss and gradients, in less memory.
 */
export async function trainLoop(model: TrainableModel, data: TrainData, cfg: TrainConfig, T: number, state: TrainState, hooks: TrainHooks = {}, pieces = 1): Promise<'done' | 'stopped'> {
  if (!Number.isInteger(pieces) || pieces < 1 || cfg.batchSize % pieces !== 0) throw new Error(`trainLoop: ${pieces} pieces do not divide batch ${cfg.batchSize}`);
  const B = cfg.batchSize / pieces;
  // batch buffers live in the backend's memory (fast kernels read only their own), made once
  const micro = Array.from({ length: cfg.gradAccum * pieces }, () => allocBatch(model.backend, B, T));
  const evalBuf = allocBatch(model.backend, B, T);
  for (;;) {
    const it = state.iter;
    if (it % cfg.evalInterval === 0 || it === cfg.maxIters) {
      const t0 = performance.now();
      model.train(null);
      const l = estimateLoss(model, data, cfg, T, it, evalBuf, pieces);
      model.train(state.dropoutRng);
      const best = l.val < state.bestVal;
      if (best) state.bestVal = l.val;
      hooks.onEval?.({ iter: it, train: l.train, val: l.val, ms: performance.now() - t0, best });
      if (!Number.isFinite(l.val)) throw new NonFiniteLossError(it, l.val, 'val loss');
      hooks.checkpoint?.(it === cfg.maxIters ? 'end' : 'eval', best);
    }
    if (it >= cfg.maxIters) return 'done';

    const t0 = performance.now();
    const lr = learningRate(it, cfg);
    model.train(state.dropoutRng);
    const batches = micro.map((buf) => getBatch(data.train, B, T, state.dataRng, buf));
    // a non-finite step is never saved: the caller keeps the last good checkpoint
    const { loss, gradNorm } = trainStep(model, state.optimizer, batches, B, T, lr, cfg.gradClip);
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(it, loss, 'training loss');
    if (!Number.isFinite(gradNorm)) throw new NonFiniteLossError(it, gradNorm, 'gradient norm');
    state.iter = it + 1;
    hooks.onStep?.({ iter: it, loss, lr, ms: performance.now() - t0, gradNorm, tokens: cfg.batchSize * T * cfg.gradAccum });
    await hooks.tick?.();
    if (hooks.shouldStop?.()) {
      hooks.checkpoint?.('stop', false);
      return 'stopped';
    }
  }
}
