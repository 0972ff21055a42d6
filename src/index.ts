/** scratchlm's public API: the only door for cli/ and web/. */
export { ScratchError, check } from './core/errors.js';
export { Rng, type RngState } from './core/rng.js';
export * from './kernels/types.js';
export { refKernels, refBackend } from './kernels/ref/index.js';
export { createBackend, type BackendOptions } from './kernels/create.js';
export type { WasmBackend } from './kernels/wasm/backend.js';
