/**
 * Muon (Keller Jordan's optimizer of modded-nanogpt) for the transformer blocks' 2-D weights, with
 * AdamW for everything else (embeddings, the head, gains and biases). Per hidden matrix W (R, C)
 * with gradient G, each step:
 *
 *   buf = momentum * buf + G ;  U = G + momentum * buf                 (Nesterov momentum)
 *   X = U / (|U|_F + 1e-7), as (r, c) = the wider orientation           (so r <= c)
 *   5 times: A = X Xᵀ ; B = b A + c A A ; X = a X + B X                 (Newton–Schulz, a, b, c =
 *                                                                        3.4445, -4.7750, 2.0315)
 *   W -= lr * sqrt(max(1, R / C)) * X                                   (back in W's orientation)
 *
 * The quintic iteration pushes U's singular values towards 1 (roughly its orthogonal factor). All
 * three products run on the backend's matmul kernels: A = X Xᵀ and A A are matmulForward with the
 * same matrix as input and weight, and X ← a X + B X is matmulBackward's `dinp += dout · weight`
 * accumulating B X into a X. Muon's rate follows the same schedule as AdamW's: the scheduled lr
 * times muonLr / lr.
 */
import { refKernels } from '../kernels/ref/index.js';
import type { Backend, Buf, Kernels } from '../kernels/types.js';
import { AdamW, type AdamWSettings, type OptimGroup } from './adamw.js';
import type { TrainConfig } from './config.js';

/** The quintic Newton-Schulz coefficients of Muon's orthogonalisation (Keller Jordan's). */
export const NS_COEFFS = [3.4445, -4.775, 2.0315] as const;
/** Newton-Schulz iterations per Muon step. */
export const NS_STEPS = 5;

/** What an optimizer is to the training loop and to checkpoints. */
export interface Optimizer {
  readonly t: number;
  /** State buffers saved with checkpoints (AdamW: first moments, then Muon's momentum). */
  readonly m: readonly Buf[];
  readonly v: readonly Buf[];
  /** One update at rate lr (default: the AdamW settings' lr). */
  step(lr?: number): void;
  setState(s: { t: number; m: Float32Array[]; v: Float32Array[] }): void;
}

/** A parameter as a layout entry: name, shape, offset into the flat buffers. */
export interface MatrixSlot {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly offset: number;
}

/** Muon's settings. */
export interface MuonSettings {
  /** Muon's rate relative to the scheduled AdamW rate (muonLr / lr). */
  readonly lrRatio: number;
  readonly momentum: number;
}

/**
 * The parameters split for Muon: the hidden matrices (one contiguous range of the flat buffers)
 * and the AdamW groups of the rest. `groups` are ParamStore's: decayed 2-D tensors, then the rest.
 */
export interface MuonLayout {
  readonly data: Buf;
  readonly grads: Buf;
  readonly groups: readonly OptimGroup[];
  readonly matrices: readonly MatrixSlot[];
}

/** Muon on the hidden matrices, AdamW on the rest (embeddings, head, norms, biases). */
export class MuonAdamW implements Optimizer {
  /** The AdamW that updates the parameters Muon does not (embeddings, head, norms, biases). */
  readonly adam: AdamW;
  /** Momentum of the hidden range. */
  readonly buf: Buf;
  private readonly lo: number;
  private readonly hi: number;
  private readonly k: Kernels;
  // workspace for the largest matrix: X, its next value, A = X Xᵀ and A A
  private readonly X: Buf;
  private readonly Xn: Buf;
  private readonly A: Buf;
  private readonly AA: Buf;

  constructor(
    readonly layout: MuonLayout,
    readonly backend: Backend,
    adam: AdamWSettings,
    readonly muon: MuonSettings,
  ) {
    const ms = layout.matrices;
    if (!ms.length) throw new Error('muon: no hidden matrices');
    this.lo = Math.min(...ms.map((m) => m.offset));
    this.hi = Math.max(...ms.map((m) => m.offset + m.rows * m.cols));
    const inside = ms.reduce((a, m) => a + m.rows * m.cols, 0);
    if (inside !== this.hi - this.lo) throw new Error('muon: the hidden matrices are not one contiguous range');
    const decay = layout.groups[0]!;
    const decayStart = decay.params.byteOffset - layout.data.byteOffset;
    const bpe = layout.data.BYTES_PER_ELEMENT;
    if (decayStart / bpe + decay.params.length !== this.hi) throw new Error('muon: the hidden matrices must end the decayed group');
    // AdamW keeps the embeddings and head (the decayed group before the hidden range) and the rest
    const adamGroups: OptimGroup[] = [];
    const head = this.lo - decayStart / bpe;
    if (head > 0) adamGroups.push({ params: decay.params.subarray(0, head), grads: decay.grads.subarray(0, head), weightDecay: true });
    adamGroups.push(...layout.groups.slice(1));
    this.adam = new AdamW(adamGroups, backend, adam);
    const f64 = layout.data instanceof Float64Array;
    const alloc = (n: number): Buf => (f64 ? new Float64Array(n) : backend.allocF32(n));
    this.k = f64 ? refKernels : backend.kernels;
    this.buf = alloc(this.hi - this.lo);
    const big = Math.max(...ms.map((m) => m.rows * m.cols));
    const r2 = Math.max(...ms.map((m) => Math.min(m.rows, m.cols) ** 2));
    this.X = alloc(big);
    this.Xn = alloc(big);
    this.A = alloc(r2);
    this.AA = alloc(r2);
  }

  /** Steps taken. */
  get t(): number {
    return this.adam.t;
  }

  get m(): readonly Buf[] {
    return [...this.adam.m, this.buf];
  }

  /** Second moments of the AdamW part (checkpoints). */
  get v(): readonly Buf[] {
    return this.adam.v;
  }

  step(lr: number = this.adam.settings.lr): void {
    this.adam.step(lr);
    const { data, grads, matrices } = this.layout;
    const mu = this.muon.momentum;
    const mlr = lr * this.muon.lrRatio;
    for (const s of matrices) {
      const n = s.rows * s.cols;
      const g = grads.subarray(s.offset, s.offset + n);
      const b = this.buf.subarray(s.offset - this.lo, s.offset - this.lo + n);
      const U = this.Xn.subarray(0, n); // the Nesterov direction, before orthogonalisation
      for (let i = 0; i < n; i++) {
        b[i] = mu * b[i] + g[i];
        U[i] = g[i] + mu * b[i];
      }
      const X = this.orthogonalise(U, s.rows, s.cols);
      const w = data.subarray(s.offset, s.offset + n);
      const step = mlr * Math.sqrt(Math.max(1, s.rows / s.cols));
      if (s.rows > s.cols) {
        // X is (cols, rows): W -= step * Xᵀ
        for (let i = 0; i < s.rows; i++) for (let j = 0; j < s.cols; j++) w[i * s.cols + j] -= step * X[j * s.rows + i];
      } else {
        for (let i = 0; i < n; i++) w[i] -= step * X[i];
      }
    }
  }

  /**
   * Newton–Schulz on U (rows, cols), which it may overwrite; returns X (r, c), r = min(rows, cols),
   * in U's orientation when rows <= cols, else transposed.
   */
  orthogonalise(U: Buf, rows: number, cols: number): Buf {
    const tr = rows > cols;
    const r = Math.min(rows, cols);
    const c = Math.max(rows, cols);
    const n = r * c;
    let X = this.X.subarray(0, n);
    let Xn = this.Xn.subarray(0, n);
    const A = this.A.subarray(0, r * r);
    const AA = this.AA.subarray(0, r * r);
    const norm = Math.sqrt(this.k.sumSquares({ inp: U, N: n }));
    const s = 1 / (norm + 1e-7);
    if (tr) {
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) X[j * rows + i] = U[i * cols + j] * s;
    } else {
      for (let i = 0; i < n; i++) X[i] = U[i] * s;
    }
    const [a, b, cc] = NS_COEFFS;
    for (let it = 0; it < NS_STEPS; it++) {
      this.k.matmulForward({ out: A, inp: X, weight: X, bias: null, BT: r, C: c, OC: r }); // A = X Xᵀ (r, r)
      this.k.matmulForward({ out: AA, inp: A, weight: A, bias: null, BT: r, C: r, OC: r }); // A Aᵀ = A A
      for (let i = 0; i < r * r; i++) AA[i] = b * A[i] + cc * AA[i]; // B
      for (let i = 0; i < n; i++) Xn[i] = a * X[i];
      // Xn += B X: matmulBackward's dinp += dout (r, r) · weight (r, c)
      this.k.matmulBackward({ dinp: Xn, dweight: null, dbias: null, dout: AA, inp: X, weight: X, BT: r, C: c, OC: r });
      [X, Xn] = [Xn, X];
    }
    return X;
  }

  /** Restores a state saved from a checkpoint. */
  setState(st: { t: number; m: Float32Array[]; v: Float32Array[] }): void {
    const na = this.adam.m.length;
    if (st.m.length !== na + 1 || st.m[na]!.length !== this.buf.length) throw new Error('optimizer state does not match the parameters (Muon momentum)');
    this.adam.setState({ t: st.t, m: st.m.slice(0, na), v: st.v });
    this.buf.set(st.m[na]!);
  }
}

/** What createOptimizer needs of a model's parameters. */
export interface OptimizerParams {
  readonly data: Buf;
  readonly grads: Buf;
  readonly groups: readonly OptimGroup[];
  hiddenMatrices(): MatrixSlot[];
}

/** The run's optimizer: AdamW over nanoGPT's groups, or Muon for the hidden matrices and AdamW for the rest. */
export function createOptimizer(params: OptimizerParams, backend: Backend, t: Pick<TrainConfig, 'optimizer' | 'beta1' | 'beta2' | 'eps' | 'weightDecay' | 'lr' | 'muonLr' | 'muonMomentum'>): AdamW | MuonAdamW {
  const adam = { lr: t.lr, beta1: t.beta1, beta2: t.beta2, eps: t.eps, weightDecay: t.weightDecay };
  if (t.optimizer === 'adamw') return new AdamW(params.groups, backend, adam);
  const layout = { data: params.data, grads: params.grads, groups: params.groups, matrices: params.hiddenMatrices() };
  return new MuonAdamW(layout, backend, adam, { lrRatio: t.lr > 0 ? t.muonLr / t.lr : 0, momentum: t.muonMomentum });
}
