import { ScratchError } from '../../core/errors.js';
import { RESERVED_BYTES } from './pool.js';

import { BumpArena } from '../bump-arena.js';

const PAGE = 65536;

/**
 * The wasm backend's buffers: a BumpArena over one shared WebAssembly.Memory. Shared memories
 * keep old views valid when they grow, so growing never invalidates a buffer already handed out.
 */
export class Arena extends BumpArena {
  private readonly buffers = new WeakSet<object>();

  constructor(readonly memory: WebAssembly.Memory) {
    super(RESERVED_BYTES);
    this.buffers.add(memory.buffer);
  }

  /** True when `a` is a view of this memory (any of its buffer objects across grows). */
  owns(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }

  protected place(off: number): number {
    return off;
  }

  protected offsetOf(v: Float32Array | Int32Array): number {
    return v.byteOffset;
  }

  protected view(off: number, n: number, int: boolean): Float32Array | Int32Array {
    const buf = this.memory.buffer;
    this.buffers.add(buf);
    return int ? new Int32Array(buf, off, n) : new Float32Array(buf, off, n);
  }

  protected reserve(top: number): void {
    const have = this.memory.buffer.byteLength;
    if (top <= have) return;
    try {
      this.memory.grow(Math.ceil((top - have) / PAGE));
    } catch {
      throw new ScratchError(`out of WebAssembly memory: need ${Math.ceil(top / 2 ** 20)} MiB; pass a larger maxMemoryMB to createBackend`);
    }
    this.buffers.add(this.memory.buffer);
  }
}
