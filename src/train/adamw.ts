/**
 * AdamW over parameter groups (nanoGPT's: weight decay on 2+-dimensional tensors only) and
 * gradient-norm clipping. It knows nothing of GPT: only flat parameter and gradient buffers.
 */
import { ScratchError } from '../core/errors.js';
import { refKernels } from '../kernels/ref/index.js';
import type { Backend, Buf } from '../kernels/types.js';

/** A range of parameters with its gradients, and whether weight decay applies. */
export interface OptimGroup {
  readonly params: Buf;
  readonly grads: Buf;
  readonly weightDecay: boolean;
}

/** AdamW's hyperparameters besides the learning rate. */
export interface AdamWSettings {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** The rate step() uses when it is given none. */
  readonly lr: number;
}

/** nanoGPT's train.py: learning_rate 6e-4, beta1 0.9, beta2 0.95, weight_decay 0.1 (eps: PyTorch's 1e-8). */
export const ADAMW_DEFAULTS: AdamWSettings = Object.freeze({ lr: 6e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });

/** AdamW's state as plain arrays (for checkpoints). */
export interface AdamWState {
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

/** What AdamW can take instead of groups and a backend: a model (GPT). */
interface HasParams {
  readonly params: { readonly groups: readonly OptimGroup[] };
  readonly backend: Backend;
}

/**
 * AdamW as PyTorch computes it, on the backend's kernels; weight decay only on matrices. `new
 * AdamW(model)` takes nanoGPT's defaults.
 */
export class AdamW {
  /** Steps taken (PyTorch's bias correction uses t starting at 1). */
  t = 0;
  /** First moments, one buffer per group. */
  readonly m: Buf[];
  /** Second moments, one buffer per group. */
  readonly v: Buf[];
  /** The parameter ranges it updates. */
  readonly groups: readonly OptimGroup[];
  /** The backend whose adamw kernel runs the update. */
  readonly backend: Backend;
  /** The hyperparameters besides the learning rate. */
  readonly settings: AdamWSettings;

  /**
   * `new AdamW(model)` or `new AdamW(model, { lr: 1e-3 })`; also `new AdamW(groups, backend,
   * settings)`. Unset settings are nanoGPT's (ADAMW_DEFAULTS).
   */
  constructor(model: HasParams, settings?: Partial<AdamWSettings>);
  constructor(groups: readonly OptimGroup[], backend: Backend, settings?: Partial<AdamWSettings>);
  constructor(a: HasParams | readonly OptimGroup[], b?: Backend | Partial<AdamWSettings>, c?: Partial<AdamWSettings>) {
    const fromModel = !Array.isArray(a);
    this.groups = fromModel ? (a as HasParams).params.groups : (a as readonly OptimGroup[]);
    this.backend = fromModel ? (a as HasParams).backend : (b as Backend);
    const given = (fromModel ? b : c) as Partial<AdamWSettings> | undefined;
    for (const [k, v] of Object.entries(given ?? {})) {
      if (!(k in ADAMW_DEFAULTS)) throw new ScratchError(`AdamW: unknown setting '${k}'; settings: ${Object.keys(ADAMW_DEFAULTS).join(', ')}`);
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ScratchError(`AdamW: '${k}' must be a finite number ≥ 0, got ${String(v)}`);
    }
    this.settings = Object.freeze({ ...ADAMW_DEFAULTS, ...given });
    // moments live beside the parameters, allocated once
    const backend = this.backend;
    const alloc = (n: number, like: Buf) => (like instanceof Float64Array ? new Float64Array(n) : backend.allocF32(n));
    this.m = this.groups.map((g) => alloc(g.params.length, g.params));
    this.v = this.groups.map((g) => alloc(g.params.length, g.params));
  }

  /** One update at rate `lr` (default: settings.lr). */
  step(lr: number = this.settings.lr): void {
    this.t++;
    const { beta1, beta2, eps, weightDecay } = this.settings;
    this.groups.forEach((g, i) => {
      const k = g.params instanceof Float64Array ? refKernels : this.backend.kernels;
      const args = { params: g.params, grads: g.grads, m: this.m[i], v: this.v[i], N: g.params.length, lr, beta1, beta2, eps, weightDecay: g.weightDecay ? weightDecay : 0, t: this.t };
      k.adamw(args);
    });
  }

  /** The step count and moments as plain arrays (for a checkpoint). */
  getState(): AdamWState {
    return { t: this.t, m: this.m.map((x) => Float32Array.from(x)), v: this.v.map((x) => Float32Array.from(x)) };
  }

  /** Restores a state from getState or a checkpoint. */
  setState(s: AdamWState): void {
    if (s.m.length !== this.m.length || s.m.some((x, i) => x.length !== this.m[i].length)) throw new Error('optimizer state does not match the parameters');
    this.t = s.t;
    s.m.forEach((x, i) => this.m[i].set(x));
    s.v.forEach((x, i) => this.v[i].set(x));
  }
}



/**
 * Scales all gradients so their global L2 norm is at most maxNorm (torch.nn.utils.clip_grad_norm_).
 * Returns the norm before clipping; a non-finite norm is returned as is and nothing is scaled.
 */
export function clipGradNorm(groups: readonly OptimGroup[], maxNorm: number, backend: Backend): number {
  let ss = 0;
  for (const g of groups) ss += backend.kernels.sumSquares({ inp: g.grads, N: g.grads.length });
  const norm = Math.sqrt(ss);
  if (maxNorm > 0 && Number.isFinite(norm) && norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const g of groups) backend.kernels.scale({ inout: g.grads, N: g.grads.length, s });
  }
  return norm;
}
