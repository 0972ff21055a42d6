/**
 * safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
 * shape and byte range, then raw little-endian data. Pure functions over bytes (browser-safe);
 * file access lives in io/files.ts. Errors name the source and the problem.
 */
import { ScratchError } from '../core/errors.js';

/** The safetensors dtypes scratchlm reads and writes. */
export type SafeDType = 'F32' | 'I32' | 'F64';
/** The typed array of a SafeTensor's data. */
export type SafeArray = Float32Array | Int32Array | Float64Array;

/** One tensor of a safetensors file: dtype, shape and data. */
export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  data: SafeArray;
}

const MAX_HEADER = 100 * 1024 * 1024; // the reference implementation's bound
const BYTES: Record<SafeDType, number> = { F32: 4, I32: 4, F64: 8 };

/** Parses a safetensors file's bytes; `source` names it in errors. Copies data out (aligned). */
export function parseSafetensors(bytes: Uint8Array, source: string): { tensors: Map<string, SafeTensor>; metadata: Record<string, string> } {
  const fail = (msg: string) => new ScratchError(`${source}: ${msg}`);
  if (bytes.length < 8) throw fail(`not a safetensors file (only ${bytes.length} bytes; the file is truncated or empty)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  if (n > MAX_HEADER) throw fail(`header length ${n} is larger than the ${MAX_HEADER}-byte limit; the file is corrupt or not safetensors`);
  if (8 + n > bytes.length) throw fail(`header says ${n} bytes but the file has ${bytes.length - 8} after the length; the file is truncated`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw fail('the header is not valid JSON; the file is corrupt or not safetensors');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail('the header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  const ranges: [number, number, string][] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof info !== 'object' || info === null || Array.isArray(info) || !Object.values(info).every((v) => typeof v === 'string')) throw fail('__metadata__ must map names to strings');
      metadata = info as Record<string, string>;
      continue;
    }
    if (typeof info !== 'object' || info === null || Array.isArray(info)) throw fail(`tensor '${name}' is not described by an object`);
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = t.dtype as SafeDType;
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) throw fail(`tensor '${name}' has dtype ${String(t.dtype)}; scratchlm reads F32, F64 and I32`);
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw fail(`tensor '${name}' has an invalid shape`);
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[1] < offs[0]) {
      throw fail(`tensor '${name}' has invalid data_offsets`);
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (offs[1] - offs[0] !== count * BYTES[dtype]) throw fail(`tensor '${name}' has ${offs[1] - offs[0]} bytes for shape [${shape}] of ${dtype}`);
    if (offs[1] > dataLen) throw fail(`tensor '${name}' ends at byte ${offs[1]} but the data has ${dataLen}; the file is truncated`);
    ranges.push([offs[0], offs[1], name]);
    // copy (aligned, owned); Uint8Array.prototype.slice because a Node Buffer's slice is a view
    const raw = Uint8Array.prototype.slice.call(bytes, dataStart + offs[0], dataStart + offs[1]);
    const data =
      dtype === 'F32' ? new Float32Array(raw.buffer) : dtype === 'I32' ? new Int32Array(raw.buffer) : new Float64Array(raw.buffer);
    tensors.set(name, { dtype, shape: shape as number[], data });
  }
  // as the reference implementation: tensors may not share bytes
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (let i = 1; i < ranges.length; i++) {
    const [s, , n] = ranges[i]!;
    const [, e, m] = ranges[i - 1]!;
    if (s < e) throw fail(`tensors '${m}' and '${n}' overlap (bytes ${s} to ${e}); the file is corrupt`);
  }
  return { tensors, metadata };
}

/** Serialises tensors (in the given order) to safetensors bytes. */
export function serializeSafetensors(tensors: Iterable<[string, { shape: readonly number[]; data: SafeArray }]>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  const parts: { data: SafeArray }[] = [];
  let off = 0;
  for (const [name, t] of tensors) {
    const dtype: SafeDType = t.data instanceof Float32Array ? 'F32' : t.data instanceof Int32Array ? 'I32' : 'F64';
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`tensor ${name}: shape [${t.shape}] does not match ${t.data.length} values`);
    header[name] = { dtype, shape: [...t.shape], data_offsets: [off, off + t.data.byteLength] };
    off += t.data.byteLength;
    parts.push(t);
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((json.length + 8) % 8)) % 8); // keep the data 8-byte aligned, as the spec suggests
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let p = 8 + jsonBytes.length;
  for (const t of parts) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p);
    p += t.data.byteLength;
  }
  return out;
}
