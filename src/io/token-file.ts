/**
 * Token files: a 32-byte versioned header, then the ids as little-endian uint16 (when the
 * vocabulary fits) or uint32. Written streaming to a temporary file and renamed into place;
 * read whole when small, or window by window from disk when large (nanoGPT's memmap).
 *
 *   offset 0  8 bytes  magic "SLMTOKEN"
 *          8  uint32   format version (1)
 *         12  uint32   bytes per id (2 or 4)
 *         16  uint32   vocabulary size
 *         20  uint32   reserved (0)
 *         24  uint64   number of ids
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { ScratchError } from '../core/errors.js';
import { fileErrorMessage } from './files.js';

/** The first 8 bytes of a token file (train.bin, val.bin). */
export const TOKEN_FILE_MAGIC = 'SLMTOKEN';
/** The token file version this scratchlm reads and writes. */
export const TOKEN_FILE_VERSION = 1;
const HEADER = 32;
/** Files up to this size are read into memory whole. */
const IN_MEMORY_LIMIT = 256 * 1024 * 1024;

/** Bytes per token id in a token file: 2 up to 65,536 ids, else 4. */
export function bytesPerId(vocabSize: number): 2 | 4 {
  return vocabSize <= 65536 ? 2 : 4;
}

function header(vocabSize: number, count: number): Uint8Array {
  const h = new Uint8Array(HEADER);
  const dv = new DataView(h.buffer);
  for (let i = 0; i < 8; i++) h[i] = TOKEN_FILE_MAGIC.charCodeAt(i);
  dv.setUint32(8, TOKEN_FILE_VERSION, true);
  dv.setUint32(12, bytesPerId(vocabSize), true);
  dv.setUint32(16, vocabSize, true);
  dv.setUint32(20, 0, true);
  dv.setBigUint64(24, BigInt(count), true);
  return h;
}

/** Appends ids to a new token file; `finish` writes the header and renames it into place. */
export class TokenFileWriter {
  private fd: number;
  private readonly tmp: string;
  private readonly bpi: 2 | 4;
  private buf: Uint8Array;
  private view: DataView;
  private fill = 0;
  /** Ids appended so far. */
  count = 0;

  constructor(
    readonly path: string,
    readonly vocabSize: number,
  ) {
    this.tmp = `${path}.tmp-${process.pid}`;
    this.bpi = bytesPerId(vocabSize);
    this.buf = new Uint8Array(1 << 20);
    this.view = new DataView(this.buf.buffer);
    try {
      this.fd = openSync(this.tmp, 'w');
      writeSync(this.fd, header(vocabSize, 0));
    } catch (e) {
      throw new ScratchError(fileErrorMessage(path, e, 'token file', 'write'));
    }
  }

  /** Appends ids (each checked against the vocabulary). */
  append(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(id >= 0 && id < this.vocabSize)) throw new ScratchError(`${this.path}: token id ${id} is outside the vocabulary of ${this.vocabSize}`);
      if (this.fill + this.bpi > this.buf.length) this.flush();
      if (this.bpi === 2) this.view.setUint16(this.fill, id, true);
      else this.view.setUint32(this.fill, id, true);
      this.fill += this.bpi;
    }
    this.count += ids.length;
  }

  private flush(): void {
    let off = 0;
    try {
      while (off < this.fill) off += writeSync(this.fd, this.buf, off, this.fill - off);
    } catch (e) {
      this.abort();
      throw new ScratchError(fileErrorMessage(this.path, e, 'token file', 'write'));
    }
    this.fill = 0;
  }

  /** Writes the header and renames the file into place. */
  finish(): void {
    this.flush();
    try {
      writeSync(this.fd, header(this.vocabSize, this.count), 0, HEADER, 0);
      fsyncSync(this.fd);
      closeSync(this.fd);
      renameSync(this.tmp, this.path);
    } catch (e) {
      this.abort();
      throw new ScratchError(fileErrorMessage(this.path, e, 'token file', 'write'));
    }
  }

  /** Removes the temporary file (after an error). */
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
    try {
      unlinkSync(this.tmp);
    } catch {
      /* already gone */
    }
  }
}

/** A token file opened for reading windows of ids. */
export class TokenFile {
  private constructor(
    readonly path: string,
    readonly vocabSize: number,
    readonly count: number,
    private readonly bpi: 2 | 4,
    private readonly ids: Uint16Array | Uint32Array | null,
    private readonly fd: number | null,
  ) {}

  /**
   * Opens and checks a token file (magic, version, size); small files are read whole, large ones in
   * windows.
   */
  static open(path: string): TokenFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new ScratchError(fileErrorMessage(path, e, 'token file') + " (make one with 'npx scratchlm prepare')");
    }
    const bad = (why: string): never => {
      closeSync(fd);
      throw new ScratchError(`${path}: not a usable token file (${why}); run 'npx scratchlm prepare' again`);
    };
    const size = fstatSync(fd).size;
    const h = new Uint8Array(HEADER);
    if (size < HEADER || readSync(fd, h, 0, HEADER, 0) !== HEADER) bad('shorter than its header');
    const dv = new DataView(h.buffer);
    const magic = String.fromCharCode(...h.subarray(0, 8));
    if (magic !== TOKEN_FILE_MAGIC) bad(`it does not start with ${TOKEN_FILE_MAGIC}`);
    const version = dv.getUint32(8, true);
    if (version !== TOKEN_FILE_VERSION) bad(`format version ${version}, this scratchlm reads version ${TOKEN_FILE_VERSION}`);
    const bpi = dv.getUint32(12, true);
    const vocabSize = dv.getUint32(16, true);
    const count = Number(dv.getBigUint64(24, true));
    if ((bpi !== 2 && bpi !== 4) || bpi !== bytesPerId(vocabSize)) bad(`${bpi} bytes per id for a vocabulary of ${vocabSize}`);
    if (size !== HEADER + count * bpi) bad(`the header promises ${count} ids but the file holds ${Math.floor((size - HEADER) / bpi)}; it is truncated or corrupt`);
    if (size > IN_MEMORY_LIMIT) return new TokenFile(path, vocabSize, count, bpi as 2 | 4, null, fd);
    const bytes = new Uint8Array(size - HEADER);
    let off = 0;
    while (off < bytes.length) {
      const n = readSync(fd, bytes, off, bytes.length - off, HEADER + off);
      if (n === 0) bad('it ended early');
      off += n;
    }
    closeSync(fd);
    const ids = bpi === 2 ? new Uint16Array(bytes.buffer, 0, count) : new Uint32Array(bytes.buffer, 0, count);
    if (isBigEndian()) throw new ScratchError('token files are little-endian; this machine is big-endian');
    // an id past the vocabulary would index past the embedding table: a damaged file, caught here
    for (let i = 0; i < count; i++) if (ids[i]! >= vocabSize) throw new ScratchError(`${path}: not a usable token file (id ${ids[i]} at position ${i} is outside the vocabulary of ${vocabSize}); run 'npx scratchlm prepare' again`);
    return new TokenFile(path, vocabSize, count, bpi as 2 | 4, ids, null);
  }

  /** Copies ids [start, start + n) into out[outOffset...]. */
  read(start: number, n: number, out: Int32Array, outOffset = 0): void {
    if (start < 0 || start + n > this.count) throw new Error(`token window ${start}+${n} outside ${this.count}`);
    if (this.ids) {
      for (let i = 0; i < n; i++) out[outOffset + i] = this.ids[start + i];
      return;
    }
    const bytes = new Uint8Array(n * this.bpi);
    readSync(this.fd!, bytes, 0, bytes.length, HEADER + start * this.bpi);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      const id = this.bpi === 2 ? dv.getUint16(i * 2, true) : dv.getUint32(i * 4, true);
      if (id >= this.vocabSize) throw new ScratchError(`${this.path}: id ${id} at position ${start + i} is outside the vocabulary of ${this.vocabSize}; the file is damaged: run 'npx scratchlm prepare' again`);
      out[outOffset + i] = id;
    }
  }

  /** Closes the file. */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
  }
}

function isBigEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;
}
