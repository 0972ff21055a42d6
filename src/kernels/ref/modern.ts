/**
 * Reference kernels of the modern small-model recipe (modded-nanogpt, Llama): RMSNorm, the
 * per-head QK-norm and rotary transform, ReLU², SwiGLU and logit soft-capping. Plain loops, the
 * ground truth for the fast kernels; backward kernels accumulate (+=) like every other.
 */
import type {
  QkBackwardArgs,
  QkForwardArgs,
  Relu2BackwardArgs,
  Relu2ForwardArgs,
  RmsnormBackwardArgs,
  RmsnormForwardArgs,
  SoftcapBackwardArgs,
  SoftcapForwardArgs,
  SwigluBackwardArgs,
  SwigluForwardArgs,
} from '../types.js';

/** out = inp / sqrt(mean(inp^2) + eps) * weight, row by row. */
export function rmsnormForward({ out, rstd, inp, weight, N, C, eps }: RmsnormForwardArgs): void {
  for (let n = 0; n < N; n++) {
    const r = n * C;
    let ss = 0;
    for (let c = 0; c < C; c++) ss += inp[r + c] * inp[r + c];
    const s = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) out[r + c] = inp[r + c] * s * weight[c];
    rstd[n] = s;
  }
}

/** With y = x * rstd: dweight += y * dout; dx += rstd * (dy - y * mean(dy * y)), dy = weight * dout. */
export function rmsnormBackward({ dinp, dweight, dout, inp, weight, rstd, N, C }: RmsnormBackwardArgs): void {
  for (let n = 0; n < N; n++) {
    const r = n * C;
    const s = rstd[n];
    let dyy = 0;
    for (let c = 0; c < C; c++) dyy += weight[c] * dout[r + c] * inp[r + c] * s;
    dyy /= C;
    for (let c = 0; c < C; c++) {
      const y = inp[r + c] * s;
      dweight[c] += y * dout[r + c];
      dinp[r + c] += s * (weight[c] * dout[r + c] - y * dyy);
    }
  }
}

export function qkForward({ out, rstd, inp, cos, sin, B, T, C, NH, pos, eps }: QkForwardArgs): void {
  const hs = C / NH;
  const h2 = hs >> 1;
  for (let bt = 0; bt < B * T; bt++) {
    const t = pos ? pos[bt] : bt % T;
    const row = bt * 3 * C;
    for (let j = 2 * C; j < 3 * C; j++) out[row + j] = inp[row + j]; // v
    for (let part = 0; part < 2; part++) {
      for (let h = 0; h < NH; h++) {
        const o = row + part * C + h * hs;
        let s = 1;
        if (rstd) {
          let ss = 0;
          for (let i = 0; i < hs; i++) ss += inp[o + i] * inp[o + i];
          s = 1 / Math.sqrt(ss / hs + eps);
          rstd[(bt * 2 + part) * NH + h] = s;
        }
        if (cos && sin) {
          for (let i = 0; i < h2; i++) {
            const c = cos[t * h2 + i];
            const sn = sin[t * h2 + i];
            const a = inp[o + i] * s;
            const b = inp[o + i + h2] * s;
            out[o + i] = a * c - b * sn;
            out[o + i + h2] = b * c + a * sn;
          }
        } else {
          for (let i = 0; i < hs; i++) out[o + i] = inp[o + i] * s;
        }
      }
    }
  }
}

/** The rotation's transpose, then the RMS norm's backward (as in rmsnormBackward, without a gain). */
export function qkBackward({ dinp, dout, inp, rstd, cos, sin, B, T, C, NH, pos }: QkBackwardArgs): void {
  const hs = C / NH;
  const h2 = hs >> 1;
  const dy = new Float64Array(hs); // scratch of one head: the reference may allocate
  for (let bt = 0; bt < B * T; bt++) {
    const t = pos ? pos[bt] : bt % T;
    const row = bt * 3 * C;
    for (let j = 2 * C; j < 3 * C; j++) dinp[row + j] += dout[row + j];
    for (let part = 0; part < 2; part++) {
      for (let h = 0; h < NH; h++) {
        const o = row + part * C + h * hs;
        if (cos && sin) {
          for (let i = 0; i < h2; i++) {
            const c = cos[t * h2 + i];
            const sn = sin[t * h2 + i];
            const da = dout[o + i];
            const db = dout[o + i + h2];
            dy[i] = da * c + db * sn;
            dy[i + h2] = db * c - da * sn;
          }
        } else {
          for (let i = 0; i < hs; i++) dy[i] = dout[o + i];
        }
        if (rstd) {
          const s = rstd[(bt * 2 + part) * NH + h];
          let dyy = 0;
          for (let i = 0; i < hs; i++) dyy += dy[i] * inp[o + i] * s;
          dyy /= hs;
          for (let i = 0; i < hs; i++) dinp[o + i] += s * (dy[i] - inp[o + i] * s * dyy);
        } else {
          for (let i = 0; i < hs; i++) dinp[o + i] += dy[i];
        }
      }
    }
  }
}

export function relu2Forward({ out, inp, N }: Relu2ForwardArgs): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i] > 0 ? inp[i] : 0;
    out[i] = x * x;
  }
}

export function relu2Backward({ dinp, inp, dout, N }: Relu2BackwardArgs): void {
  for (let i = 0; i < N; i++) if (inp[i] > 0) dinp[i] += 2 * inp[i] * dout[i];
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export function swigluForward({ out, inp, N, H }: SwigluForwardArgs): void {
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const g = inp[n * 2 * H + j];
      out[n * H + j] = g * sigmoid(g) * inp[n * 2 * H + H + j];
    }
  }
}

/** d gate = dout * up * sig(g) (1 + g (1 - sig(g))); d up = dout * silu(g). */
export function swigluBackward({ dinp, inp, dout, N, H }: SwigluBackwardArgs): void {
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < H; j++) {
      const gi = n * 2 * H + j;
      const g = inp[gi];
      const u = inp[gi + H];
      const sg = sigmoid(g);
      const d = dout[n * H + j];
      dinp[gi] += d * u * sg * (1 + g * (1 - sg));
      dinp[gi + H] += d * g * sg;
    }
  }
}

export function softcapForward({ out, inp, N, cap }: SoftcapForwardArgs): void {
  for (let i = 0; i < N; i++) out[i] = cap * Math.tanh(inp[i] / cap);
}

export function softcapBackward({ dinp, out, dout, N, cap }: SoftcapBackwardArgs): void {
  for (let i = 0; i < N; i++) {
    const th = out[i] / cap;
    dinp[i] += (1 - th * th) * dout[i];
  }
}
