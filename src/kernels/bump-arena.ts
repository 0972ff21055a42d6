/**
 * The allocator the fast backends share (wasm over a WebAssembly.Memory, native over the addon's
 * mmap region): persistent buffers (parameters, gradients, optimizer state) grow up from the
 * bottom; `scope` hands out buffers above them and resets on return, so the next scope gets the
 * same offsets (and the same view objects) again and a steady-state training step allocates
 * nothing. A persistent allocation made between scopes moves the scopes' base up; inside a scope
 * every allocation is scoped. A subclass says where a buffer may go (`place`), how to see it
 * (`view`) and how to make room (`reserve`).
 */
import { ScratchError } from '../core/errors.js';

const ALIGN = 64;
/**
 * Bytes left unused after every buffer: matmul edge tiles read a few floats past a row's end (and
 * never use them), which must stay inside the memory.
 */
const SLACK = 64;

export abstract class BumpArena {
  private persistTop: number;
  private arenaTop = 0;
  private depth = 0;
  private seq = 0; // allocation index within the outermost scope, for view reuse
  private readonly views: (Float32Array | Int32Array)[] = [];
  /** The highest byte ever handed out: above it the memory is as the system gave it, zero. */
  bytesPeak: number;

  constructor(reserved: number) {
    this.persistTop = reserved;
    this.bytesPeak = reserved;
  }

  /** The offset a buffer of `bytes` starting at or after `off` goes to (e.g. not across a window). */
  protected abstract place(off: number, bytes: number): number;
  /** Makes sure bytes below `top` exist (grow the memory, or fail with a one-line error). */
  protected abstract reserve(top: number): void;
  /** A view of n floats (or ints) at offset `off`. */
  protected abstract view(off: number, n: number, int: boolean): Float32Array | Int32Array;
  /** The offset of a view handed out earlier (to reuse it when the same offset comes round). */
  protected abstract offsetOf(v: Float32Array | Int32Array): number;

  alloc(n: number, int: boolean): Float32Array | Int32Array {
    if (!Number.isInteger(n) || n < 0) throw new ScratchError(`cannot allocate ${n} floats: need a whole number >= 0`);
    const bytes = Math.ceil((n * 4 + SLACK) / ALIGN) * ALIGN;
    if (this.depth === 0) {
      const off = this.place(this.persistTop, bytes);
      this.persistTop = off + bytes;
      this.reserve(this.persistTop);
      return this.zeroed(this.view(off, n, int), off, this.persistTop);
    }
    const off = this.place(this.arenaTop, bytes);
    this.arenaTop = off + bytes;
    this.reserve(this.arenaTop);
    const i = this.seq++;
    const old = this.views[i];
    const v = old && this.offsetOf(old) === off && old.length === n && old instanceof Int32Array === int ? old : this.view(off, n, int);
    this.views[i] = v;
    return this.zeroed(v, off, this.arenaTop);
  }

  scope<T>(fn: () => T): T {
    const savedTop = this.arenaTop;
    const savedSeq = this.seq;
    if (this.depth === 0) {
      this.arenaTop = this.persistTop;
      this.seq = 0;
    }
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      if (this.depth > 0) {
        this.arenaTop = savedTop;
        this.seq = savedSeq;
      }
    }
  }

  /**
   * Zeroes the part of a new buffer that an earlier buffer may have used: the bytes below the
   * highest offset ever handed out. Above it the memory is still as the system made it, zero and
   * (for mmap and grown wasm pages) not yet backed, and stays so until a kernel writes there: a
   * KV cache of 1024 positions then costs only the rows a sequence fills (touching a fresh page
   * is expensive: about 75 µs a page was measured in this project's containers, 1.4 s for 72 MiB).
   */
  private zeroed<T extends Float32Array | Int32Array>(v: T, off: number, top: number): T {
    const used = Math.min(v.length, Math.max(0, Math.floor((this.bytesPeak - off) / 4)));
    if (used === v.length) v.fill(0);
    else if (used > 0) v.subarray(0, used).fill(0);
    if (top > this.bytesPeak) this.bytesPeak = top;
    return v;
  }
}
