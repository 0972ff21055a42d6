import { ScratchError } from '../../core/errors.js';
import { BumpArena } from '../bump-arena.js';

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
/** The start of the region: the float64 argument block and the region's header. */
export const RESERVED_BYTES = 4096;

/**
 * The native backend's buffers: a BumpArena over the addon's region, where a buffer never
 * straddles two windows. Kernels get region offsets (`offset`).
 */
export class NativeArena extends BumpArena {
  private readonly windows: ArrayBuffer[] = [];
  private readonly windowIndex = new WeakMap<ArrayBuffer, number>();

  constructor(private readonly region: RegionWindows) {
    super(RESERVED_BYTES);
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

  protected offsetOf(v: Float32Array | Int32Array): number {
    return this.offset(v);
  }

  /** off, or the start of the next window when `bytes` would cross into it. */
  protected place(off: number, bytes: number): number {
    if (bytes > WINDOW) throw new ScratchError(`cannot allocate ${Math.floor(bytes / 4)} floats in one buffer: the most is ${(WINDOW - 64) / 4}`);
    const w = Math.floor(off / WINDOW);
    const placed = off + bytes > (w + 1) * WINDOW ? (w + 1) * WINDOW : off;
    if (placed + bytes > this.region.size)
      throw new ScratchError(`out of native kernel memory: need ${Math.ceil((placed + bytes) / 2 ** 20)} MiB, reserved ${Math.floor(this.region.size / 2 ** 20)} MiB; pass a larger maxMemoryMB to createBackend`);
    return placed;
  }

  protected reserve(): void {
    // the region is reserved whole at creation (mmap, pages backed on first touch)
  }

  protected view(off: number, n: number, int: boolean): Float32Array | Int32Array {
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
