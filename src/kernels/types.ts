/**
 * The Kernels interface: llm.c's layer set as coarse, fused operations over flat typed arrays.
 *
 * Contract, for every backend:
 * - Kernels know no Tensor. They take flat arrays and explicit dimensions, write into the buffers
 *   they are given, and never allocate.
 * - Forward kernels overwrite their outputs. Backward kernels ACCUMULATE (+=) into every gradient
 *   buffer, so a tensor used twice (the tied token embedding) gathers both contributions.
 * - Layouts are row-major. Linear weights are (OC, C), as in PyTorch's nn.Linear; Hugging Face's
 *   Conv1D (C, OC) layout is transposed once at load time.
 * - Float64Array is accepted by the reference backend (gradient checks); fast backends take
 *   Float32Array.
 */
export type Buf = Float32Array | Float64Array;

/** Arguments of Kernels.encoderForward: token embeddings plus position embeddings. */
export interface EncoderForwardArgs {
  out: Buf; // (B, T, C)
  inp: Int32Array; // (B, T) token ids
  wte: Buf; // (V, C)
  wpe: Buf | null; // (maxT, C), or null for no position table (rotary positions)
  B: number;
  T: number;
  C: number;
}
/** Arguments of Kernels.encoderBackward: gradients of the token and position embeddings. */
export interface EncoderBackwardArgs {
  dwte: Buf; // (V, C)
  dwpe: Buf | null; // (maxT, C), or null
  dout: Buf; // (B, T, C)
  inp: Int32Array; // (B, T)
  B: number;
  T: number;
  C: number;
}
/** Arguments of Kernels.matmulForward: out = inp @ weight^T + bias. */
export interface MatmulForwardArgs {
  out: Buf; // (BT, OC) = inp @ weight^T + bias
  inp: Buf; // (BT, C)
  weight: Buf; // (OC, C)
  bias: Buf | null; // (OC)
  BT: number;
  C: number;
  OC: number;
}
/**
 * Arguments of Kernels.packWeight: a weight (OC, C) rearranged for matmulPacked, in panels of P
 * output columns, k-major: out[(p * C + k) * P + j] = weight[p * P + j][k], and 0 where
 * p * P + j >= OC. out holds packedFloats(C, OC, P) floats.
 */
export interface PackWeightArgs {
  out: Buf; // (ceil(OC / P), C, P)
  weight: Buf; // (OC, C)
  C: number;
  OC: number;
  P: number;
}
/** Arguments of Kernels.matmulPacked: out = inp @ weight^T + bias, with weight as packWeight left it. */
export interface MatmulPackedArgs {
  out: Buf; // (BT, OC)
  inp: Buf; // (BT, C)
  packed: Buf; // packWeight's out for the same C, OC and P
  bias: Buf | null; // (OC)
  BT: number;
  C: number;
  OC: number;
  P: number;
}
/** Floats a weight of (OC, C) takes packed in panels of P columns (the last panel zero-padded). */
export function packedFloats(C: number, OC: number, P: number): number {
  return Math.ceil(OC / P) * P * C;
}
/** Arguments of Kernels.matmulBackward: the gradients of inp, weight and bias (each may be skipped). */
export interface MatmulBackwardArgs {
  dinp: Buf | null; // (BT, C)   += dout @ weight
  dweight: Buf | null; // (OC, C) += dout^T @ inp
  dbias: Buf | null; // (OC)     += sum over rows of dout
  dout: Buf; // (BT, OC)
  inp: Buf; // (BT, C)
  weight: Buf; // (OC, C)
  BT: number;
  C: number;
  OC: number;
}
/** Arguments of Kernels.layernormForward. */
export interface LayernormForwardArgs {
  out: Buf; // (N, C)
  mean: Buf; // (N) saved for backward
  rstd: Buf; // (N) saved for backward
  inp: Buf; // (N, C)
  weight: Buf; // (C)
  bias: Buf | null; // (C)
  N: number;
  C: number;
  eps: number;
}
/** Arguments of Kernels.layernormBackward. */
export interface LayernormBackwardArgs {
  dinp: Buf; // (N, C)
  dweight: Buf; // (C)
  dbias: Buf | null; // (C)
  dout: Buf; // (N, C)
  inp: Buf; // (N, C)
  weight: Buf; // (C)
  mean: Buf; // (N)
  rstd: Buf; // (N)
  N: number;
  C: number;
}
/** Arguments of Kernels.attentionForward: causal self-attention over packed q, k, v. */
export interface AttentionForwardArgs {
  out: Buf; // (B, T, C)
  att: Buf; // (B, NH, T, T) softmax probabilities, saved for backward; zero above the diagonal
  inp: Buf; // (B, T, 3C) q, k, v side by side, heads of size C/NH inside each
  /**
   * (B, NH, T, T) attention dropout, or absent for none. In: the multipliers (0 or 1/(1-p)) at and
   * below the diagonal. Out: att times them, the probabilities actually applied to v (zero above
   * the diagonal). att itself stays undropped, for the softmax's backward pass.
   */
  drop?: Buf | null;
  B: number;
  T: number;
  C: number;
  NH: number;
}
/** Arguments of Kernels.attentionBackward. */
export interface AttentionBackwardArgs {
  dinp: Buf; // (B, T, 3C)
  scratch: Buf; // (B, NH, T, T) free working space, contents undefined afterwards
  dout: Buf; // (B, T, C)
  inp: Buf; // (B, T, 3C)
  att: Buf; // (B, NH, T, T)
  drop?: Buf | null; // (B, NH, T, T) the forward's dropped probabilities, when it had dropout
  B: number;
  T: number;
  C: number;
  NH: number;
}
/**
 * One query position against cached keys and values (KV-cache decoding): for each head, the
 * softmax of q . k / sqrt(hs) over positions 0..L-1, then the weighted sum of their values. The
 * cache rows hold every head side by side, as the qkv rows they were copied from.
 */
export interface AttentionDecodeArgs {
  out: Buf; // (C) heads side by side
  att: Buf; // (NH, L) out: the attention probabilities
  q: Buf; // (C) the query of the newest position
  k: Buf; // (>= L, C) keys of positions 0..L-1, the newest one included
  v: Buf; // (>= L, C) values, same layout
  L: number;
  C: number;
  NH: number;
}
/** Arguments of Kernels.geluForward: out = GELU(inp), tanh approximation. */
export interface GeluForwardArgs {
  out: Buf;
  inp: Buf;
  N: number;
}
/** Arguments of Kernels.geluBackward: dinp += GELU'(inp) dout. */
export interface GeluBackwardArgs {
  dinp: Buf;
  inp: Buf;
  dout: Buf;
  N: number;
}
/** Arguments of Kernels.residualForward: out = inp1 + inp2. */
export interface ResidualForwardArgs {
  out: Buf;
  inp1: Buf;
  inp2: Buf;
  N: number;
}
/** Arguments of Kernels.residualBackward: dinp1 += dout, dinp2 += dout. */
export interface ResidualBackwardArgs {
  dinp1: Buf;
  dinp2: Buf;
  dout: Buf;
  N: number;
}
/** Arguments of Kernels.crossEntropyForward: softmax of the logits and each position's loss. */
export interface CrossEntropyForwardArgs {
  losses: Buf; // (BT) -log p(target); 0 where target < 0 (ignored position)
  probs: Buf; // (BT, V) softmax of logits, saved for backward
  logits: Buf; // (BT, V)
  targets: Int32Array; // (BT)
  BT: number;
  V: number;
}
/** Arguments of Kernels.crossEntropyBackward: the logits' gradient. */
export interface CrossEntropyBackwardArgs {
  dlogits: Buf; // (BT, V) += scale * (probs - onehot(target)); rows with target < 0 get nothing
  probs: Buf; // (BT, V)
  targets: Int32Array; // (BT)
  scale: number; // d(loss)/d(losses[i]), e.g. 1 / (number of counted positions) for a mean
  BT: number;
  V: number;
}
/** Arguments of Kernels.adamw: one AdamW step over a parameter range, in place. */
export interface AdamWArgs {
  params: Buf;
  grads: Buf;
  m: Buf; // first moment
  v: Buf; // second moment
  N: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  t: number; // 1-based step, for bias correction
}
/** Arguments of Kernels.dropoutForward. */
export interface DropoutForwardArgs {
  /** mask[i] = 0 with probability p, else 1/(1-p), from dropoutHash(seed, i); then out = inp * mask. */
  mask: Buf; // (N)
  out: Buf | null; // (N), or null to fill the mask only (attention's multipliers)
  inp: Buf | null; // (N)
  N: number;
  p: number; // in [0, 1)
  seed: number; // unsigned 32-bit, a fresh one from the caller's generator per call
}
/** Arguments of Kernels.dropoutBackward: dinp += dout * mask. */
export interface DropoutBackwardArgs {
  dinp: Buf; // (N) += dout * mask
  dout: Buf; // (N)
  mask: Buf; // (N)
  N: number;
}
/** Arguments of Kernels.sumSquares: the sum of squares of a buffer (gradient norms). */
export interface SumSquaresArgs {
  inp: Buf;
  N: number;
}
/** Arguments of Kernels.scale: inout *= s. */
export interface ScaleArgs {
  inout: Buf;
  N: number;
  s: number;
}

/**
 * Arguments of Kernels.sampleRow: one draw from softmax(logits / T) by the inverse CDF, what a
 * temperature-only sampler does per token (50,257 weights for GPT-2, the largest per-token cost
 * of batched decoding outside the model).
 */
export interface SampleRowArgs {
  logits: Buf; // (V) one row
  weights: Buf; // (V) scratch, overwritten: float32 exp((logits - max) / T) (core/exp.ts's method, in float64)
  V: number;
  invT: number; // 1 / temperature, > 0
  u: number; // uniform in [0, 1), from the caller's seeded generator
}

/** Arguments of Kernels.rmsnormForward. */
export interface RmsnormForwardArgs {
  out: Buf; // (N, C) = inp * rstd * weight
  rstd: Buf; // (N) 1 / sqrt(mean(inp^2) + eps), saved for backward
  inp: Buf; // (N, C)
  weight: Buf; // (C)
  N: number;
  C: number;
  eps: number;
}
/** Arguments of Kernels.rmsnormBackward. */
export interface RmsnormBackwardArgs {
  dinp: Buf; // (N, C)
  dweight: Buf; // (C)
  dout: Buf; // (N, C)
  inp: Buf; // (N, C)
  weight: Buf; // (C)
  rstd: Buf; // (N)
  N: number;
  C: number;
}
/**
 * The per-head transform of q and k before attention, on qkv (B, T, 3C) laid out as for
 * attentionForward: each head of q and of k is optionally RMS-normalised (QK-norm, no gain), then
 * optionally rotated (rotary positions, the rotate-half pairing (i, i + hs/2) of GPT-NeoX and
 * Llama: x'[i] = x[i] cos - x[i+hs/2] sin, x'[i+hs/2] = x[i+hs/2] cos + x[i] sin, angle
 * position * base^(-2i/hs)). v is copied unchanged. Rows are B*T; row (b, t) sits at position t,
 * or at pos[b*T + t] when pos is given (decoding: each row its own sequence's next position).
 */
export interface QkForwardArgs {
  out: Buf; // (B, T, 3C)
  rstd: Buf | null; // (B, T, 2, NH) saved for backward, or null: no QK-norm
  inp: Buf; // (B, T, 3C)
  cos: Buf | null; // (maxT, hs/2) cos of the angles, or null: no rotation
  sin: Buf | null; // (maxT, hs/2)
  B: number;
  T: number;
  C: number;
  NH: number;
  pos: Int32Array | null; // (B*T) each row's position, or null: row (b, t) is at t
  eps: number;
}
/** Arguments of Kernels.qkBackward: the gradient through the queries' and keys' norm and rotation. */
export interface QkBackwardArgs {
  dinp: Buf; // (B, T, 3C)
  dout: Buf; // (B, T, 3C)
  inp: Buf; // (B, T, 3C) the forward's input
  rstd: Buf | null; // (B, T, 2, NH) from the forward
  cos: Buf | null;
  sin: Buf | null;
  B: number;
  T: number;
  C: number;
  NH: number;
  pos: Int32Array | null;
}
/** Arguments of Kernels.relu2Forward: out = max(0, x)^2. */
export interface Relu2ForwardArgs {
  out: Buf; // max(0, x)^2
  inp: Buf;
  N: number;
}
/** Arguments of Kernels.relu2Backward. */
export interface Relu2BackwardArgs {
  dinp: Buf; // += 2 max(0, x) dout
  inp: Buf;
  dout: Buf;
  N: number;
}
/** SwiGLU: each row of inp is [gate (H) | up (H)]; out = silu(gate) * up. */
export interface SwigluForwardArgs {
  out: Buf; // (N, H)
  inp: Buf; // (N, 2H)
  N: number;
  H: number;
}
/** Arguments of Kernels.swigluBackward. */
export interface SwigluBackwardArgs {
  dinp: Buf; // (N, 2H)
  inp: Buf; // (N, 2H)
  dout: Buf; // (N, H)
  N: number;
  H: number;
}
/** Logit soft-capping: out = cap * tanh(inp / cap). */
export interface SoftcapForwardArgs {
  out: Buf;
  inp: Buf;
  N: number;
  cap: number;
}
/** Arguments of Kernels.softcapBackward. */
export interface SoftcapBackwardArgs {
  dinp: Buf; // += (1 - (out / cap)^2) dout
  out: Buf; // the forward's output
  dout: Buf;
  N: number;
  cap: number;
}

/** Every op, in one list: a new op must appear here, in `Kernels`, in `ref` and in the tests. */
export const KERNEL_OPS = [
  'encoderForward',
  'encoderBackward',
  'matmulForward',
  'matmulBackward',
  'packWeight',
  'matmulPacked',
  'layernormForward',
  'layernormBackward',
  'attentionForward',
  'attentionBackward',
  'attentionDecode',
  'geluForward',
  'geluBackward',
  'residualForward',
  'residualBackward',
  'crossEntropyForward',
  'crossEntropyBackward',
  'dropoutForward',
  'dropoutBackward',
  'adamw',
  'sumSquares',
  'scale',
  'rmsnormForward',
  'rmsnormBackward',
  'qkForward',
  'qkBackward',
  'relu2Forward',
  'relu2Backward',
  'swigluForward',
  'swigluBackward',
  'softcapForward',
  'softcapBackward',
  'sampleRow',
] as const;
/** The name of one kernel op (an entry of KERNEL_OPS). */
export type KernelOp = (typeof KERNEL_OPS)[number];

/**
 * The kernel interface every backend implements (ref, wasm, native): each op writes into buffers it is
 * given and allocates nothing.
 */
export interface Kernels {
  readonly name: string;
  /**
   * The panel width P that matmulPacked is fastest with on these kernels (its register tile's
   * width); every backend accepts any P >= 1.
   */
  readonly packPanel: number;
  encoderForward(a: EncoderForwardArgs): void;
  encoderBackward(a: EncoderBackwardArgs): void;
  matmulForward(a: MatmulForwardArgs): void;
  matmulBackward(a: MatmulBackwardArgs): void;
  /** Rearranges a weight for matmulPacked (decoding reads it as one sequential stream). */
  packWeight(a: PackWeightArgs): void;
  /** matmulForward with the weight packed by packWeight: the product of decode steps. */
  matmulPacked(a: MatmulPackedArgs): void;
  layernormForward(a: LayernormForwardArgs): void;
  layernormBackward(a: LayernormBackwardArgs): void;
  attentionForward(a: AttentionForwardArgs): void;
  attentionBackward(a: AttentionBackwardArgs): void;
  attentionDecode(a: AttentionDecodeArgs): void;
  geluForward(a: GeluForwardArgs): void;
  geluBackward(a: GeluBackwardArgs): void;
  residualForward(a: ResidualForwardArgs): void;
  residualBackward(a: ResidualBackwardArgs): void;
  crossEntropyForward(a: CrossEntropyForwardArgs): void;
  crossEntropyBackward(a: CrossEntropyBackwardArgs): void;
  dropoutForward(a: DropoutForwardArgs): void;
  dropoutBackward(a: DropoutBackwardArgs): void;
  adamw(a: AdamWArgs): void;
  /** Sum of squares of inp[0..N), accumulated in float64 (for gradient-norm clipping). */
  sumSquares(a: SumSquaresArgs): number;
  /** inout[i] *= s. */
  scale(a: ScaleArgs): void;
  rmsnormForward(a: RmsnormForwardArgs): void;
  rmsnormBackward(a: RmsnormBackwardArgs): void;
  qkForward(a: QkForwardArgs): void;
  qkBackward(a: QkBackwardArgs): void;
  relu2Forward(a: Relu2ForwardArgs): void;
  relu2Backward(a: Relu2BackwardArgs): void;
  swigluForward(a: SwigluForwardArgs): void;
  swigluBackward(a: SwigluBackwardArgs): void;
  softcapForward(a: SoftcapForwardArgs): void;
  softcapBackward(a: SoftcapBackwardArgs): void;
  /**
   * The first index whose running sum of weights passes u x (their sum), subtracting in index
   * order in float64 (rounding can leave none: then the last index of positive weight; with none,
   * the first largest logit).
   */
  sampleRow(a: SampleRowArgs): number;
}

/** Compile-time guard: Kernels has exactly the ops of KERNEL_OPS (plus its name and packPanel). */
type _Exact = Exclude<keyof Kernels, KernelOp | 'name' | 'packPanel'> extends never
  ? Exclude<KernelOp, keyof Kernels> extends never
    ? true
    : never
  : never;
/** Always true; compiling it proves that Kernels has exactly the ops of KERNEL_OPS. */
export const _kernelsMatchOps: _Exact = true;

/**
 * A backend: kernels plus the memory they work on. Fast backends (WebAssembly) can only read
 * buffers that live in their own memory, so every buffer a model uses comes from `allocF32`.
 */
export interface Backend {
  readonly name: string;
  readonly kernels: Kernels;
  readonly threads: number;
  /** A zeroed float32 buffer these kernels can use. Lives until the program ends, unless made in `scope`. */
  allocF32(n: number): Float32Array;
  /** A zeroed int32 buffer these kernels can use. */
  allocI32(n: number): Int32Array;
  /**
   * Runs fn; buffers allocated inside are reclaimed when it returns and handed out again, in the
   * same order, by the next scope (so a steady-state training step allocates nothing new).
   * Values that must outlive the scope (a loss number) are copied out by fn.
   */
  scope<T>(fn: () => T): T;
  /**
   * Whether these kernels can read `buf` as it is (false: copy it into allocF32/allocI32 memory
   * first). Absent: every buffer will do (the reference kernels).
   */
  owns?(buf: ArrayBufferView): boolean;
}
