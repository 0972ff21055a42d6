import type { AdamWArgs, CrossEntropyBackwardArgs, CrossEntropyForwardArgs, ScaleArgs, SumSquaresArgs } from '../types.js';

/** Softmax of each row of logits and -log p(target), through log-sum-exp for float32 safety. */
export function crossEntropyForward({ losses, probs, logits, targets, BT, V }: CrossEntropyForwardArgs): void {
  for (let i = 0; i < BT; i++) {
    const r = i * V;
    let max = -Infinity;
    for (let v = 0; v < V; v++) if (logits[r + v] > max) max = logits[r + v];
    let sum = 0;
    for (let v = 0; v < V; v++) {
      const e = Math.exp(logits[r + v] - max);
      probs[r + v] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let v = 0; v < V; v++) probs[r + v] *= inv;
    const tgt = targets[i];
    losses[i] = tgt < 0 ? 0 : Math.log(sum) + max - logits[r + tgt];
  }
}

export function crossEntropyBackward({ dlogits, probs, targets, scale, BT, V }: CrossEntropyBackwardArgs): void {
  for (let i = 0; i < BT; i++) {
    const tgt = targets[i];
    if (tgt < 0) continue;
    const r = i * V;
    for (let v = 0; v < V; v++) dlogits[r + v] += scale * probs[r + v];
    dlogits[r + tgt] -= scale;
  }
}

/** PyTorch's AdamW: decoupled weight decay, then the bias-corrected Adam step. */
export function adamw({ params, grads, m, v, N, lr, beta1, beta2, eps, weightDecay, t }: AdamWArgs): void {
  const bc1 = 1 - Math.pow(beta1, t);
  const bc2 = 1 - Math.pow(beta2, t);
  for (let i = 0; i < N; i++) {
    const g = grads[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const p = params[i] * (1 - lr * weightDecay);
    params[i] = p - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
  }
}

export function sumSquares({ inp, N }: SumSquaresArgs): number {
  let s = 0;
  for (let i = 0; i < N; i++) s += inp[i] * inp[i];
  return s;
}

export function scale({ inout, N, s }: ScaleArgs): void {
  for (let i = 0; i < N; i++) inout[i] *= s;
}
