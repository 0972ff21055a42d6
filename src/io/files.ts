/** Node file access for the I/O layer: whole-file reads with clear errors, atomic writes. */
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ScratchError } from '../core/errors.js';

/** Reads a file whole; a missing or unreadable file is a one-line ScratchError naming it as `what`. */
export function readBytes(path: string, what = 'file'): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ScratchError(fileErrorMessage(path, e, what));
  }
}

/**
 * A file's text, which must be valid UTF-8: a byte that is not fails with the file and the byte
 * offset, instead of silently becoming U+FFFD. A leading byte-order mark is kept (it is text).
 */
export function readText(path: string, what = 'file'): string {
  return decodeUtf8(readBytes(path, what), path);
}

/** Bytes → text, failing (with `source` and the offset of the first bad byte) unless valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    throw new ScratchError(`${source}: not valid UTF-8 (first bad byte 0x${bytes[at]?.toString(16).padStart(2, '0')} at offset ${at}); convert it to UTF-8 first, e.g. iconv -f latin1 -t utf-8`);
  }
}

/**
 * Reads and parses a JSON file; a missing, unreadable or invalid file is a one-line ScratchError
 * naming it as `what`.
 */
export function readJson(path: string, what = 'file'): unknown {
  const text = readText(path, what);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ScratchError(`${path}: this ${what} is not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
}

/** Writes to a temporary name beside the target, syncs, then renames: never a half-written file. */
export function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let off = 0;
    const fault = injectedFault(path);
    if (fault) {
      writeSync(fd, bytes, 0, bytes.length >> 1); // half written, then the error, as a full disk does
      throw Object.assign(new Error(`${fault}: injected`), { code: fault });
    }
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw new ScratchError(fileErrorMessage(path, e, 'file', 'write'));
  }
}

/**
 * Fault injection for the reliability tests: SCRATCHLM_INJECT_WRITE_ERROR="CODE:REGEX" makes every
 * atomic write to a path matching REGEX fail with CODE (ENOSPC, EACCES, EIO) half-way through.
 */
function injectedFault(path: string): string | null {
  const spec = process.env.SCRATCHLM_INJECT_WRITE_ERROR;
  if (!spec) return null;
  const at = spec.indexOf(':');
  return new RegExp(spec.slice(at + 1)).test(path) ? spec.slice(0, at) : null;
}

/**
 * Removes the temporary files a killed writer left in `dir`: writeAtomic's `NAME.tmp-PID-TIME`
 * and TokenFileWriter's `NAME.tmp-PID`. The real files beside them are complete.
 */
export function removeStaleTemps(dir: string): void {
  for (const f of readdirSync(dir)) if (/\.tmp-\d+(-\d+)?$/.test(f)) unlinkSync(join(dir, f));
}

/**
 * One line for a failed file operation. `fix` is the advice when the path cannot be used as it is
 * (permission denied, or another error); writers default to choosing another folder.
 */
export function fileErrorMessage(path: string, e: unknown, what: string, verb = 'read', fix = verb === 'read' ? '' : 'choose a folder you can write to'): string {
  const code = (e as { code?: string }).code;
  const advice = fix ? `; ${fix}` : '';
  if (code === 'ENOENT') return verb === 'read' ? `${path}: no such ${what}; check the path` : `${path}: its folder does not exist; create it first`;
  if (code === 'EACCES' || code === 'EPERM') return `${path}: permission denied; cannot ${verb} this ${what}${advice}`;
  if (code === 'EISDIR') return `${path}: is a folder, expected a ${what}`;
  if (code === 'ENOSPC') return `${path}: the disk is full; free some space and try again`;
  return `${path}: cannot ${verb} this ${what} (${(e as Error).message})${advice}`;
}

export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Offset of the first byte that breaks UTF-8 (for the error message); the length when none does. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i;
    if (n > 0) {
      const cp = n === 1 ? 0 : n === 2 ? ((c & 15) << 12) | ((b[i + 1]! & 63) << 6) : ((c & 7) << 18) | ((b[i + 1]! & 63) << 12);
      if ((n === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 3 && (cp < 0x10000 || cp > 0x10ffff))) return i;
    }
    i += n + 1;
  }
  return b.length;
}
