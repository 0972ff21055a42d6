/** The --kernels and --threads options shared by every command that computes. */
import { totalmem } from 'node:os';
import { createBackend, KERNEL_KINDS, ScratchError, type Backend, type KernelKind } from '../src/index.js';

export const BACKEND_OPTIONS = {
  kernels: { type: 'string' },
  threads: { type: 'string' },
} as const;

/** The backend the flags ask for; the fastest available (native if built, else wasm; every core) by default. */
export async function backendFromFlags(values: { kernels?: string; threads?: string }): Promise<Backend> {
  const kind = values.kernels ?? 'auto';
  if (!(KERNEL_KINDS as readonly string[]).includes(kind)) throw new ScratchError(`--kernels must be one of ${KERNEL_KINDS.join(', ')}, got '${kind}'`);
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new ScratchError(`--threads must be a whole number from 1 to 256, got '${values.threads}'`);
  }
  return createBackend({ kernels: kind as KernelKind, threads });
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
