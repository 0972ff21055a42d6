import type { MatmulBackwardArgs, MatmulForwardArgs, MatmulPackedArgs, PackWeightArgs } from '../types.js';

/** out (BT, OC) = inp (BT, C) @ weight(OC, C)^T + bias (OC). Each output is a dot of two rows. */
export function matmulForward({ out, inp, weight, bias, BT, C, OC }: MatmulForwardArgs): void {
  for (let i = 0; i < BT; i++) {
    const ir = i * C;
    const or = i * OC;
    for (let o = 0; o < OC; o++) {
      const wr = o * C;
      let acc = bias ? bias[o] : 0;
      for (let c = 0; c < C; c++) acc += inp[ir + c] * weight[wr + c];
      out[or + o] = acc;
    }
  }
}

/** The three products of the backward pass, each accumulated into its buffer. */
export function matmulBackward({ dinp, dweight, dbias, dout, inp, weight, BT, C, OC }: MatmulBackwardArgs): void {
  if (dinp) {
    // dinp (BT, C) += dout (BT, OC) @ weight (OC, C)
    for (let i = 0; i < BT; i++) {
      const ir = i * C;
      for (let o = 0; o < OC; o++) {
        const d = dout[i * OC + o];
        if (d === 0) continue;
        const wr = o * C;
        for (let c = 0; c < C; c++) dinp[ir + c] += d * weight[wr + c];
      }
    }
  }
  if (dweight || dbias) {
    // dweight (OC, C) += dout^T (OC, BT) @ inp (BT, C); dbias (OC) += column sums of dout
    for (let o = 0; o < OC; o++) {
      const wr = o * C;
      let db = 0;
      for (let i = 0; i < BT; i++) {
        const d = dout[i * OC + o];
        db += d;
        if (!dweight || d === 0) continue;
        const ir = i * C;
        for (let c = 0; c < C; c++) dweight[wr + c] += d * inp[ir + c];
      }
      if (dbias) dbias[o] += db;
    }
  }
}

/** out[(p * C + k) * P + j] = weight[p * P + j][k], 0 past OC: panels of P output columns, k-major. */
export function packWeight({ out, weight, C, OC, P }: PackWeightArgs): void {
  const np = Math.ceil(OC / P);
  for (let p = 0; p < np; p++)
    for (let k = 0; k < C; k++)
      for (let j = 0; j < P; j++) {
        const o = p * P + j;
        out[(p * C + k) * P + j] = o < OC ? weight[o * C + k] : 0;
      }
}

/** matmulForward over a packed weight: output column o is panel o / P, column o % P. */
export function matmulPacked({ out, inp, packed, bias, BT, C, OC, P }: MatmulPackedArgs): void {
  for (let i = 0; i < BT; i++) {
    const ir = i * C;
    for (let o = 0; o < OC; o++) {
      const base = Math.floor(o / P) * C * P + (o % P);
      let acc = bias ? bias[o] : 0;
      for (let c = 0; c < C; c++) acc += inp[ir + c] * packed[base + c * P];
      out[i * OC + o] = acc;
    }
  }
}
