import type { Backend } from '../types.js';
import { wasmKernels, PACK_FLOATS } from './kernels.js';
import { Arena } from './memory.js';
import { importObject, kernelModuleBytes } from './module.js';
import { CONST_BYTE, constTable } from './lanes.js';
import { MAX_THREADS, Pool, type WorkerInit } from './pool.js';
import { ScratchError } from '../../core/errors.js';

/** Starts threads-1 workers that each call runWorker(init); the platform loader provides it. */
export type SpawnWorkers = (inits: WorkerInit[]) => Promise<{ terminate(): void }>;

export interface WasmBackendOptions {
  threads: number;
  relaxed: boolean;
  maxMemoryMB: number;
  /** Compiles the module (Node's loader compiles straight to optimized code). */
  compile: (bytes: Uint8Array<ArrayBuffer>) => WebAssembly.Module;
  spawn: SpawnWorkers | null;
  /** Whether this thread may block in Atomics.wait (not a browser's main thread). */
  canWait: boolean;
  /**
   * false: a plain memory of maxMemoryMB reserved up front (a plain memory that grows would
   * detach the buffers already handed out), one thread only; for pages without SharedArrayBuffer.
   */
  shared?: boolean;
}

/** A Backend plus what only the wasm one has. */
export interface WasmBackend extends Backend {
  /** Relaxed-SIMD FMA in use (else plain SIMD multiply and add). */
  readonly relaxedSimd: boolean;
  /** Bytes of the shared memory in use at the high-water mark. */
  memoryBytes(): number;
  /**
   * What the threads did: workers started, parallel jobs posted, jobs run alone (cores
   * oversubscribed), and chunks the workers ran (proof that they really computed).
   */
  threadStats(): { workers: number; parallelJobs: number; soloJobs: number; workerChunks: number };
  /** Stops the workers; the backend must not be used afterwards. */
  close(): void;
}

export async function createWasmBackend(o: WasmBackendOptions): Promise<WasmBackend> {
  const threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(o.threads)));
  if (threads > 1 && !o.spawn) throw new ScratchError('wasm backend: no worker support on this platform; use threads: 1');
  const shared = o.shared !== false;
  if (!shared && threads > 1) throw new ScratchError('wasm backend: threads need shared memory (SharedArrayBuffer); use threads: 1');
  const maxPages = Math.ceil((o.maxMemoryMB * 2 ** 20) / 65536);
  const memory = new WebAssembly.Memory({ initial: shared ? 64 : maxPages, maximum: maxPages, shared });
  const module = o.compile(kernelModuleBytes(o.relaxed, maxPages, shared));
  new Float32Array(memory.buffer, CONST_BYTE).set(constTable());
  const instance = new WebAssembly.Instance(module, importObject(memory));
  const arena = new Arena(memory);
  const pack = arena.alloc(PACK_FLOATS, false);
  const pool = new Pool(instance, memory, threads, o.canWait);
  let workers: { terminate(): void } | null = null;
  if (threads > 1) {
    const inits = Array.from({ length: threads - 1 }, (_, i): WorkerInit => ({ module, memory, tid: i + 1 }));
    workers = await o.spawn!(inits);
  }
  const name = `wasm-${o.relaxed ? 'relaxed-simd' : 'simd'}`;
  return Object.freeze({
    name,
    kernels: wasmKernels(name, pool, arena, pack.byteOffset),
    threads,
    relaxedSimd: o.relaxed,
    allocF32: (n: number) => arena.alloc(n, false) as Float32Array,
    allocI32: (n: number) => arena.alloc(n, true) as Int32Array,
    scope: <T>(fn: () => T): T => arena.scope(fn),
    owns: (b: ArrayBufferView) => arena.owns(b),
    memoryBytes: () => arena.bytesPeak,
    threadStats: () => ({ workers: workers ? threads - 1 : 0, parallelJobs: pool.stats.parallel, soloJobs: pool.stats.solo, workerChunks: pool.workerChunks() }),
    close() {
      pool.close();
      workers?.terminate();
    },
  });
}
