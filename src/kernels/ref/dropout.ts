import type { DropoutBackwardArgs, DropoutForwardArgs } from '../types.js';

/**
 * Dropout draws its mask from a counter-based hash of (seed, element index) rather than from a
 * sequential generator, so every thread of a fast backend can fill its own share, in SIMD lanes,
 * and still produce exactly these bits. The hash is Chris Wellons' `lowbias32` applied twice with
 * the seed mixed in between; each call takes a fresh seed from the caller's seeded generator.
 */
export function lowbias32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The counter-based hash dropout draws element i's keep-or-drop from, so every backend drops the same
 * elements for a seed.
 */
export function dropoutHash(seed: number, i: number): number {
  return lowbias32((lowbias32(i) ^ seed) >>> 0);
}

/** A hash below this drops the element: p of the 2^32 values, to within 2^-32. */
export function dropThreshold(p: number): number {
  return Math.min(0xffffffff, Math.floor(p * 4294967296));
}

export function dropoutForward({ mask, out, inp, N, p, seed }: DropoutForwardArgs): void {
  const threshold = dropThreshold(p);
  const keep = 1 / (1 - p);
  for (let i = 0; i < N; i++) mask[i] = dropoutHash(seed, i) >= threshold ? keep : 0;
  if (out && inp) for (let i = 0; i < N; i++) out[i] = inp[i] * mask[i];
}

export function dropoutBackward({ dinp, dout, mask, N }: DropoutBackwardArgs): void {
  for (let i = 0; i < N; i++) dinp[i] += dout[i] * mask[i];
}
