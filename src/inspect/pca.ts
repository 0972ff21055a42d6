/**
 * 2-D maps of embeddings: PCA (the top two principal directions of the centred rows, by power
 * iteration with deflation, seeded so a map is the same every time), and orthogonal Procrustes to
 * turn each map onto the previous one (rotation or reflection only), so a series of snapshots
 * does not flip or spin from one to the next.
 */

/** (rows, 2) coordinates of the rows of a (rows, C) matrix on its top two principal directions. */
export function pca2(m: ArrayLike<number>, rows: number, C: number): Float64Array {
  const mean = new Float64Array(C);
  for (let r = 0; r < rows; r++) for (let i = 0; i < C; i++) mean[i]! += m[r * C + i]! / rows;
  const X = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) for (let i = 0; i < C; i++) X[r * C + i] = m[r * C + i]! - mean[i]!;
  const dirs: Float64Array[] = [];
  for (let d = 0; d < 2; d++) {
    // power iteration on X^T X, never forming it: v ← X^T (X v)
    let v = new Float64Array(C);
    for (let i = 0; i < C; i++) v[i] = Math.sin(12.9898 * (i + 1) + 78.233 * (d + 1)); // fixed, not random
    for (let it = 0; it < 200; it++) {
      for (const u of dirs) orth(v, u);
      const w = new Float64Array(C);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let i = 0; i < C; i++) s += X[r * C + i]! * v[i]!;
        for (let i = 0; i < C; i++) w[i]! += s * X[r * C + i]!;
      }
      for (const u of dirs) orth(w, u);
      const n = norm(w);
      if (n === 0) break;
      for (let i = 0; i < C; i++) w[i]! /= n;
      let change = 0;
      for (let i = 0; i < C; i++) change += Math.abs(w[i]! - v[i]!);
      v = w;
      if (change < 1e-10) break;
    }
    dirs.push(v);
  }
  const out = new Float64Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < 2; d++) {
      let s = 0;
      for (let i = 0; i < C; i++) s += X[r * C + i]! * dirs[d]![i]!;
      out[r * 2 + d] = s;
    }
  }
  return out;
}

function norm(v: Float64Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function orth(v: Float64Array, u: Float64Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * u[i]!;
  for (let i = 0; i < v.length; i++) v[i]! -= s * u[i]!;
}

/** Scales (rows, 2) points in place so their root-mean-square distance from the origin is 1. */
export function normalizeScale(p: Float64Array): Float64Array {
  let s = 0;
  for (const x of p) s += x * x;
  const rms = Math.sqrt(s / Math.max(1, p.length / 2));
  if (rms > 0) for (let i = 0; i < p.length; i++) p[i]! /= rms;
  return p;
}

/**
 * Turns points `p` (rows, 2) by the rotation or reflection R that best maps them onto `ref`
 * (least squares, R orthogonal: R = U V^T from the SVD of p^T ref). Returns a new array.
 */
export function procrustes2(p: Float64Array, ref: Float64Array): Float64Array {
  let a = 0, b = 0, c = 0, d = 0; // M = p^T ref, 2×2
  for (let r = 0; r < p.length / 2; r++) {
    a += p[2 * r]! * ref[2 * r]!;
    b += p[2 * r]! * ref[2 * r + 1]!;
    c += p[2 * r + 1]! * ref[2 * r]!;
    d += p[2 * r + 1]! * ref[2 * r + 1]!;
  }
  // the best rotation has angle atan2(b - c, a + d); the best reflection, atan2(b + c, a - d)
  const rotScore = Math.hypot(a + d, b - c);
  const refScore = Math.hypot(a - d, b + c);
  let R: [number, number, number, number];
  if (rotScore >= refScore) {
    const t = Math.atan2(b - c, a + d);
    R = [Math.cos(t), Math.sin(t), -Math.sin(t), Math.cos(t)]; // [r00, r01, r10, r11], row vector x · R
  } else {
    const t = Math.atan2(b + c, a - d);
    R = [Math.cos(t), Math.sin(t), Math.sin(t), -Math.cos(t)];
  }
  const out = new Float64Array(p.length);
  for (let r = 0; r < p.length / 2; r++) {
    const x = p[2 * r]!, y = p[2 * r + 1]!;
    out[2 * r] = x * R[0] + y * R[2];
    out[2 * r + 1] = x * R[1] + y * R[3];
  }
  return out;
}

/** PCA maps of a series of snapshots of the same rows, each scaled to unit RMS and turned onto the one before. */
export function alignedMaps(snapshots: readonly ArrayLike<number>[], rows: number, C: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (const m of snapshots) {
    const p = normalizeScale(pca2(m, rows, C));
    out.push(out.length ? procrustes2(p, out[out.length - 1]!) : p);
  }
  return out;
}
