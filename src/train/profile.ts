/**
 * Timing and step measurement for benchmarks: a Kernels wrapper that adds up the time spent in
 * each op, and a median-of-steps runner for one training step (forward, backward, clip, AdamW).
 */
import { KERNEL_OPS, type Backend, type Kernels, type KernelOp } from '../kernels/types.js';

/** Calls and milliseconds per kernel op. */
export type KernelProfile = Record<KernelOp, { calls: number; ms: number }>;

/** A backend whose kernels record calls and milliseconds per op into `profile`. */
export function profiledBackend(backend: Backend): { backend: Backend; profile: KernelProfile; reset(): void } {
  const profile = {} as KernelProfile;
  const reset = () => {
    for (const op of KERNEL_OPS) profile[op] = { calls: 0, ms: 0 };
  };
  reset();
  const inner = backend.kernels as unknown as Record<KernelOp, (a: unknown) => unknown>;
  const wrapped: Record<string, unknown> = { name: `${backend.kernels.name}+profile`, packPanel: backend.kernels.packPanel };
  for (const op of KERNEL_OPS) {
    wrapped[op] = (a: unknown) => {
      const t0 = performance.now();
      const r = inner[op].call(backend.kernels, a);
      const p = profile[op];
      p.ms += performance.now() - t0;
      p.calls++;
      return r;
    };
  }
  const b: Backend = {
    name: backend.name,
    threads: backend.threads,
    kernels: wrapped as unknown as Kernels,
    allocF32: (n) => backend.allocF32(n),
    allocI32: (n) => backend.allocI32(n),
    scope: (fn) => backend.scope(fn),
  };
  return { backend: b, profile, reset };
}

/** The median of `xs` (NaN when empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
