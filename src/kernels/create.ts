import { ScratchError } from '../core/errors.js';
import { refBackend } from './ref/index.js';
import type { Backend } from './types.js';
import { createWasmBackend } from './wasm/backend.js';
import { wasmFeatures } from './wasm/module.js';

export interface BackendOptions {
  /** 'auto' (default): the fastest this engine runs; 'wasm' fails where WebAssembly SIMD is missing. */
  kernels?: 'ref' | 'wasm' | 'auto';
  /**
   * Threads for the wasm kernels, this one included; default: every core in Node, 1 in browsers
   * (more uses module Web Workers; like the wasm kernels at all, it needs a cross-origin-isolated
   * page: COOP same-origin, COEP require-corp).
   */
  threads?: number;
  /** Use relaxed-SIMD FMA where available (default true). */
  relaxedSimd?: boolean;
  /**
   * Upper bound of the shared WebAssembly memory (default 4096 MiB in Node, the 32-bit limit; 1024
   * in browsers; 512, reserved up front, on a page without SharedArrayBuffer).
   */
  maxMemoryMB?: number;
}

const isNode = (): boolean => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * Node's loader, imported through a variable so that bundlers building for browsers leave it out
 * (it imports node: modules, and browsers never run it).
 */
const NODE_LOADER = './wasm/node-workers.js';
type NodeLoader = typeof import('./wasm/node-workers.js');

/** Creates a kernels backend: the WebAssembly SIMD one where it runs, else the TypeScript reference. */
export async function createBackend(opts: BackendOptions = {}): Promise<Backend> {
  const want = opts.kernels ?? 'auto';
  if (want === 'ref') return refBackend;
  const node = isNode() ? ((await import(/* @vite-ignore */ NODE_LOADER)) as NodeLoader) : null;
  node?.enableWasmFlags();
  const feats = wasmFeatures();
  if (!feats.simd || (node && !feats.shared)) {
    if (want === 'wasm') throw new ScratchError('kernels: this engine lacks WebAssembly SIMD or SharedArrayBuffer; use kernels: ref');
    return refBackend;
  }
  const threads = opts.threads ?? (node ? node.defaultThreads() : 1);
  if (!feats.shared) {
    // a page that is not cross-origin-isolated: one thread on a plain memory
    if (threads > 1)
      throw new ScratchError(`kernels: ${threads} threads need SharedArrayBuffer, which this page lacks: serve it cross-origin-isolated (headers 'Cross-Origin-Opener-Policy: same-origin' and 'Cross-Origin-Embedder-Policy: require-corp'), or use threads: 1`);
    return createWasmBackend({
      threads: 1, relaxed: feats.relaxed && opts.relaxedSimd !== false, maxMemoryMB: Math.min(4096, opts.maxMemoryMB ?? 512),
      compile: (b) => new WebAssembly.Module(b), spawn: null, canWait: false, shared: false,
    });
  }
  const web = !node && threads >= 2 ? await import('./wasm/web-workers.js') : null;
  if (web && !web.webWorkersAvailable()) throw new ScratchError(`kernels: ${threads} threads need Web Workers and a cross-origin-isolated page; use threads: 1`);
  return createWasmBackend({
    threads,
    relaxed: feats.relaxed && opts.relaxedSimd !== false,
    maxMemoryMB: Math.min(4096, opts.maxMemoryMB ?? (node ? 4096 : 1024)),
    compile: node ? node.compileOptimized : (b) => new WebAssembly.Module(b),
    spawn: node ? node.spawnNodeWorkers : web ? web.spawnWebWorkers : null,
    canWait: node !== null || (web?.mayBlock() ?? false),
  });
}
