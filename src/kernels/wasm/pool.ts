import { FN_NAMES, importObject } from './module.js';

/**
 * Threads over one shared WebAssembly.Memory. Every thread instantiates the same module on the
 * same memory. A job is "call function fn with these arguments" cut into nchunks pieces; each
 * kernel takes (chunk, nchunks) first and does that share. Threads claim chunks with a
 * compare-exchange, the main thread included, so when the OS deschedules a worker (the cores are
 * shared) the main thread simply does the remaining chunks itself instead of waiting for it.
 *
 * The hand-off lives in the first bytes of the memory: the main thread writes the arguments, then
 * the claim word (job number << 16 | next chunk) and bumps a generation counter. Workers spin on
 * the counter for a while (an Atomics.wait/notify round trip costs ~50 us, a spinning hand-off
 * under 1 us) before they sleep in Atomics.wait. A worker reads the arguments only after its claim
 * succeeds: the job cannot end, nor the next one overwrite them, while it holds a chunk.
 * This file has no Node imports: browsers run the same loop in Web Workers.
 */

const GEN = 0; // bumped once per job
const FN = 1; // index into FN_NAMES
const NCHUNKS = 2; // pieces of the current job
const FINISHED = 3; // chunks done
const SLEEPERS = 4; // workers inside Atomics.wait on GEN
const MAIN_WAITING = 5; // main thread inside Atomics.wait on FINISHED
const QUIT = 6;
const CLAIM = 7; // (job & 0xffff) << 16 | next unclaimed chunk
const WORKER_CHUNKS = 8; // chunks the workers (not the main thread) have run, for tests and stats
const ARGS_BYTE = 64; // 16 float64 arguments
export const MAX_ARGS = 16;
/** Per-chunk float64 partial results (sum of squares). */
export const PARTS_BYTE = 256;
export const MAX_CHUNKS = 64;
export const MAX_THREADS = 16;
/** Bytes at the start of memory that the allocator must leave alone. */
export const RESERVED_BYTES = 65536;

/** How long an idle worker spins before sleeping, in milliseconds. */
const WORKER_SPIN_MS = 1;
const MAIN_SPINS = 20000;
/**
 * When other processes oversubscribe the cores, a worker is often descheduled while it holds a
 * chunk, and the main thread waits for it: then one thread is faster than two. The pool checks
 * every PROBE_JOBS parallel jobs how much of their time went into that wait, and above
 * MAX_WAIT_SHARE runs the next SOLO_JOBS jobs on the main thread alone before trying again.
 */
const PROBE_JOBS = 64;
const MAX_WAIT_SHARE = 0.3;
const SOLO_JOBS = 1024;

type WasmFn = (...a: number[]) => void;

function kernelFns(instance: WebAssembly.Instance): WasmFn[] {
  return FN_NAMES.map((n) => instance.exports[n] as WasmFn);
}

/** The message a worker needs to join: the compiled module, the memory and its thread id. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  tid: number;
}

/** Claims and runs chunks of job `job` until none is left; returns how many this thread ran. */
function work(ctl: Int32Array, args: Float64Array, fns: WasmFn[], job: number): number {
  let ran = 0;
  for (;;) {
    const c = Atomics.load(ctl, CLAIM);
    const n = ctl[NCHUNKS]!;
    const chunk = c & 0xffff;
    if (c >>> 16 !== (job & 0xffff) || chunk >= n) return ran;
    if (Atomics.compareExchange(ctl, CLAIM, c, c + 1) !== c) continue;
    // n was read before the claim: a thread stalled for 65536 jobs (the tag wraps) could hold a
    // stale one. Read it again; a claim past the real end is simply dropped.
    const nn = ctl[NCHUNKS]!;
    if (chunk >= nn) return ran;
    const a = args;
    fns[ctl[FN]!]!(chunk, nn, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
    ran++;
    Atomics.add(ctl, FINISHED, 1);
    if (Atomics.load(ctl, MAIN_WAITING)) Atomics.notify(ctl, FINISHED);
  }
}

/** A worker's whole life: instantiate, report ready, then serve jobs until told to quit. */
export function runWorker(init: WorkerInit, ready: () => void): void {
  const instance = new WebAssembly.Instance(init.module, importObject(init.memory));
  const fns = kernelFns(instance);
  const ctl = new Int32Array(init.memory.buffer, 0, 16);
  const args = new Float64Array(init.memory.buffer, ARGS_BYTE, MAX_ARGS);
  let seen = Atomics.load(ctl, GEN);
  ready();
  for (;;) {
    let g = Atomics.load(ctl, GEN);
    if (g === seen) {
      const until = performance.now() + WORKER_SPIN_MS;
      let n = 0;
      while ((g = Atomics.load(ctl, GEN)) === seen) {
        if ((++n & 255) === 0 && performance.now() > until) {
          Atomics.add(ctl, SLEEPERS, 1);
          Atomics.wait(ctl, GEN, seen);
          Atomics.sub(ctl, SLEEPERS, 1);
        }
      }
    }
    seen = g;
    if (Atomics.load(ctl, QUIT)) return;
    const ran = work(ctl, args, fns, g);
    if (ran > 0) Atomics.add(ctl, WORKER_CHUNKS, ran);
  }
}

/** The main thread's side: posts jobs, works on them too, waits for chunks other threads hold. */
export class Pool {
  readonly args: Float64Array;
  readonly parts: Float64Array;
  /** Chunks of the last job (the number of valid entries of `parts`). */
  lastChunks = 1;
  private readonly ctl: Int32Array;
  private readonly fns: WasmFn[];
  private readonly chunks: number;
  private probed = 0;
  private waitMs = 0;
  private jobMs = 0;
  private soloLeft = 0;
  /** Parallel jobs run, and jobs run alone because the cores were oversubscribed. */
  readonly stats = { parallel: 0, solo: 0 };

  constructor(
    instance: WebAssembly.Instance,
    memory: WebAssembly.Memory,
    /** Total threads, this one included. */
    readonly threads: number,
    /** Browsers' main threads may not block in Atomics.wait; they spin instead. */
    private readonly canWait: boolean,
  ) {
    this.ctl = new Int32Array(memory.buffer, 0, 16);
    this.args = new Float64Array(memory.buffer, ARGS_BYTE, MAX_ARGS);
    this.parts = new Float64Array(memory.buffer, PARTS_BYTE, MAX_CHUNKS);
    this.fns = kernelFns(instance);
    this.chunks = Math.min(MAX_CHUNKS, 4 * threads);
  }

  /** Runs fns[fn] with the arguments already in `args`, shared among all threads or (parallel false) on this one. */
  run(fn: number, parallel = true): void {
    const a = this.args;
    if (parallel && this.soloLeft > 0) {
      this.soloLeft--;
      this.stats.solo++;
      parallel = false;
    }
    if (!parallel || this.threads === 1) {
      this.lastChunks = 1;
      this.fns[fn]!(0, 1, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
      return;
    }
    const ctl = this.ctl;
    const n = this.chunks;
    this.lastChunks = n;
    const t0 = performance.now();
    const job = (ctl[GEN]! + 1) | 0;
    ctl[FN] = fn;
    ctl[NCHUNKS] = n;
    Atomics.store(ctl, FINISHED, 0);
    Atomics.store(ctl, CLAIM, (job & 0xffff) << 16);
    Atomics.store(ctl, GEN, job);
    if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, GEN);
    work(ctl, a, this.fns, job);
    const t1 = performance.now();
    this.join(n);
    const t2 = performance.now();
    this.stats.parallel++;
    this.waitMs += t2 - t1;
    this.jobMs += t2 - t0;
    if (++this.probed === PROBE_JOBS) {
      if (this.waitMs > MAX_WAIT_SHARE * this.jobMs) this.soloLeft = SOLO_JOBS;
      this.probed = 0;
      this.waitMs = 0;
      this.jobMs = 0;
    }
  }

  private join(target: number): void {
    const ctl = this.ctl;
    let n = 0;
    while (Atomics.load(ctl, FINISHED) < target) {
      if (++n > MAIN_SPINS && this.canWait) {
        // a worker holding a chunk was descheduled: sleep instead of burning a core
        Atomics.store(ctl, MAIN_WAITING, 1);
        const cur = Atomics.load(ctl, FINISHED);
        if (cur < target) Atomics.wait(ctl, FINISHED, cur, 1);
        Atomics.store(ctl, MAIN_WAITING, 0);
      }
    }
  }

  /** Chunks the workers have run so far (0 means every job ran on the main thread alone). */
  workerChunks(): number {
    return Atomics.load(this.ctl, WORKER_CHUNKS);
  }

  /** Lets the workers' loops return, so their threads can end. */
  close(): void {
    Atomics.store(this.ctl, QUIT, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
  }
}
