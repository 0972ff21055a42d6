/**
 * The bytes of a run's snapshots (RUN/snapshots/, written by io/snapshot-files.ts), read without a
 * file system: the index's lines and one emb-<step>.bin, for a web page that fetched or was given
 * them as well as for the Node readers. Browser-safe (no node: imports).
 *
 *   snapshots/index.jsonl        one line per snapshot: { step, file, rows, cols, heads }
 *   snapshots/emb-<step>.bin     "SLMEMB1\n", u32 header length, JSON header { step, rows, cols, ids },
 *                                f32 scale per row, int8 values
 */
import { ScratchError } from '../core/errors.js';
import { isObject, parseJsonLines } from './jsonl.js';

/** The first bytes of an emb-<step>.bin file. */
export const SNAPSHOT_MAGIC = 'SLMEMB1\n';

/** A snapshot's head scores, as `headScores` returns them (kept opaque here: io knows no inspection). */
export type SnapshotHeads = readonly object[];

/** One line of snapshots/index.jsonl. */
export interface SnapshotEntry {
  step: number;
  file: string;
  rows: number;
  cols: number;
  heads: SnapshotHeads;
}

/** One embedding snapshot read back: its step, token ids and rows. */
export interface EmbeddingSnapshot {
  step: number;
  /** Token ids of the rows (ascending). */
  ids: number[];
  rows: number;
  cols: number;
  /** (rows, cols), dequantized. */
  data: Float32Array;
}

/** The index's entries, oldest first. Lines cut by a crash (not JSON, or without step and file) are skipped. */
export function parseSnapshotIndex(text: string): SnapshotEntry[] {
  const entries = parseJsonLines(text, (v): v is SnapshotEntry => isObject(v) && typeof v.step === 'number' && typeof v.file === 'string');
  return entries.sort((a, b) => a.step - b.step);
}

/** The bytes of one emb-<step>.bin as embedding rows; `name` is for messages (a path or a URL). */
export function decodeEmbeddingSnapshot(bytes: Uint8Array, name: string): EmbeddingSnapshot {
  const bad = (why: string) => new ScratchError(`${name}: ${why}; the snapshot is damaged (delete the run's snapshots/ folder to drop them)`);
  const M = SNAPSHOT_MAGIC.length;
  if (bytes.length < M + 4 || new TextDecoder().decode(bytes.subarray(0, M)) !== SNAPSHOT_MAGIC) throw bad('not a scratchlm embedding snapshot');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(M, true);
  const start = M + 4 + n;
  if (start > bytes.length) throw bad(`its header claims ${n} bytes, the file has ${bytes.length}`);
  let h: { step: number; rows: number; cols: number; ids: number[] };
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(M + 4, start)));
  } catch {
    throw bad('its header is not JSON');
  }
  const { rows, cols } = h;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1 || !Array.isArray(h.ids) || h.ids.length !== rows) throw bad('its header does not describe the rows');
  if (bytes.length !== start + rows * 4 + rows * cols) throw bad(`it has ${bytes.length} bytes, its header needs ${start + rows * 4 + rows * cols}`);
  const data = new Float32Array(rows * cols);
  const q = new Int8Array(bytes.buffer, bytes.byteOffset + start + rows * 4, rows * cols);
  for (let r = 0; r < rows; r++) {
    const s = dv.getFloat32(start + r * 4, true);
    for (let i = 0; i < cols; i++) data[r * cols + i] = s * q[r * cols + i]!;
  }
  return { step: h.step, ids: h.ids, rows, cols, data };
}
