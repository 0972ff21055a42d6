import { ScratchError } from '../core/errors.js';
import { refBackend } from './ref/index.js';
import type { Backend } from './types.js';
import { createWasmBackend } from './wasm/backend.js';
import { wasmFeatures } from './wasm/module.js';

/** The kernel sets createBackend knows; 'native-<variant>' forces one instruction-set path of the native kernels. */
export const KERNEL_KINDS = ['auto', 'ref', 'wasm', 'native', 'native-avx512', 'native-avx2', 'native-portable'] as const;
/** A kernels choice of createBackend / `--kernels`. */
export type KernelKind = (typeof KERNEL_KINDS)[number];

/** Options of `createBackend`: which kernels, how many threads, how much memory. */
export interface BackendOptions {
  /**
   * 'auto' (default): the fastest this engine runs (in Node the native kernels when their addon
   * is built, else wasm); 'wasm' fails where WebAssembly SIMD is missing; 'native' fails, saying
   * why, where the addon is not built or not loadable. The environment variable
   * SCRATCHLM_NATIVE_VARIANT (avx512, avx2, portable) forces a path of 'native' and 'auto'.
   */
  kernels?: KernelKind;
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
   * in browsers; 512, reserved up front, on a page without SharedArrayBuffer); for the native
   * kernels, the address space reserved (default: the machine's memory).
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
/** The native addon's loader (Node-only, node: imports), kept out of browser bundles the same way. */
const NATIVE_LOADER = './native/node-addon.js';
type NativeLoader = typeof import('./native/node-addon.js');

/** The native backend, or null for 'auto' when the addon is missing (then wasm). */
async function createNative(want: KernelKind, opts: BackendOptions): Promise<Backend | null> {
  if (!isNode()) throw new ScratchError(`kernels: '${want}' runs only in Node.js; use wasm in browsers`);
  const node = (await import(/* @vite-ignore */ NATIVE_LOADER)) as NativeLoader;
  const { addon, why } = node.loadAddon();
  if (!addon) {
    if (want === 'auto') return null;
    throw new ScratchError(`kernels: ${want} is not available: ${why}`);
  }
  const { createNativeBackend, VARIANTS } = await import('./native/backend.js');
  const forced = want === 'auto' || want === 'native' ? process.env.SCRATCHLM_NATIVE_VARIANT : want.slice('native-'.length);
  if (forced !== undefined && forced !== '' && !(VARIANTS as readonly string[]).includes(forced))
    throw new ScratchError(`kernels: SCRATCHLM_NATIVE_VARIANT must be one of ${VARIANTS.join(', ')}, got '${forced}'`);
  return createNativeBackend({
    addon,
    threads: opts.threads ?? node.defaultThreads(),
    variant: forced ? (forced as (typeof VARIANTS)[number]) : undefined,
    reserveBytes: opts.maxMemoryMB !== undefined ? opts.maxMemoryMB * 2 ** 20 : node.defaultReserveBytes(),
  });
}

/** Creates a kernels backend: the WebAssembly SIMD one where it runs, else the TypeScript reference. */
export async function createBackend(opts: BackendOptions = {}): Promise<Backend> {
  const want = opts.kernels ?? 'auto';
  if (want === 'ref') return refBackend;
  if (want.startsWith('native') || (want === 'auto' && isNode())) {
    const native = await createNative(want, opts);
    if (native) return native;
  }
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
