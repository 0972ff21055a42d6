/**
 * TensorBoard event files, written directly (no TensorFlow, no protobuf library): an
 * `events.out.tfevents.*` file is a sequence of TFRecords, each holding one `tensorflow.Event`
 * protobuf message.
 *
 *   record = uint64 length (little-endian) · uint32 masked CRC-32C of those 8 bytes
 *          · data · uint32 masked CRC-32C of data
 *   mask(crc) = ((crc >>> 15) | (crc << 17)) + 0xa282ead8   (mod 2^32)
 *
 * The events used here (field numbers from tensorflow/core/util/event.proto and
 * framework/summary.proto):
 *   Event      { double wall_time = 1; int64 step = 2; string file_version = 3;
 *                Summary summary = 5; SessionLog session_log = 7 }
 *   Summary    { repeated Value value = 1 }   Value { string tag = 1; float simple_value = 2 }
 *   SessionLog { SessionStatus status = 1 }   (START = 1)
 * The first event of a file names the format ("brain.Event:2"). Each run start writes a
 * SessionLog START at its first step: TensorBoard then drops the points a resumed run writes again
 * (its "purge orphaned data"), as metrics.jsonl is truncated at the checkpoint.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ScratchError } from '../core/errors.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1; // Castagnoli, reflected
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32C (Castagnoli) of `bytes`, as an unsigned 32-bit number. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC (so a CRC stored inside checksummed data does not checksum to itself). */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord around `data`. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(data.length), true);
  v.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  v.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** A protobuf message under construction (only the wire types these events need). */
class Proto {
  private parts: number[] = [];
  private varint(n: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(n));
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
  }
  private key(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  double(field: number, x: number): this {
    this.key(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, true);
    this.parts.push(...b);
    return this;
  }
  float(field: number, x: number): this {
    this.key(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, x, true);
    this.parts.push(...b);
    return this;
  }
  int(field: number, x: number): this {
    this.key(field, 0);
    this.varint(x);
    return this;
  }
  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, m: Proto): this {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** The serialized Event holding `scalars` (tag → value) at `step`. */
export function scalarEvent(step: number, scalars: Record<string, number>, wallTime = Date.now() / 1000): Uint8Array {
  const summary = new Proto();
  for (const [tag, value] of Object.entries(scalars)) summary.message(1, new Proto().string(1, tag).float(2, value));
  return new Proto().double(1, wallTime).int(2, step).message(5, summary).finish();
}

/** The file's first Event: the format version. */
export function fileVersionEvent(wallTime = Date.now() / 1000): Uint8Array {
  return new Proto().double(1, wallTime).string(3, 'brain.Event:2').finish();
}

/** SessionLog START at `step`: TensorBoard drops points of earlier files at this step or later. */
export function sessionStartEvent(step: number, wallTime = Date.now() / 1000): Uint8Array {
  return new Proto().double(1, wallTime).int(2, step).message(7, new Proto().int(1, 1)).finish();
}

let fileCounter = 0;

/**
 * Writes scalars to a new event file in `dir` (created if missing), as TensorBoard reads it:
 * `tensorboard --logdir DIR`. Each record is written with one write(2) call, so a crash leaves at
 * most the last record cut, which TensorBoard skips.
 *
 *   const tb = new TensorBoardWriter('runs/tb');
 *   tb.scalars(step, { train_loss: 2.31, lr: 6e-4 });
 *   tb.close();
 */
export class TensorBoardWriter {
  /** The event file's path. */
  readonly path: string;
  private fd: number | null;

  constructor(dir: string, opts: { startStep?: number } = {}) {
    try {
      mkdirSync(dir, { recursive: true });
      const now = Date.now() / 1000;
      this.path = join(dir, `events.out.tfevents.${Math.floor(now)}.${hostname()}.${process.pid}.${fileCounter++}`);
      this.fd = openSync(this.path, 'wx');
    } catch (e) {
      throw new ScratchError(`--tensorboard ${dir}: cannot write an event file there (${(e as Error).message}); give a folder you can write to`);
    }
    this.write(fileVersionEvent());
    this.write(sessionStartEvent(opts.startStep ?? 0));
  }

  private write(event: Uint8Array): void {
    if (this.fd === null) throw new ScratchError(`${this.path}: the TensorBoard writer is closed`);
    writeSync(this.fd, tfRecord(event));
  }

  /** One point on each tag's chart; values that are not finite numbers are left out. */
  scalars(step: number, values: Record<string, number>): void {
    const kept: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) if (typeof v === 'number' && Number.isFinite(v)) kept[k] = v;
    if (Object.keys(kept).length) this.write(scalarEvent(step, kept));
  }

  /** Closes the event file (the writer can no longer write). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
