/**
 * A kernel worker's script in browsers (spawned by web-workers.ts): waits for its init message
 * (the compiled module and the shared memory), then serves jobs (pool.ts) until told to quit.
 */
import { type WorkerInit, runWorker } from './pool.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<{ scratchlmKernelWorker?: WorkerInit }>) => void) | null;
  onmessageerror: (() => void) | null;
  postMessage(m: unknown): void;
}

const scope = globalThis as unknown as WorkerScope;
scope.onmessage = (e) => {
  const init = e.data.scratchlmKernelWorker;
  if (init) runWorker(init, () => scope.postMessage('ready'));
};
// the module or the memory could not be received (another agent cluster): say so, not hang
scope.onmessageerror = () => scope.postMessage('could not receive the shared memory and module (is the page cross-origin-isolated?)');
