/**
 * The one Node-specific module of the kernels: V8 flags, optimized compilation and worker_threads.
 * A worker started from here loads this same file, finds its init in workerData and serves jobs.
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { wasmFeatures } from './module.js';
import { type WorkerInit, runWorker } from './pool.js';

let flagsSet = false;
/**
 * Node 20's V8 hides relaxed SIMD behind a flag, which must be set before compiling; Node 22 and
 * later ship it and no longer know the flag (setting it prints "unrecognized flag" on stderr). So
 * the flag is set only where a relaxed-SIMD module fails to validate without it.
 */
export function enableWasmFlags(): void {
  if (flagsSet) return;
  flagsSet = true;
  if (!needsRelaxedSimdFlag()) return;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}

/** True where this engine has SIMD but validates relaxed SIMD only behind V8's experimental flag. */
export function needsRelaxedSimdFlag(): boolean {
  const feats = wasmFeatures();
  if (!feats.simd || feats.relaxed) return false;
  // V8 keeps the flag until relaxed SIMD shipped by default (V8 11.4, Node 21); later engines reject it.
  const v8major = Number(/^(\d+)/.exec(process.versions.v8 ?? '')?.[1] ?? 0);
  return v8major > 0 && v8major < 12;
}

/**
 * Compiles every function straight to TurboFan code, now. By default V8 compiles a wasm function
 * lazily on its first call, with the Liftoff baseline compiler, and only replaces it after enough
 * calls: the first steps of a run (and any benchmark not warmed up) would be several times slower.
 * Lazy compilation stays off afterwards (harmless: other modules just compile eagerly).
 */
export function compileOptimized(bytes: Uint8Array<ArrayBuffer>): WebAssembly.Module {
  setFlagsFromString('--no-liftoff');
  setFlagsFromString('--no-wasm-lazy-compilation');
  try {
    return new WebAssembly.Module(bytes);
  } finally {
    setFlagsFromString('--liftoff');
  }
}

export function defaultThreads(): number {
  return availableParallelism();
}

/** Starts the workers and resolves once each has its instance; unref'd so they never keep Node alive. */
export async function spawnNodeWorkers(inits: WorkerInit[]): Promise<{ terminate(): void }> {
  const workers = inits.map((init) => new Worker(new URL(import.meta.url), { workerData: { scratchlmKernelWorker: init } }));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
            w.once('exit', (code) => reject(new Error(`kernel worker exited early (code ${code})`)));
          }),
      ),
    );
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw e;
  }
  for (const w of workers) {
    w.removeAllListeners('exit');
    w.unref();
  }
  return { terminate: () => workers.forEach((w) => void w.terminate()) };
}

const init = (workerData as { scratchlmKernelWorker?: WorkerInit } | null)?.scratchlmKernelWorker;
if (!isMainThread && init) runWorker(init, () => parentPort!.postMessage('ready'));
