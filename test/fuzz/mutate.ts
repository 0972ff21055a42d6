/**
 * Mutations of a reader's files (fast-check arbitraries) and the run of one case: every case must
 * end in a correct load or a ScratchError of one line naming the file's folder; never another
 * exception, a slow case (a hang) or an allocation the file does not justify.
 */
import fc from 'fast-check';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScratchError } from '../../src/index.js';
import type { FileKind, Reader } from './readers.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export type Op =
  | { t: 'flip'; bits: [number, number][] }
  | { t: 'overwrite'; at: number; data: Uint8Array }
  | { t: 'insert'; at: number; data: Uint8Array }
  | { t: 'delete'; at: number; len: number }
  | { t: 'truncate'; at: number }
  | { t: 'random'; data: Uint8Array }
  | { t: 'json'; path: number[]; value: Json }
  | { t: 'huge'; which: number; value: number }
  | { t: 'offsets'; which: number; mode: 'overlap' | 'past' | 'reverse' | 'same' };

export interface Mutation {
  file: number;
  op: Op;
  resign: boolean;
}

const HUGE = [2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e15, 1e308, -1, -(2 ** 31), 0, 1.5, Number.MAX_SAFE_INTEGER];

const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(...HUGE),
  fc.array(fc.integer({ min: -2, max: 1 << 20 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 3 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'NaN', '<|endoftext|>', '', 'F32', 'gpt2', '../x'),
  fc.constant([] as Json[]),
  fc.constant({} as Json),
);

const frac = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export function mutationArb(reader: Reader): fc.Arbitrary<Mutation> {
  const nFiles = reader.files.size;
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ t: fc.constant('flip' as const), bits: fc.array(fc.tuple(frac, fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('overwrite' as const), at: frac, data: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('insert' as const), at: frac, data: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), at: frac, len: fc.integer({ min: 1, max: 64 }) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('truncate' as const), at: frac }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('random' as const), data: fc.uint8Array({ maxLength: 256 }) }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('json' as const), path: fc.array(fc.nat(), { maxLength: 5 }), value: jsonValue }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('huge' as const), which: fc.nat(), value: fc.constantFrom(...HUGE) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('offsets' as const), which: fc.nat(), mode: fc.constantFrom('overlap' as const, 'past' as const, 'reverse' as const, 'same' as const) }) },
  );
  return fc.record({ file: fc.integer({ min: 0, max: nFiles - 1 }), op, resign: fc.boolean() });
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Replaces the value at `path` (each step picks a key or index by number) with `value`. */
function setAt(root: Json, path: number[], value: Json): Json {
  if (path.length === 0 || root === null || typeof root !== 'object') return value;
  const keys = Array.isArray(root) ? root.map((_, i) => i) : Object.keys(root);
  if (keys.length === 0) return value;
  const k = keys[path[0]! % keys.length]!;
  const child = (root as Record<string | number, Json>)[k]!;
  (root as Record<string | number, Json>)[k] = path.length === 1 ? value : setAt(child, path.slice(1), value);
  return root;
}

function safetensorsHeader(b: Uint8Array): { header: Record<string, any>; rest: Uint8Array } | null {
  if (b.length < 8) return null;
  const n = Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true));
  if (8 + n > b.length) return null;
  try {
    return { header: JSON.parse(dec.decode(b.subarray(8, 8 + n))), rest: b.subarray(8 + n) };
  } catch {
    return null;
  }
}

function withHeader(header: unknown, rest: Uint8Array): Uint8Array {
  const h = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + rest.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(rest, 8 + h.length);
  return out;
}

/** Applies `op` to a file's bytes. */
export function applyOp(b: Uint8Array, kind: FileKind, op: Op): Uint8Array {
  const at = (f: number) => Math.floor(f * (b.length + 1));
  switch (op.t) {
    case 'flip': {
      const out = b.slice();
      if (out.length) for (const [f, bit] of op.bits) out[Math.floor(f * out.length)]! ^= 1 << bit;
      return out;
    }
    case 'overwrite': {
      const out = b.slice();
      const p = Math.min(at(op.at), Math.max(0, b.length - 1));
      out.set(op.data.subarray(0, Math.max(0, out.length - p)), p);
      return out;
    }
    case 'insert': {
      const p = at(op.at);
      return Uint8Array.from([...b.subarray(0, p), ...op.data, ...b.subarray(p)]);
    }
    case 'delete': {
      const p = at(op.at);
      return Uint8Array.from([...b.subarray(0, p), ...b.subarray(p + op.len)]);
    }
    case 'truncate':
      return b.slice(0, at(op.at));
    case 'random':
      return op.data;
    case 'json': {
      if (kind === 'json') {
        try {
          return enc.encode(JSON.stringify(setAt(JSON.parse(dec.decode(b)) as Json, op.path, op.value)));
        } catch {
          return b;
        }
      }
      if (kind === 'safetensors') {
        const s = safetensorsHeader(b);
        return s ? withHeader(setAt(s.header, op.path, op.value), s.rest) : b;
      }
      // text and binary: a line (or 8 bytes) replaced by the value as JSON
      const lines = dec.decode(b).split('\n');
      lines[(op.path[0] ?? 0) % lines.length] = JSON.stringify(op.value);
      return enc.encode(lines.join('\n'));
    }
    case 'huge': {
      if (kind === 'binary' && b.length >= 32) {
        // the token file header's fields: version, bytes per id, vocabulary (uint32), count (uint64)
        const out = b.slice();
        const dv = new DataView(out.buffer);
        const field = [8, 12, 16, 24][op.which % 4]!;
        const v = Math.max(0, Math.min(op.value, 2 ** 64 - 1));
        if (field === 24) dv.setBigUint64(24, BigInt(Math.floor(v)) & ((1n << 64n) - 1n), true);
        else dv.setUint32(field, Math.floor(v) >>> 0, true);
        return out;
      }
      if (kind === 'safetensors' && b.length >= 8) {
        const s = safetensorsHeader(b);
        if (s && op.which % 2 === 0) {
          // a tensor's declared shape or offsets made huge
          const names = Object.keys(s.header).filter((k) => k !== '__metadata__');
          const t = s.header[names[op.which % Math.max(1, names.length)]!];
          if (t && typeof t === 'object') {
            if ((op.which >> 1) % 2 === 0 && Array.isArray(t.shape)) t.shape[0] = op.value;
            else if (Array.isArray(t.data_offsets)) t.data_offsets[1] = op.value;
          }
          return withHeader(s.header, s.rest);
        }
        const out = b.slice(); // the header length itself
        new DataView(out.buffer).setBigUint64(0, BigInt(Math.floor(Math.max(0, Math.min(op.value, 2 ** 64 - 1)))) & ((1n << 64n) - 1n), true);
        return out;
      }
      // JSON and text: a number in the file replaced by a huge one
      const text = dec.decode(b);
      const nums = [...text.matchAll(/\d+(\.\d+)?/g)];
      if (nums.length === 0) return b;
      const m = nums[op.which % nums.length]!;
      return enc.encode(text.slice(0, m.index) + String(op.value) + text.slice(m.index! + m[0].length));
    }
    case 'offsets': {
      if (kind !== 'safetensors') return b;
      const s = safetensorsHeader(b);
      if (!s) return b;
      const names = Object.keys(s.header).filter((k) => k !== '__metadata__');
      if (names.length < 2) return b;
      const i = op.which % names.length;
      const t = s.header[names[i]!];
      const other = s.header[names[(i + 1) % names.length]!];
      if (!Array.isArray(t?.data_offsets) || !Array.isArray(other?.data_offsets)) return b;
      const [a, e] = t.data_offsets as number[];
      const len = e! - a!;
      if (op.mode === 'overlap') t.data_offsets = [other.data_offsets[0], other.data_offsets[0] + len];
      else if (op.mode === 'past') t.data_offsets = [s.rest.length - Math.floor(len / 2), s.rest.length - Math.floor(len / 2) + len];
      else if (op.mode === 'reverse') t.data_offsets = [e, a];
      else t.data_offsets = [...other.data_offsets];
      return withHeader(s.header, s.rest);
    }
  }
}

export interface Outcome {
  result: 'loaded' | 'rejected' | 'failed';
  why?: string;
}

const SLOW_MS = 3000;

/**
 * A counter runCase bumps as each case starts, in memory a watchdog thread reads (see
 * watchdog.ts): a case that never returns (an infinite loop) stops the counter, which a check
 * made after the case returns could never see.
 */
export const heartbeat: { beat: Int32Array | null } = { beat: null };

/** Writes `files` into `dir` (only them) and runs the reader's load on it. */
export function runCase(reader: Reader, dir: string, files: Map<string, Uint8Array>): Outcome {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let total = 0;
  for (const [n, b] of files) {
    writeFileSync(join(dir, n), b);
    total += b.length;
  }
  if (heartbeat.beat) Atomics.add(heartbeat.beat, 0, 1); // the case's files are on disk: a hang from here on is kept
  const before = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let out: Outcome;
  try {
    reader.load(dir);
    out = { result: 'loaded' };
  } catch (e) {
    if (!(e instanceof ScratchError)) out = { result: 'failed', why: `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}` };
    else if (e.message.includes('\n')) out = { result: 'failed', why: `message of several lines: ${JSON.stringify(e.message)}` };
    else if (!e.message.includes(dir)) out = { result: 'failed', why: `message does not name the file: ${e.message}` };
    else out = { result: 'rejected', why: e.message };
  }
  const ms = performance.now() - t0;
  const grew = process.memoryUsage().arrayBuffers - before;
  if (ms > SLOW_MS) return { result: 'failed', why: `took ${ms.toFixed(0)} ms` };
  if (grew > 64 * 1024 * 1024 + 64 * total) return { result: 'failed', why: `allocated ${(grew / 2 ** 20).toFixed(0)} MiB for ${total} bytes of files` };
  void readdirSync;
  return out;
}

export interface ReaderCounts {
  reader: string;
  cases: number;
  loaded: number;
  rejected: number;
  failures: { why: string; example: string }[];
}

/** Truncation of each file at every length up to `maxLen` (then `steps` lengths spread over the rest). */
export function truncations(reader: Reader, dir: string, counts: ReaderCounts, maxLen = Infinity, steps = 64): void {
  for (const [name, bytes] of reader.files) {
    const lengths: number[] = [];
    const full = Math.min(bytes.length, maxLen);
    for (let n = 0; n < full; n++) lengths.push(n);
    for (let k = 0; k < steps && full < bytes.length; k++) lengths.push(full + Math.floor(((bytes.length - full) * k) / steps));
    for (const n of lengths) {
      const files = new Map(reader.files);
      files.set(name, bytes.slice(0, n));
      count(counts, runCase(reader, dir, files), () => `${name} truncated to ${n} bytes`);
    }
  }
}

function count(c: ReaderCounts, o: Outcome, example: () => string): void {
  c.cases++;
  if (o.result === 'loaded') c.loaded++;
  else if (o.result === 'rejected') c.rejected++;
  else if (c.failures.length < 20) c.failures.push({ why: o.why!, example: example() });
  else c.failures.length++;
}

/** `runs` random mutations (fast-check, seeded); failures are kept, not thrown, to count them all. */
export function mutations(reader: Reader, dir: string, counts: ReaderCounts, runs: number, seed: number): void {
  const names = [...reader.files.keys()];
  fc.assert(
    fc.property(mutationArb(reader), (m) => {
      const name = names[m.file]!;
      const files = new Map(reader.files);
      files.set(name, applyOp(reader.files.get(name)!, reader.kind(name), m.op));
      if (m.resign && reader.resign) {
        try {
          reader.resign(files, name);
        } catch {
          /* the mutation broke the JSON: nothing to re-sign */
        }
      }
      count(counts, runCase(reader, dir, files), () => `${name}: ${JSON.stringify(m.op, (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v)).slice(0, 300)}${m.resign ? ' (re-signed)' : ''}`);
      return true;
    }),
    { numRuns: runs, seed },
  );
}
