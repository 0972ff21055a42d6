/**
 * The browser loader: kernel threads as module Web Workers. Untested so far (the test suite runs
 * in Node); needs a cross-origin-isolated page, since shared memory needs SharedArrayBuffer.
 * Loaded as a worker, this file waits for its init message and serves jobs (pool.ts).
 */
import { type WorkerInit, runWorker } from './pool.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<{ scratchlmKernelWorker?: WorkerInit }>) => void) | null;
  postMessage(m: unknown): void;
}

/** Whether this page may share memory with workers at all. */
export function webWorkersAvailable(): boolean {
  const g = globalThis as { Worker?: unknown; crossOriginIsolated?: boolean; document?: unknown };
  return typeof g.Worker === 'function' && g.crossOriginIsolated === true && g.document !== undefined;
}

export async function spawnWebWorkers(inits: WorkerInit[]): Promise<{ terminate(): void }> {
  const workers = inits.map(() => new Worker(new URL(import.meta.url), { type: 'module' }));
  try {
    await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            w.onmessage = () => resolve();
            w.onerror = (e) => reject(new Error(`kernel worker failed: ${e.message}`));
            w.postMessage({ scratchlmKernelWorker: inits[i] });
          }),
      ),
    );
  } catch (e) {
    for (const w of workers) w.terminate();
    throw e;
  }
  return { terminate: () => workers.forEach((w) => w.terminate()) };
}

// In a dedicated worker (no document): serve jobs once the init arrives.
const scope = globalThis as unknown as Partial<WorkerScope> & { document?: unknown; importScripts?: unknown };
if (scope.document === undefined && typeof scope.importScripts === 'function') {
  scope.onmessage = (e) => {
    const init = e.data.scratchlmKernelWorker;
    if (init) runWorker(init, () => scope.postMessage!('ready'));
  };
}
