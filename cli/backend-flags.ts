/** The --kernels and --threads options shared by every command that computes. */
import { totalmem } from 'node:os';
import { createBackend, KERNEL_KINDS, ScratchError, type Backend, type KernelKind } from '../src/index.js';
import type { Flag } from './args.js';

/** Flags (cli/args.ts specs) every computing command takes. */
export const BACKEND_FLAGS = {
  kernels: { type: 'string', choices: [...KERNEL_KINDS], value: KERNEL_KINDS.join('|'), default: 'auto', doc: "kernels: 'auto' picks the fastest this machine runs (native if built, else wasm SIMD); 'native-avx2' etc. force a native path; 'ref' the plain TypeScript reference" },
  threads: { type: 'int', min: 1, max: 256, value: 'N', doc: 'threads for the wasm kernels (default: every core)' },
} as const satisfies Record<string, Flag>;

/** The backend the flags ask for; the fastest available (native if built, else wasm; every core) by default. */
export async function backendFromFlags(values: { kernels?: string; threads?: number }): Promise<Backend> {
  const kind = values.kernels ?? 'auto';
  if (!(KERNEL_KINDS as readonly string[]).includes(kind)) throw new ScratchError(`--kernels must be one of ${KERNEL_KINDS.join(', ')}, got '${kind}'`);
  return createBackend({ kernels: kind as KernelKind, threads: values.threads });
}

/**
 * Bytes a run on this backend may use, and why when it is less than the machine has: the
 * WebAssembly kernels address at most 4 GiB, whatever the machine has.
 */
export function memoryFor(backend: Backend): { availableMemory: number; addressableMemory?: number; memoryLimit?: string } {
  if (!backend.name.startsWith('wasm')) return { availableMemory: totalmem() };
  const cap = 4 * 1024 ** 3;
  return { availableMemory: Math.min(totalmem(), cap), addressableMemory: cap, memoryLimit: 'the wasm kernels address at most 4 GiB; --kernels ref has no such limit' };
}
