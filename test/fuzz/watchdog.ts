/**
 * Runs one reader's fuzz (truncations, then seeded mutations) in a worker thread under a watchdog.
 * runCase bumps a shared counter as each case starts; when it stands still for `hangMs` the case
 * hangs (an infinite loop, a regex that never ends), which no check after the case could catch:
 * the worker is terminated, the case's files are copied out for the record, and the hang counts
 * as a failure (the reader's remaining cases are not run).
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { heartbeat, mutations, truncations, type ReaderCounts } from './mutate.js';
import type { Reader } from './readers.js';

export interface WatchedOptions {
  /** Mutations after the truncations. */
  runs: number;
  seed: number;
  /** A folder for the case files (the worker writes each case there). */
  dir: string;
  /** How long one case may run before it counts as a hang. */
  hangMs: number;
  /** Truncation at every length up to this, then `truncSteps` lengths over the rest. */
  truncMax?: number;
  truncSteps?: number;
  /** The module whose makeReaders() holds the reader (default ./readers.js). */
  readersModule?: string;
}

export interface WatchedCounts extends ReaderCounts {
  /** Where the files of a hanging case were kept, when one hung. */
  hang?: { afterMs: number; kept: string; caseNumber: number };
}

interface Job extends WatchedOptions {
  reader: string;
  beat: SharedArrayBuffer;
}

/** The fuzz of reader `name` in a worker under the watchdog. */
export function fuzzWatched(name: string, opts: WatchedOptions): Promise<WatchedCounts> {
  const beat = new SharedArrayBuffer(4);
  const counter = new Int32Array(beat);
  const job: Job = { ...opts, reader: name, beat };
  const worker = new Worker(new URL(import.meta.url), { workerData: job });
  return new Promise((resolve, reject) => {
    let last = -1;
    let since = performance.now();
    const timer = setInterval(() => {
      const now = Atomics.load(counter, 0);
      if (now !== last) {
        last = now;
        since = performance.now();
        return;
      }
      const stuck = performance.now() - since;
      if (stuck < opts.hangMs) return;
      clearInterval(timer);
      const kept = mkdtempSync(join(tmpdir(), 'scratchlm-fuzz-hang-'));
      cpSync(opts.dir, kept, { recursive: true });
      void worker.terminate().then(() =>
        resolve({
          reader: name,
          cases: now,
          loaded: 0,
          rejected: 0,
          failures: [{ why: `case ${now} ran for more than ${opts.hangMs} ms (a hang); its files are kept in ${kept}`, example: kept }],
          hang: { afterMs: stuck, kept, caseNumber: now },
        }),
      );
    }, Math.min(250, opts.hangMs / 4));
    worker.once('message', (c: WatchedCounts) => {
      clearInterval(timer);
      void worker.terminate();
      resolve(c);
    });
    worker.once('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
  });
}

if (!isMainThread && (workerData as Job | undefined)?.beat) {
  const job = workerData as Job;
  heartbeat.beat = new Int32Array(job.beat);
  const mod = (await import(job.readersModule ?? './readers.js')) as { makeReaders(): Reader[] };
  const reader = mod.makeReaders().find((r) => r.name === job.reader);
  if (!reader) throw new Error(`no reader named ${job.reader}`);
  const c: ReaderCounts = { reader: reader.name, cases: 0, loaded: 0, rejected: 0, failures: [] };
  truncations(reader, job.dir, c, job.truncMax, job.truncSteps);
  mutations(reader, job.dir, c, job.runs, job.seed);
  parentPort!.postMessage(c);
}
