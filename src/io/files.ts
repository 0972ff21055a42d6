/** Node file access for the I/O layer: whole-file reads with clear errors, atomic writes. */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { ScratchError } from '../core/errors.js';

export function readBytes(path: string, what = 'file'): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new ScratchError(fileErrorMessage(path, e, what));
  }
}

/** Reads UTF-8 text; bytes that are not UTF-8 are an error, never silent U+FFFD. */
export function readText(path: string, what = 'file'): string {
  const bytes = readBytes(path, what);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ScratchError(`${path}: this ${what} is not valid UTF-8 text; convert it to UTF-8 first (e.g. iconv -t UTF-8)`);
  }
}

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

export function fileErrorMessage(path: string, e: unknown, what: string, verb = 'read'): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return verb === 'read' ? `${path}: no such ${what}; check the path` : `${path}: its folder does not exist; create it first`;
  if (code === 'EACCES' || code === 'EPERM') return `${path}: permission denied; cannot ${verb} this ${what}`;
  if (code === 'EISDIR') return `${path}: is a folder, expected a ${what}`;
  if (code === 'ENOSPC') return `${path}: the disk is full; free some space and try again`;
  return `${path}: cannot ${verb} this ${what} (${(e as Error).message})`;
}

export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
