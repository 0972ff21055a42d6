import type { AttentionBackwardArgs, AttentionDecodeArgs, AttentionForwardArgs } from '../types.js';

/**
 * Causal multi-head self-attention over packed q, k, v: inp (B, T, 3C), head size hs = C / NH.
 * att (B, NH, T, T) keeps the softmax probabilities for the backward pass. With dropout, drop
 * comes in holding the multipliers and leaves holding att * multipliers, which weigh v.
 */
export function attentionForward({ out, att, inp, drop, B, T, C, NH }: AttentionForwardArgs): void {
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  const C3 = 3 * C;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const q = (b * T + t) * C3 + h * hs;
        const a = ((b * NH + h) * T + t) * T;
        let max = -Infinity;
        for (let t2 = 0; t2 <= t; t2++) {
          const k = (b * T + t2) * C3 + C + h * hs;
          let s = 0;
          for (let i = 0; i < hs; i++) s += inp[q + i] * inp[k + i];
          s *= scale;
          att[a + t2] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const e = Math.exp(att[a + t2] - max);
          att[a + t2] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let t2 = 0; t2 <= t; t2++) att[a + t2] *= inv;
        for (let t2 = t + 1; t2 < T; t2++) att[a + t2] = 0;
        if (drop) {
          for (let t2 = 0; t2 <= t; t2++) drop[a + t2] *= att[a + t2];
          for (let t2 = t + 1; t2 < T; t2++) drop[a + t2] = 0;
        }
        const w8 = drop ?? att; // the weights applied to v
        const o = (b * T + t) * C + h * hs;
        for (let i = 0; i < hs; i++) out[o + i] = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const v = (b * T + t2) * C3 + 2 * C + h * hs;
          const w = w8[a + t2];
          for (let i = 0; i < hs; i++) out[o + i] += w * inp[v + i];
        }
      }
    }
  }
}

/**
 * With dropout, out = (att * m) v for multipliers m, and drop = att * m. The softmax's backward
 * pass then takes d(att) = m * d(drop), so d(pre)_j = drop_j d(drop)_j - att_j sum_k drop_k d(drop)_k
 * (times the scale): the multipliers themselves are never needed again.
 */
export function attentionBackward({ dinp, scratch, dout, inp, att, drop, B, T, C, NH }: AttentionBackwardArgs): void {
  const hs = C / NH;
  const w8 = drop ?? att; // the weights the forward pass applied to v
  const scale = 1 / Math.sqrt(hs);
  const C3 = 3 * C;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const a = ((b * NH + h) * T + t) * T;
        const o = (b * T + t) * C + h * hs;
        // through out = att @ v: d(att) into scratch, d(v) accumulated
        let dot = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const v = (b * T + t2) * C3 + 2 * C + h * hs;
          const w = w8[a + t2];
          let s = 0;
          for (let i = 0; i < hs; i++) {
            s += inp[v + i] * dout[o + i];
            dinp[v + i] += w * dout[o + i];
          }
          scratch[a + t2] = s;
          dot += w * s;
        }
        // through the softmax, then the scaled dot products q . k
        const q = (b * T + t) * C3 + h * hs;
        for (let t2 = 0; t2 <= t; t2++) {
          const dpre = (drop ? drop[a + t2] * scratch[a + t2] - att[a + t2] * dot : att[a + t2] * (scratch[a + t2] - dot)) * scale;
          if (dpre === 0) continue;
          const k = (b * T + t2) * C3 + C + h * hs;
          for (let i = 0; i < hs; i++) {
            dinp[q + i] += dpre * inp[k + i];
            dinp[k + i] += dpre * inp[q + i];
          }
        }
      }
    }
  }
}

/**
 * One query row against L cached positions, head by head, in the same order of operations as
 * attentionForward's row t = L-1 (so the reference's cached and full paths agree bit for bit).
 */
export function attentionDecode({ out, att, q, k, v, L, C, NH }: AttentionDecodeArgs): void {
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  for (let h = 0; h < NH; h++) {
    const qo = h * hs;
    const a = h * L;
    let max = -Infinity;
    for (let t2 = 0; t2 < L; t2++) {
      const ko = t2 * C + h * hs;
      let s = 0;
      for (let i = 0; i < hs; i++) s += q[qo + i] * k[ko + i];
      s *= scale;
      att[a + t2] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let t2 = 0; t2 < L; t2++) {
      const e = Math.exp(att[a + t2] - max);
      att[a + t2] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let t2 = 0; t2 < L; t2++) att[a + t2] *= inv;
    for (let i = 0; i < hs; i++) out[qo + i] = 0;
    for (let t2 = 0; t2 < L; t2++) {
      const vo = t2 * C + h * hs;
      const w = att[a + t2];
      for (let i = 0; i < hs; i++) out[qo + i] += w * v[vo + i];
    }
  }
}
