/** The --kernels and --threads options shared by every command that computes. */
import { createBackend, ScratchError, type Backend } from '../src/index.js';

export const BACKEND_OPTIONS = {
  kernels: { type: 'string' },
  threads: { type: 'string' },
} as const;

/** The backend the flags ask for; the fastest available (wasm, every core) by default. */
export async function backendFromFlags(values: { kernels?: string; threads?: string }): Promise<Backend> {
  const kind = values.kernels ?? 'auto';
  if (kind !== 'ref' && kind !== 'wasm' && kind !== 'auto') throw new ScratchError(`--kernels must be ref, wasm or auto, got '${kind}'`);
  let threads: number | undefined;
  if (values.threads !== undefined) {
    threads = Number(values.threads);
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new ScratchError(`--threads must be a whole number from 1 to 256, got '${values.threads}'`);
  }
  return createBackend({ kernels: kind, threads });
}
