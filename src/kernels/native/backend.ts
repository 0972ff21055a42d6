import { ScratchError } from '../../core/errors.js';
import { refKernels } from '../ref/index.js';
import type { Backend } from '../types.js';
import { NativeArena, WINDOW } from './arena.js';
import { nativeKernels } from './kernels.js';

/** What native/src/addon.c exports. */
export interface NativeAddon {
  /** Reserves a region of address space; returns its first window. */
  reserve(bytes: number): ArrayBuffer;
  window(first: ArrayBuffer, i: number): ArrayBuffer;
  /** The variants this CPU runs, fastest first: 'avx512', 'avx2', 'portable'. */
  variants(): string[];
  /** Makes sure n - 1 worker threads exist (they are shared by every native backend). */
  threads(n: number): void;
  /** Runs kernel `op` of variant `variant` with the arguments at the start of `first`. */
  call(first: ArrayBuffer, variant: number, op: number, threads: number): number;
  workerChunks(): number;
}

/** The variants in the addon's order (native/src/addon.c: variant()). */
export const VARIANTS = ['avx512', 'avx2', 'portable'] as const;
export type NativeVariant = (typeof VARIANTS)[number];

export interface NativeBackendOptions {
  addon: NativeAddon;
  threads: number;
  /** A variant to force (tests cover each path); default the fastest this CPU runs. */
  variant?: NativeVariant;
  /** Address space to reserve for buffers, in bytes. */
  reserveBytes: number;
}

/** A Backend plus what only the native one has. */
export interface NativeBackend extends Backend {
  readonly variant: NativeVariant;
  /** Bytes of the region in use at the high-water mark. */
  memoryBytes(): number;
  /** Chunks of kernel work the addon's worker threads ran (proof that they computed). */
  threadStats(): { workerChunks: number };
  close(): void;
}

export const MAX_THREADS = 64;

export function createNativeBackend(o: NativeBackendOptions): NativeBackend {
  const { addon } = o;
  const have = addon.variants();
  const variant = o.variant ?? (have[0] as NativeVariant);
  if (!have.includes(variant)) throw new ScratchError(`kernels: this CPU cannot run the native ${variant} kernels (it runs: ${have.join(', ')})`);
  const threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(o.threads)));
  addon.threads(threads);
  const first = addon.reserve(o.reserveBytes);
  const region = { first, size: o.reserveBytes, window: (i: number) => addon.window(first, i) };
  if (o.reserveBytes < WINDOW && first.byteLength < o.reserveBytes) throw new ScratchError('native backend: the region is smaller than asked');
  const arena = new NativeArena(region);
  const name = `native-${variant}`;
  const kernels = nativeKernels(name, refKernels, arena, (op, par) => addon.call(first, VARIANTS.indexOf(variant), op, par ? threads : 1), new Float64Array(first, 0, 64));
  return Object.freeze({
    name,
    kernels,
    threads,
    variant,
    allocF32: (n: number) => arena.alloc(n, false) as Float32Array,
    allocI32: (n: number) => arena.alloc(n, true) as Int32Array,
    scope: <T>(fn: () => T): T => arena.scope(fn),
    owns: (b: ArrayBufferView) => arena.owns(b),
    memoryBytes: () => arena.bytesPeak,
    threadStats: () => ({ workerChunks: addon.workerChunks() }),
    close() {},
  });
}
