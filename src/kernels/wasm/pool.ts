import { FN_NAMES, importObject } from './module.js';

/**
 * Threads over one shared WebAssembly.Memory. Every thread instantiates the same module on the
 * same memory; a job is "call function fn with these arguments, as thread tid of nth". The hand-off
 * lives in the first bytes of the memory: the main thread writes the arguments, bumps a generation
 * counter and does its own share; workers spin on the counter for a while (an Atomics.wait/notify
 * round trip costs ~50 us, a spinning hand-off under 1 us) before they sleep in Atomics.wait.
 * This file has no Node imports: browsers run the same loop in Web Workers.
 */

const GEN = 0; // bumped once per job
const FN = 1; // index into FN_NAMES
const NTH = 2; // threads taking part
const DONE = 3; // workers finished with the current job
const SLEEPERS = 4; // workers inside Atomics.wait on GEN
const MAIN_WAITING = 5; // main thread inside Atomics.wait on DONE
const QUIT = 6;
const ARGS_BYTE = 64; // 16 float64 arguments
export const MAX_ARGS = 16;
/** Per-thread float64 partial results (sum of squares). */
export const PARTS_BYTE = 256;
export const MAX_THREADS = 64;
/** Bytes at the start of memory that the allocator must leave alone. */
export const RESERVED_BYTES = 65536;

/** How long an idle worker spins before sleeping, in milliseconds. */
const WORKER_SPIN_MS = 2;
const MAIN_SPINS = 20000;

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

/** A worker's whole life: instantiate, report ready, then serve jobs until told to quit. */
export function runWorker(init: WorkerInit, ready: () => void): void {
  const instance = new WebAssembly.Instance(init.module, importObject(init.memory));
  const fns = kernelFns(instance);
  const ctl = new Int32Array(init.memory.buffer, 0, 16);
  const args = new Float64Array(init.memory.buffer, ARGS_BYTE, MAX_ARGS);
  const tid = init.tid;
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
    const nth = ctl[NTH]!;
    if (tid < nth) {
      const a = args;
      fns[ctl[FN]!]!(tid, nth, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
      Atomics.add(ctl, DONE, 1);
      if (Atomics.load(ctl, MAIN_WAITING)) Atomics.notify(ctl, DONE);
    }
  }
}

/** The main thread's side: writes jobs, runs share 0 itself, waits for the workers' shares. */
export class Pool {
  readonly args: Float64Array;
  readonly parts: Float64Array;
  private readonly ctl: Int32Array;
  private readonly fns: WasmFn[];

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
    this.parts = new Float64Array(memory.buffer, PARTS_BYTE, MAX_THREADS);
    this.fns = kernelFns(instance);
  }

  /** Runs fns[fn] with the arguments already in `args`, on all threads or (parallel false) on this one. */
  run(fn: number, parallel = true): void {
    const a = this.args;
    const nth = parallel ? this.threads : 1;
    const ctl = this.ctl;
    if (nth > 1) {
      ctl[FN] = fn;
      ctl[NTH] = nth;
      Atomics.store(ctl, DONE, 0);
      Atomics.add(ctl, GEN, 1);
      if (Atomics.load(ctl, SLEEPERS) > 0) Atomics.notify(ctl, GEN);
    }
    this.fns[fn]!(0, nth, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!, a[14]!, a[15]!);
    if (nth > 1) this.join(nth - 1);
  }

  private join(target: number): void {
    const ctl = this.ctl;
    let n = 0;
    while (Atomics.load(ctl, DONE) < target) {
      if (++n > MAIN_SPINS && this.canWait) {
        // a worker was descheduled (the cores are shared): sleep instead of burning a core
        Atomics.store(ctl, MAIN_WAITING, 1);
        const cur = Atomics.load(ctl, DONE);
        if (cur < target) Atomics.wait(ctl, DONE, cur, 1);
        Atomics.store(ctl, MAIN_WAITING, 0);
      }
    }
  }

  /** Lets the workers' loops return, so their threads can end. */
  close(): void {
    Atomics.store(this.ctl, QUIT, 1);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
  }
}
