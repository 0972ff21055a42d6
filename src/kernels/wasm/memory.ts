import { ScratchError } from '../../core/errors.js';
import { RESERVED_BYTES } from './pool.js';

const PAGE = 65536;
const ALIGN = 64;
/**
 * Bytes left unused after every buffer: matmul edge tiles read up to 7 floats past a row's end
 * (and never use them), which must stay inside the memory.
 */
const SLACK = 64;

/**
 * A bump allocator over one shared WebAssembly.Memory. Persistent buffers (parameters, gradients,
 * optimizer state) grow up from the bottom; `scope` hands out arena buffers above them and resets
 * on return, so the next scope gets the same offsets (and the same view objects) again: a
 * steady-state training step allocates nothing. A persistent allocation made between scopes just
 * moves the arena's base up; inside a scope every allocation is scoped. Shared memories keep old
 * views valid when they grow, so growing never invalidates a buffer already handed out.
 */
export class Arena {
  private persistTop = RESERVED_BYTES;
  private arenaTop = 0;
  private depth = 0;
  private seq = 0; // allocation index within the outermost scope, for view reuse
  private readonly views: (Float32Array | Int32Array)[] = [];
  private readonly buffers = new WeakSet<object>();
  bytesPeak = RESERVED_BYTES;

  constructor(readonly memory: WebAssembly.Memory) {
    this.buffers.add(memory.buffer);
  }

  /** True when `a` is a view of this memory (any of its buffer objects across grows). */
  owns(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }

  alloc(n: number, int: boolean): Float32Array | Int32Array {
    if (!Number.isInteger(n) || n < 0) throw new ScratchError(`cannot allocate ${n} floats: need a whole number >= 0`);
    const bytes = Math.ceil((n * 4 + SLACK) / ALIGN) * ALIGN;
    let off: number;
    if (this.depth === 0) {
      off = this.persistTop;
      this.persistTop += bytes;
      this.ensure(this.persistTop);
      const v = this.view(off, n, int);
      v.fill(0); // an earlier scope may have used these bytes
      return v;
    }
    off = this.arenaTop;
    this.arenaTop += bytes;
    this.ensure(this.arenaTop);
    const i = this.seq++;
    const old = this.views[i];
    let v: Float32Array | Int32Array;
    if (old && old.byteOffset === off && old.length === n && old instanceof Int32Array === int) {
      v = old;
      v.fill(0);
    } else {
      v = this.view(off, n, int);
      new Uint8Array(v.buffer, off, n * 4).fill(0);
      this.views[i] = v;
    }
    return v;
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

  private view(off: number, n: number, int: boolean): Float32Array | Int32Array {
    const buf = this.memory.buffer;
    this.buffers.add(buf);
    return int ? new Int32Array(buf, off, n) : new Float32Array(buf, off, n);
  }

  private ensure(top: number): void {
    if (top > this.bytesPeak) this.bytesPeak = top;
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
