import type {
  EncoderBackwardArgs,
  EncoderForwardArgs,
  GeluBackwardArgs,
  GeluForwardArgs,
  LayernormBackwardArgs,
  LayernormForwardArgs,
  ResidualBackwardArgs,
  ResidualForwardArgs,
} from '../types.js';

/** out[b,t,:] = wte[inp[b,t],:] + wpe[t,:]. Ids are checked by the caller. */
export function encoderForward({ out, inp, wte, wpe, B, T, C }: EncoderForwardArgs): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const w = inp[b * T + t] * C;
      const p = t * C;
      if (wpe) for (let c = 0; c < C; c++) out[o + c] = wte[w + c] + wpe[p + c];
      else for (let c = 0; c < C; c++) out[o + c] = wte[w + c];
    }
  }
}

export function encoderBackward({ dwte, dwpe, dout, inp, B, T, C }: EncoderBackwardArgs): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const w = inp[b * T + t] * C;
      const p = t * C;
      for (let c = 0; c < C; c++) {
        const d = dout[o + c];
        dwte[w + c] += d;
        if (dwpe) dwpe[p + c] += d;
      }
    }
  }
}

/** Normalises each row of C values to mean 0, variance 1 (biased), then scales and shifts. */
export function layernormForward({ out, mean, rstd, inp, weight, bias, N, C, eps }: LayernormForwardArgs): void {
  for (let n = 0; n < N; n++) {
    const r = n * C;
    let m = 0;
    for (let c = 0; c < C; c++) m += inp[r + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) {
      const d = inp[r + c] - m;
      v += d * d;
    }
    v /= C;
    const s = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < C; c++) {
      const norm = (inp[r + c] - m) * s;
      out[r + c] = norm * weight[c] + (bias ? bias[c] : 0);
    }
    mean[n] = m;
    rstd[n] = s;
  }
}

export function layernormBackward(a: LayernormBackwardArgs): void {
  const { dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C } = a;
  for (let n = 0; n < N; n++) {
    const r = n * C;
    const m = mean[n];
    const s = rstd[n];
    // two reductions: the mean of dnorm and the mean of dnorm * norm
    let dnormMean = 0;
    let dnormNormMean = 0;
    for (let c = 0; c < C; c++) {
      const norm = (inp[r + c] - m) * s;
      const dnorm = weight[c] * dout[r + c];
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean /= C;
    dnormNormMean /= C;
    for (let c = 0; c < C; c++) {
      const norm = (inp[r + c] - m) * s;
      const d = dout[r + c];
      const dnorm = weight[c] * d;
      if (dbias) dbias[c] += d;
      dweight[c] += norm * d;
      dinp[r + c] += (dnorm - dnormMean - norm * dnormNormMean) * s;
    }
  }
}

const GELU_K = Math.sqrt(2 / Math.PI);

/** GPT-2's GELU, the tanh approximation ("gelu_new"). */
export function geluForward({ out, inp, N }: GeluForwardArgs): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i];
    out[i] = 0.5 * x * (1 + Math.tanh(GELU_K * (x + 0.044715 * x * x * x)));
  }
}

export function geluBackward({ dinp, inp, dout, N }: GeluBackwardArgs): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i];
    const u = GELU_K * (x + 0.044715 * x * x * x);
    const th = Math.tanh(u);
    const sech2 = 1 - th * th;
    const du = GELU_K * (1 + 3 * 0.044715 * x * x);
    dinp[i] += (0.5 * (1 + th) + 0.5 * x * sech2 * du) * dout[i];
  }
}

export function residualForward({ out, inp1, inp2, N }: ResidualForwardArgs): void {
  for (let i = 0; i < N; i++) out[i] = inp1[i] + inp2[i];
}

export function residualBackward({ dinp1, dinp2, dout, N }: ResidualBackwardArgs): void {
  for (let i = 0; i < N; i++) {
    dinp1[i] += dout[i];
    dinp2[i] += dout[i];
  }
}
