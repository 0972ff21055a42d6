/**
 * The browser loader: kernel threads as module Web Workers (test/browser.test.ts runs them in
 * Chromium). Needs a cross-origin-isolated page (COOP: same-origin, COEP: require-corp), since
 * shared memory needs SharedArrayBuffer. Loaded as a worker, this file waits for its init message
 * and serves jobs (pool.ts). The worker URL is written `new URL('./web-workers.js',
 * import.meta.url)`, the form bundlers (Vite, webpack, esbuild) recognise and emit as a worker.
 */
import { type WorkerInit, runWorker } from './pool.js';

/** The kernel workers' name: how this file, loaded in a worker, knows it is one of them. */
const WORKER_NAME = 'scratchlm-kernels';

interface WorkerScope {
  name: string;
  onmessage: ((e: MessageEvent<{ scratchlmKernelWorker?: WorkerInit }>) => void) | null;
  onmessageerror: (() => void) | null;
  postMessage(m: unknown): void;
}

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
  const url = new URL('./web-workers.js', import.meta.url);
  const workers = inits.map(() => new Worker(url, { type: 'module', name: WORKER_NAME }));
  try {
    await Promise.all(
      workers.map(
        (w, i) =>
          new Promise<void>((resolve, reject) => {
            w.onmessage = (e: MessageEvent<unknown>) => (e.data === 'ready' ? resolve() : reject(new Error(`kernel worker failed: ${String(e.data)}`)));
            // a script that fails to load gives an ErrorEvent without a message
            w.onerror = (e) => reject(new Error(`kernel worker failed: ${e.message || `could not load ${url.href}`}`));
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

// In a kernel worker (not any worker that imports this file): serve jobs once the init arrives.
const scope = globalThis as unknown as Partial<WorkerScope> & { document?: unknown; importScripts?: unknown };
if (scope.document === undefined && typeof scope.importScripts === 'function' && scope.name === WORKER_NAME) {
  scope.onmessage = (e) => {
    const init = e.data.scratchlmKernelWorker;
    if (init) runWorker(init, () => scope.postMessage!('ready'));
  };
  // the module or the memory could not be received (another agent cluster): say so, not hang
  scope.onmessageerror = () => scope.postMessage!('could not receive the shared memory and module (is the page cross-origin-isolated?)');
}
