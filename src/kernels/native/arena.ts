import { ScratchError } from '../../core/errors.js';

/** The addon's view of its memory region (see native/src/addon.c). */
export interface RegionWindows {
  /** Window 0: bytes [0, 4 GiB) of the region; the argument block lives at its start. */
  readonly first: ArrayBuffer;
  /** Window i: bytes [i * 4 GiB, ...). */
  window(i: number): ArrayBuffer;
  readonly size: number;
}

/** Node 20 caps an ArrayBuffer at 4 GiB, so the region is seen through 4 GiB windows. */
export const WINDOW = 2 ** 32;
const ALIGN = 64;
/** Bytes left unused after every buffer (vector loads never reach past a row's end, but keep slack as wasm does). */
const SLACK = 64;
/** The start of the region: the float64 argument block and the region's header. */
export const RESERVED_BYTES = 4096;

/**
 * The wasm backend's allocator over the native region: persistent buffers grow up from the
 * bottom; `scope` hands out buffers above them and resets on return, so the next scope gets the
 * same offsets (and the same view objects) again, and a steady-state training step allocates
 * nothing. A buffer never straddles two windows. Kernels get region offsets (`offset`).
 */
export class NativeArena {
  private persistTop = RESERVED_BYTES;
  private arenaTop = 0;
  private depth = 0;
  private seq = 0;
  private readonly views: (Float32Array | Int32Array)[] = [];
  private readonly windows: ArrayBuffer[] = [];
  private readonly windowIndex = new WeakMap<ArrayBuffer, number>();
  bytesPeak = RESERVED_BYTES;

  constructor(private readonly region: RegionWindows) {
    this.windows.push(region.first);
    this.windowIndex.set(region.first, 0);
  }

  /** The region offset of a view of this memory, or -1 when the view is from elsewhere. */
  offset(a: ArrayBufferView): number {
    const w = this.windowIndex.get(a.buffer as ArrayBuffer);
    return w === undefined ? -1 : w * WINDOW + a.byteOffset;
  }

  /** True when `a` is a view of this memory (the public boundary copies other arrays in). */
  owns(a: ArrayBufferView): boolean {
    return this.offset(a) >= 0;
  }

  alloc(n: number, int: boolean): Float32Array | Int32Array {
    if (!Number.isInteger(n) || n < 0) throw new ScratchError(`cannot allocate ${n} floats: need a whole number >= 0`);
    const bytes = Math.ceil((n * 4 + SLACK) / ALIGN) * ALIGN;
    if (bytes > WINDOW) throw new ScratchError(`cannot allocate ${n} floats in one buffer: the most is ${(WINDOW - SLACK) / 4}`);
    if (this.depth === 0) {
      const off = this.place(this.persistTop, bytes);
      this.persistTop = off + bytes;
      const v = this.view(off, n, int);
      this.zero(v, off);
      this.grew(this.persistTop);
      return v;
    }
    const off = this.place(this.arenaTop, bytes);
    this.arenaTop = off + bytes;
    const i = this.seq++;
    const old = this.views[i];
    const v = old && this.offset(old) === off && old.length === n && old instanceof Int32Array === int ? old : this.view(off, n, int);
    this.views[i] = v;
    this.zero(v, off);
    this.grew(this.arenaTop);
    return v;
  }

  /**
   * Zeroes the part of a new buffer that an earlier buffer may have used: the bytes below the
   * highest offset ever handed out. Above it the region is still as mmap made it, zero and not
   * yet backed by memory, and stays so until a kernel writes there: a KV cache of 1024 positions
   * then costs only the rows a sequence fills (touching a fresh page is expensive: about 75 µs a
   * page was measured in this project's containers, 1.4 s for 72 MiB).
   */
  private zero(v: Float32Array | Int32Array, off: number): void {
    const used = Math.min(v.length, Math.max(0, Math.floor((this.bytesPeak - off) / 4)));
    if (used === v.length) v.fill(0);
    else if (used > 0) v.subarray(0, used).fill(0);
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

  /** off, or the start of the next window when `bytes` would cross into it. */
  private place(off: number, bytes: number): number {
    const w = Math.floor(off / WINDOW);
    const end = off + bytes;
    const placed = end > (w + 1) * WINDOW ? (w + 1) * WINDOW : off;
    if (placed + bytes > this.region.size)
      throw new ScratchError(`out of native kernel memory: need ${Math.ceil((placed + bytes) / 2 ** 20)} MiB, reserved ${Math.floor(this.region.size / 2 ** 20)} MiB; pass a larger maxMemoryMB to createBackend`);
    return placed;
  }

  private grew(top: number): void {
    if (top > this.bytesPeak) this.bytesPeak = top;
  }

  private view(off: number, n: number, int: boolean): Float32Array | Int32Array {
    const w = Math.floor(off / WINDOW);
    while (this.windows.length <= w) {
      const ab = this.region.window(this.windows.length);
      this.windowIndex.set(ab, this.windows.length);
      this.windows.push(ab);
    }
    const buf = this.windows[w]!;
    return int ? new Int32Array(buf, off - w * WINDOW, n) : new Float32Array(buf, off - w * WINDOW, n);
  }
}
