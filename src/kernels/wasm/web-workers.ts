/**
 * The browser loader: kernel threads as module Web Workers (test/browser.test.ts runs them in
 * Chromium). Needs a cross-origin-isolated page (COOP: same-origin, COEP: require-corp), since
 * shared memory needs SharedArrayBuffer. Each kernel worker runs web-worker-entry.ts, written inline
 * as `new Worker(new URL('./web-worker-entry.js', import.meta.url), ...)`, the form bundlers (Vite,
 * webpack, esbuild) recognise and emit as a worker chunk (a file that spawned itself would not bundle).
 */
import type { WorkerInit } from './pool.js';

/** The kernel workers' name (shown in the browser's developer tools). */
const WORKER_NAME = 'scratchlm-kernels';

/** Whether this page (or worker: workers may start workers) may share memory with workers at all. */
export function webWorkersAvailable(): boolean {
  const g = globalThis as { Worker?: unknown; crossOriginIsolated?: boolean };
  return typeof g.Worker === 'function' && g.crossOriginIsolated === true;
}

/** A page's main thread must not block in Atomics.wait; a worker (training off the page's thread) may. */
export function mayBlock(): boolean {
  return (globalThis as { document?: unknown }).document === undefined;
}

export async function spawnWebWorkers(inits: WorkerInit[]): Promise<{ terminate(): void }> {
  const workers = inits.map(() => new Worker(new URL('./web-worker-entry.js', import.meta.url), { type: 'module', name: WORKER_NAME }));
  try {
    await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            w.onmessage = (e: MessageEvent<unknown>) => (e.data === 'ready' ? resolve() : reject(new Error(`kernel worker failed: ${String(e.data)}`)));
            // a script that fails to load gives an ErrorEvent without a message
            w.onerror = (e) => reject(new Error(`kernel worker failed: ${e.message || `could not load web-worker-entry.js`}`));
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
