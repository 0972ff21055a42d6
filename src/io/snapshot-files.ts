/**
 * Snapshots of a training run, in RUN/snapshots/: what the embeddings and attention heads looked
 * like at a few steps (step 0, then log-spaced), for `scratchlm embeddings`, `attention` over
 * training and the report.
 *
 *   snapshots/index.jsonl        one line per snapshot: { step, file, rows, cols, heads }
 *   snapshots/emb-<step>.bin     the embedding rows: "SLMEMB1\n", u32 header length, JSON header
 *                                { step, rows, cols, ids }, f32 scale per row, int8 values
 *
 * Rows are stored as int8 with one scale per row (absmax / 127): cosines and PCA maps need the
 * directions, not the last bits, and a snapshot of 4,096 × 128 stays at 0.5 MB.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import { fileErrorMessage, readBytes, writeAtomic } from './files.js';

const MAGIC = 'SLMEMB1\n';

/** A snapshot's head scores, as `headScores` returns them (kept opaque here: io knows no inspection). */
export type SnapshotHeads = readonly object[];

export interface SnapshotEntry {
  step: number;
  file: string;
  rows: number;
  cols: number;
  heads: SnapshotHeads;
}

export interface EmbeddingSnapshot {
  step: number;
  /** Token ids of the rows (ascending). */
  ids: number[];
  rows: number;
  cols: number;
  /** (rows, cols), dequantized. */
  data: Float32Array;
}

export function snapshotDir(runDir: string): string {
  return join(runDir, 'snapshots');
}

/** Quantizes rows to int8 with a per-row scale and writes emb-<step>.bin; appends the index line. */
export function writeSnapshot(runDir: string, step: number, emb: { ids: readonly number[]; data: ArrayLike<number>; cols: number }, heads: SnapshotHeads): SnapshotEntry {
  const dir = snapshotDir(runDir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new ScratchError(fileErrorMessage(dir, e, 'snapshot folder', 'create'));
  }
  const rows = emb.ids.length, C = emb.cols;
  const header = new TextEncoder().encode(JSON.stringify({ step, rows, cols: C, ids: emb.ids }));
  const head = MAGIC.length + 4 + header.length;
  const pad = (4 - (head % 4)) % 4;
  const bytes = new Uint8Array(head + pad + rows * 4 + rows * C);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(MAGIC.length, header.length + pad, true);
  bytes.set(header, MAGIC.length + 4);
  bytes.fill(0x20, head, head + pad); // spaces: the header stays valid JSON
  const scales = new DataView(bytes.buffer, head + pad, rows * 4);
  const q = new Int8Array(bytes.buffer, head + pad + rows * 4, rows * C);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let i = 0; i < C; i++) max = Math.max(max, Math.abs(emb.data[r * C + i]!));
    const s = max / 127;
    scales.setFloat32(r * 4, s, true);
    for (let i = 0; i < C; i++) q[r * C + i] = s > 0 ? Math.round(emb.data[r * C + i]! / s) : 0;
  }
  const file = `emb-${String(step).padStart(7, '0')}.bin`;
  writeAtomic(join(dir, file), bytes);
  const entry: SnapshotEntry = { step, file, rows, cols: C, heads };
  const kept = readSnapshotIndex(runDir).filter((e) => e.step !== step);
  writeAtomic(join(dir, 'index.jsonl'), [...kept, entry].sort((a, b) => a.step - b.step).map((e) => JSON.stringify(e) + '\n').join(''));
  return entry;
}

/** The index, oldest first ([] when the run has no snapshots). Lines cut by a crash are skipped. */
export function readSnapshotIndex(runDir: string): SnapshotEntry[] {
  const path = join(snapshotDir(runDir), 'index.jsonl');
  if (!existsSync(path)) return [];
  const out: SnapshotEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as SnapshotEntry;
      if (typeof e.step === 'number' && typeof e.file === 'string') out.push(e);
    } catch {
      // a cut line
    }
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Reads one snapshot's embedding rows. */
export function readEmbeddingSnapshot(runDir: string, entry: SnapshotEntry): EmbeddingSnapshot {
  const path = join(snapshotDir(runDir), entry.file);
  const bytes = readBytes(path, 'embedding snapshot');
  const bad = (why: string) => new ScratchError(`${path}: ${why}; the snapshot is damaged (delete the run's snapshots/ folder to drop them)`);
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw bad('not a scratchlm embedding snapshot');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = dv.getUint32(MAGIC.length, true);
  const start = MAGIC.length + 4 + n;
  let h: { step: number; rows: number; cols: number; ids: number[] };
  try {
    h = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, start)));
  } catch {
    throw bad('its header is not JSON');
  }
  const { rows, cols } = h;
  if (bytes.length !== start + rows * 4 + rows * cols) throw bad(`it has ${bytes.length} bytes, its header needs ${start + rows * 4 + rows * cols}`);
  const data = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const s = dv.getFloat32(start + r * 4, true);
    for (let i = 0; i < cols; i++) data[r * cols + i] = s * ((bytes[start + rows * 4 + r * cols + i]! << 24) >> 24);
  }
  return { step: h.step, ids: h.ids, rows, cols, data };
}

/** Drops snapshots from step `iter` on (a resumed run takes them again). */
export function truncateSnapshots(runDir: string, iter: number): void {
  const dir = snapshotDir(runDir);
  if (!existsSync(dir)) return;
  const all = readSnapshotIndex(runDir);
  const kept = all.filter((e) => e.step < iter);
  writeAtomic(join(dir, 'index.jsonl'), kept.map((e) => JSON.stringify(e) + '\n').join(''));
  const keep = new Set(kept.map((e) => e.file));
  for (const f of readdirSync(dir)) {
    if (/^emb-\d+\.bin$/.test(f) && !keep.has(f)) {
      try {
        unlinkSync(join(dir, f));
      } catch {
        // a file we cannot remove is only left over
      }
    }
  }
}
