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
import { SNAPSHOT_MAGIC, decodeEmbeddingSnapshot, parseSnapshotIndex, type EmbeddingSnapshot, type SnapshotEntry, type SnapshotHeads } from './snapshot-decode.js';

const MAGIC = SNAPSHOT_MAGIC;

export type { SnapshotHeads, SnapshotEntry, EmbeddingSnapshot };

/** The snapshots folder of a run folder. */
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
  return parseSnapshotIndex(readFileSync(path, 'utf8'));
}

/** Reads one snapshot's embedding rows. */
export function readEmbeddingSnapshot(runDir: string, entry: SnapshotEntry): EmbeddingSnapshot {
  const path = join(snapshotDir(runDir), entry.file);
  return decodeEmbeddingSnapshot(readBytes(path, 'embedding snapshot'), path);
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
