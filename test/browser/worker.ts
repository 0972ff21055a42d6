/**
 * A dedicated module worker that runs the browser checks off the page's main thread, where the
 * pool may block in Atomics.wait and the kernel workers are nested workers. Answers { result } or { error }.
 */
import { runBrowserChecks } from './page.js';

self.onmessage = async (e: MessageEvent<Parameters<typeof runBrowserChecks>>) => {
  try {
    self.postMessage({ result: await runBrowserChecks(...e.data) });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
};
