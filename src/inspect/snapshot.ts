/**
 * What a training snapshot keeps, computed from the model (browser-safe; the run folder's files
 * are io/snapshot-files.ts): which embedding rows, on what schedule, and the rows themselves.
 */

/** Step 0, then `n` steps log-spaced up to maxIters (deduplicated: short runs get fewer). */
export function snapshotSchedule(maxIters: number, n: number): number[] {
  const steps = new Set<number>([0]);
  if (n > 0 && maxIters > 0) for (let k = 1; k <= n; k++) steps.add(Math.min(maxIters, Math.round(Math.pow(maxIters + 1, k / n)) - 1));
  steps.add(n > 0 ? maxIters : 0);
  return [...steps].filter((s) => s >= 0).sort((a, b) => a - b);
}

/** Most rows a snapshot keeps: 4,096, and at most 512 KiB of int8 values (wide models keep fewer). */
export function snapshotRowLimit(vocabSize: number, C: number): number {
  return Math.max(1, Math.min(vocabSize, 4096, Math.floor((1 << 19) / C)));
}

/**
 * The ids a snapshot keeps: all of them when they fit, otherwise the most frequent `limit` by
 * `counts` (ties: lower id), ascending.
 */
export function snapshotIds(vocabSize: number, limit: number, counts?: ArrayLike<number>): number[] {
  if (vocabSize <= limit) return Array.from({ length: vocabSize }, (_, i) => i);
  const ids = Array.from({ length: vocabSize }, (_, i) => i);
  if (counts) ids.sort((a, b) => counts[b]! - counts[a]! || a - b);
  return ids.slice(0, limit).sort((a, b) => a - b);
}

/** Rows `ids` of a (V, C) matrix, copied. */
export function pickRows(m: ArrayLike<number>, C: number, ids: readonly number[]): Float32Array {
  const out = new Float32Array(ids.length * C);
  ids.forEach((id, r) => {
    for (let i = 0; i < C; i++) out[r * C + i] = m[id * C + i]!;
  });
  return out;
}
