/**
 * One forward pass of the model, without gradients and without dropout, that keeps what
 * inspection reads: the residual stream between blocks, every head's attention probabilities,
 * and the logits. It is the model's own `forward` with a trace attached (ForwardTrace), so
 * whatever the model computes (its norms, attention, options) is what is shown.
 */
import { ScratchError } from '../core/errors.js';
import type { GPT } from '../model/gpt.js';
import { noGrad } from '../tensor/tensor.js';
import { Tensor } from '../tensor/tensor.js';

/** What a trace keeps besides the logits. */
export interface TraceOptions {
  /** Keep the residual stream after the embedding and after every block (for the logit lens). */
  residuals?: boolean;
  /** Keep every layer's attention probabilities. */
  attention?: boolean;
  /** Logits at every position ('all'), at the last one only ('last', the default), or none. */
  logits?: 'all' | 'last' | 'none';
}

/**
 * One forward pass over a prompt with the internals kept (residual stream, attention), for the
 * inspection functions.
 */
export interface Trace {
  /** The ids that ran (at most blockSize). */
  ids: number[];
  T: number;
  C: number;
  V: number;
  nLayer: number;
  nHead: number;
  /** nLayer + 1 buffers of (T, C): [0] after the embedding, [l + 1] after block l. Empty unless asked. */
  residuals: Float32Array[];
  /** nLayer buffers of (NH, T, T): attention[l][(h * T + query) * T + key]. Empty unless asked. */
  attention: Float32Array[];
  /** (T, V) for 'all', (V) for 'last', empty for 'none'. */
  logits: Float32Array;
}

/**
 * Runs `ids` (1 to blockSize of them) through the model in evaluation mode. The caller switches
 * dropout off (model.train(null)); a model in training mode is refused rather than silently
 * showing dropped-out attention.
 */
export function traceForward(model: GPT, ids: readonly number[], opts: TraceOptions = {}): Trace {
  const { blockSize, vocabSize: V, nEmbd: C, nLayer, nHead } = model.config;
  const T = ids.length;
  if (T === 0) throw new ScratchError('the prompt encodes to no tokens; give a non-empty prompt');
  if (T > blockSize) throw new ScratchError(`${T} tokens are more than the model's block size ${blockSize}`);
  if (model.training) throw new ScratchError('inspection runs the model in evaluation mode: call model.train(null) first');
  const residuals: Float32Array[] = [];
  const attention: Float32Array[] = [];
  const want = opts.logits ?? 'last';
  const logits = model.backend.scope(() =>
    noGrad(() => {
      const idx = model.backend.allocI32(T); // the backend's own memory: fast kernels read only that
      for (let i = 0; i < T; i++) idx[i] = ids[i]!;
      const { logits } = model.forward(idx, 1, T, {
        lastOnly: want !== 'all',
        trace: {
          residual: opts.residuals ? (_l, x) => void residuals.push(Float32Array.from(x.data)) : undefined,
          attention: opts.attention ? (_l, p) => void attention.push(Float32Array.from(p)) : undefined,
        },
      });
      return want === 'none' ? new Float32Array(0) : Float32Array.from(logits.data);
    }),
  );
  return { ids: [...ids], T, C, V, nLayer, nHead, residuals, attention, logits };
}

/**
 * Logits (rows, V) that the model's final norm and LM head read from residual-stream rows
 * (rows, C): the logit lens, through the model's own `unembed`.
 */
export function unembedRows(model: GPT, x: Float32Array, rows: number): Float32Array {
  const C = model.config.nEmbd;
  if (x.length !== rows * C) throw new Error(`unembedRows: ${x.length} values for ${rows} rows of ${C}`);
  return model.backend.scope(() =>
    noGrad(() => {
      const buf = model.backend.allocF32(rows * C);
      buf.set(x);
      return Float32Array.from(model.unembed(new Tensor(buf, [rows, C], model.backend)).data);
    }),
  );
}

/** Softmax of logits[start, start + n) into a new array (float64 sums, as the kernels do). */
export function softmax(logits: ArrayLike<number>, start = 0, n = logits.length - start): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[start + i]! > max) max = logits[start + i]!;
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += out[i] = Math.exp(logits[start + i]! - max);
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/** log softmax of logits[start, start + n) at index i. */
export function logProbAt(logits: ArrayLike<number>, start: number, n: number, i: number): number {
  let max = -Infinity;
  for (let j = 0; j < n; j++) if (logits[start + j]! > max) max = logits[start + j]!;
  let sum = 0;
  for (let j = 0; j < n; j++) sum += Math.exp(logits[start + j]! - max);
  return logits[start + i]! - max - Math.log(sum);
}

/** Indices of the k largest values, largest first (ties: lower index first); no full sort for small k. */
export function topK(values: ArrayLike<number>, k: number): number[] {
  k = Math.min(k, values.length);
  if (k > 64) return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b]! - values[a]! || a - b).slice(0, k);
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (out.length === k && v <= values[out[k - 1]!]!) continue;
    let j = out.length < k ? out.length : k - 1;
    if (out.length < k) out.push(i);
    while (j > 0 && values[out[j - 1]!]! < v) {
      out[j] = out[j - 1]!;
      j--;
    }
    out[j] = i;
  }
  return out;
}
