/**
 * Tensor: a flat buffer, a shape, and reverse-mode autograd (micrograd's contract, coarse ops).
 *
 * - Each op records its inputs and a backward step that ACCUMULATES into its inputs' gradients,
 *   so a tensor used twice gathers both contributions.
 * - `backward()` walks the graph in reverse topological order from a scalar.
 * - Inside `noGrad(fn)` ops record nothing.
 * - Buffers come from the tensor's Backend, so fast kernels can read them; float64 tensors (for
 *   gradient checks) always run on the reference kernels.
 */
import { ScratchError } from '../core/errors.js';
import { refBackend, refKernels } from '../kernels/ref/index.js';
import type { Backend, Buf, Kernels } from '../kernels/types.js';

let gradEnabled = true;

/** Runs fn without recording a graph (inference, evaluation, optimizer steps). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Whether ops record the graph for backward (false inside noGrad). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** A tensor on a backend's memory, with its gradient and the op that made it (for backward). */
export class Tensor {
  /** The values, in the backend's memory (row-major). */
  readonly data: Buf;
  /** The shape, outermost first. */
  readonly shape: readonly number[];
  /** The backend whose memory holds the data and whose kernels the ops run. */
  readonly backend: Backend;
  /** Allocated on first use by backward (or given, for parameters laid out in one block). */
  grad: Buf | null;
  /** Whether backward fills a gradient for this tensor. */
  requiresGrad: boolean;
  /** Set by ops: the inputs and the step that pushes this tensor's grad into theirs. */
  parents: readonly Tensor[] = [];
  /** Propagates this tensor's gradient to its inputs (set by the op that made it; null for leaves). */
  backwardFn: (() => void) | null = null;

  constructor(data: Buf, shape: readonly number[], backend: Backend = refBackend, requiresGrad = false, grad: Buf | null = null) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new Error(`tensor data has ${data.length} values, shape [${shape}] needs ${n}`);
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.backend = backend;
    this.requiresGrad = requiresGrad;
    this.grad = grad;
  }

  /** Number of elements (the product of the shape). */
  get size(): number {
    return this.data.length;
  }

  /** Whether the data is float64 (gradient checks) rather than float32. */
  get isF64(): boolean {
    return this.data instanceof Float64Array;
  }

  /** The kernels that can work on this tensor's buffers. */
  get kernels(): Kernels {
    return this.isF64 ? refKernels : this.backend.kernels;
  }

  /** A zeroed buffer of n values of this tensor's precision, from its backend. */
  alloc(n: number): Buf {
    return this.isF64 ? new Float64Array(n) : this.backend.allocF32(n);
  }

  /** The gradient buffer, allocated (zeroed) on first use. */
  ensureGrad(): Buf {
    if (!this.grad) this.grad = this.alloc(this.size);
    return this.grad;
  }

  /** The value of a one-element tensor (a loss). */
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a tensor of one value, this one has ${this.size}`);
    return this.data[0];
  }

  /** Sets the gradient to zero (if it has one). */
  zeroGrad(): void {
    this.grad?.fill(0);
  }

  /**
   * Backpropagates from this scalar through every recorded op, in reverse topological order.
   * `seed` is d(objective)/d(this), 1 by default (e.g. 1/n to average n accumulated losses).
   */
  backward(seed = 1): void {
    if (this.size !== 1) throw new ScratchError(`backward() starts from a scalar loss; this tensor has shape [${this.shape}]`);
    const order: Tensor[] = [];
    const seen = new Set<Tensor>();
    // iterative DFS: deep models would overflow the stack with recursion
    const stack: [Tensor, number][] = [[this, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [t, i] = top;
      if (i === 0) {
        if (seen.has(t)) {
          stack.pop();
          continue;
        }
        seen.add(t);
      }
      if (i < t.parents.length) {
        top[1]++;
        const p = t.parents[i];
        if (!seen.has(p)) stack.push([p, 0]);
      } else {
        stack.pop();
        order.push(t);
      }
    }
    this.ensureGrad()[0] += seed;
    for (let i = order.length - 1; i >= 0; i--) order[i].backwardFn?.();
  }
}

/**
 * Makes the result of an op: records parents and backward step when any input needs a gradient
 * and grad mode is on. `backward` receives the output tensor (whose grad is allocated).
 */
export function makeResult(
  data: Buf,
  shape: readonly number[],
  like: Tensor,
  parents: readonly Tensor[],
  backward: (out: Tensor) => void,
): Tensor {
  const needs = gradEnabled && parents.some((p) => p.requiresGrad);
  const out = new Tensor(data, shape, like.backend, needs);
  if (needs) {
    out.parents = parents;
    out.backwardFn = () => {
      if (out.grad) backward(out);
    };
  }
  return out;
}

/** A gradient buffer for an input, or null when that input needs none. */
export function gradOf(t: Tensor): Buf | null {
  return t.requiresGrad ? t.ensureGrad() : null;
}
