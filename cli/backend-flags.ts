/** The --kernels and --threads options shared by every command that computes. */
import { refBackend, ScratchError, type Backend } from '../src/index.js';

export const BACKEND_OPTIONS = {
  kernels: { type: 'string' },
  threads: { type: 'string' },
} as const;

export async function backendFromFlags(values: { kernels?: string; threads?: string }): Promise<Backend> {
  const kind = values.kernels ?? 'ref';
  if (kind !== 'ref') throw new ScratchError(`--kernels ${kind}: only 'ref' is available in this build`);
  if (values.threads !== undefined && !(Number(values.threads) >= 1)) throw new ScratchError(`--threads must be a whole number ≥ 1, got '${values.threads}'`);
  return refBackend;
}
