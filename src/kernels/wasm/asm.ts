/**
 * A tiny WebAssembly assembler: kernels are written in TypeScript as nested arrays of opcodes and
 * turned into a binary module at run time. No C/Rust/Emscripten toolchain and no build step beyond
 * tsc; the same code runs in browsers. Only the instructions the kernels use are here.
 */

/** Code is a tree of bytes; `flat` turns it into the byte list of a function body. */
export type Code = number | readonly Code[];
export type ValType = 'i32' | 'f32' | 'f64' | 'v128';
const VT: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

export function flat(c: Code, out: number[] = []): number[] {
  if (typeof c === 'number') out.push(c);
  else for (const x of c) flat(x, out);
  return out;
}

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const f32buf = new DataView(new ArrayBuffer(8));
function f32bytes(x: number): number[] {
  f32buf.setFloat32(0, x, true);
  return [0, 1, 2, 3].map((i) => f32buf.getUint8(i));
}
function f64bytes(x: number): number[] {
  f32buf.setFloat64(0, x, true);
  return [0, 1, 2, 3, 4, 5, 6, 7].map((i) => f32buf.getUint8(i));
}

/** A function under construction: named params, then locals added as the body needs them. */
export class Fn {
  readonly params: ValType[];
  readonly locals: ValType[] = [];
  readonly p: Record<string, number> = {};
  results: ValType[] = [];
  body: Code = [];
  constructor(
    readonly name: string,
    params: [string, ValType][],
  ) {
    this.params = params.map(([, t]) => t);
    params.forEach(([n], i) => (this.p[n] = i));
  }
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }
  i32(): number {
    return this.local('i32');
  }
  f32(): number {
    return this.local('f32');
  }
  v128(): number {
    return this.local('v128');
  }
}

// ---- variables and control ---------------------------------------------------------------
export const get = (i: number): Code => [0x20, ...uleb(i)];
export const set = (i: number, e: Code): Code => [e, 0x21, ...uleb(i)];
export const tee = (i: number, e: Code): Code => [e, 0x22, ...uleb(i)];
export const drop = (e: Code): Code => [e, 0x1a];
/** Calls the fn-th function of the module (after the imports, see `assemble`). */
export const call = (index: number, ...args: Code[]): Code => [args, 0x10, ...uleb(index)];
export const ret = (e: Code): Code => [e, 0x0f];
const EMPTY = 0x40;

/** for (i = from; i < to; i += step) body, with i32 (signed) bounds. */
export function forLoop(i: number, from: Code, to: Code, step: number, body: Code): Code {
  return [
    set(i, from),
    [0x02, EMPTY, 0x03, EMPTY],
    [I.ge_s(get(i), to), 0x0d, 1],
    body,
    set(i, I.add(get(i), I.c(step))),
    [0x0c, 0, 0x0b, 0x0b],
  ];
}
export function ifThen(cond: Code, then: Code, otherwise?: Code): Code {
  return otherwise === undefined ? [cond, 0x04, EMPTY, then, 0x0b] : [cond, 0x04, EMPTY, then, 0x05, otherwise, 0x0b];
}
/** An i32-valued if/else expression. */
export const select = (a: Code, b: Code, cond: Code): Code => [a, b, cond, 0x1b];

const mem = (align: number, off = 0): number[] => [align, ...uleb(off)];

// ---- scalar ops ------------------------------------------------------------------------------
export const I = {
  c: (n: number): Code => [0x41, ...sleb(n | 0)],
  add: (a: Code, b: Code): Code => [a, b, 0x6a],
  sub: (a: Code, b: Code): Code => [a, b, 0x6b],
  mul: (a: Code, b: Code): Code => [a, b, 0x6c],
  divU: (a: Code, b: Code): Code => [a, b, 0x6e],
  shl: (a: Code, n: number): Code => [a, 0x41, ...sleb(n), 0x74],
  and: (a: Code, b: Code): Code => [a, b, 0x71],
  xor: (a: Code, b: Code): Code => [a, b, 0x73],
  shrU: (a: Code, n: number): Code => [a, 0x41, ...sleb(n), 0x76],
  ge_u: (a: Code, b: Code): Code => [a, b, 0x4f],
  eqz: (a: Code): Code => [a, 0x45],
  eq: (a: Code, b: Code): Code => [a, b, 0x46],
  ne: (a: Code, b: Code): Code => [a, b, 0x47],
  lt_s: (a: Code, b: Code): Code => [a, b, 0x48],
  gt_s: (a: Code, b: Code): Code => [a, b, 0x4a],
  le_s: (a: Code, b: Code): Code => [a, b, 0x4c],
  ge_s: (a: Code, b: Code): Code => [a, b, 0x4e],
  min: (a: Code, b: Code): Code => select(a, b, I.lt_s(a, b)),
  load: (addr: Code, off = 0): Code => [addr, 0x28, ...mem(2, off)],
};
export const F = {
  c: (x: number): Code => [0x43, ...f32bytes(x)],
  load: (addr: Code, off = 0): Code => [addr, 0x2a, ...mem(2, off)],
  store: (addr: Code, v: Code, off = 0): Code => [addr, v, 0x38, ...mem(2, off)],
  add: (a: Code, b: Code): Code => [a, b, 0x92],
  sub: (a: Code, b: Code): Code => [a, b, 0x93],
  mul: (a: Code, b: Code): Code => [a, b, 0x94],
  div: (a: Code, b: Code): Code => [a, b, 0x95],
  min: (a: Code, b: Code): Code => [a, b, 0x96],
  max: (a: Code, b: Code): Code => [a, b, 0x97],
  sqrt: (a: Code): Code => [a, 0x91],
  abs: (a: Code): Code => [a, 0x8b],
  ge: (a: Code, b: Code): Code => [a, b, 0x60],
  nearest: (a: Code): Code => [a, 0x90],
  gt: (a: Code, b: Code): Code => [a, b, 0x5e],
  eq: (a: Code, b: Code): Code => [a, b, 0x5b],
  fromI32: (a: Code): Code => [a, 0xb2],
  toI32: (a: Code): Code => [a, 0xa8],
  fromBits: (a: Code): Code => [a, 0xbe],
  bits: (a: Code): Code => [a, 0xbc],
  toF64: (a: Code): Code => [a, 0xbb],
};
export const D = {
  c: (x: number): Code => [0x44, ...f64bytes(x)],
  add: (a: Code, b: Code): Code => [a, b, 0xa0],
  load: (addr: Code, off = 0): Code => [addr, 0x2b, ...mem(3, off)],
  store: (addr: Code, v: Code, off = 0): Code => [addr, v, 0x39, ...mem(3, off)],
  mul: (a: Code, b: Code): Code => [a, b, 0xa2],
  toF32: (a: Code): Code => [a, 0xb6],
};

// ---- SIMD ------------------------------------------------------------------------------------
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
export const V = {
  load: (addr: Code, off = 0): Code => [addr, simd(0x00), ...mem(4, off)],
  /** v128.const of four equal floats: V8 materializes it cheaply, unlike a splat inside a loop. */
  c: (x: number): Code => [simd(0x0c), ...f32bytes(x), ...f32bytes(x), ...f32bytes(x), ...f32bytes(x)],
  store: (addr: Code, v: Code, off = 0): Code => [addr, v, simd(0x0b), ...mem(4, off)],
  loadSplat: (addr: Code, off = 0): Code => [addr, simd(0x09), ...mem(2, off)],
  splat: (f: Code): Code => [f, simd(0x13)],
  isplat: (i: Code): Code => [i, simd(0x11)],
  /** f64x2 of lanes 0,1 (lo) or 2,3 (hi) of an f32x4: exact, for float64 sums. */
  promoteLo: (a: Code): Code => [a, simd(0x5f)],
  promoteHi: (a: Code, tmp: number): Code => [
    tee(tmp, a),
    get(tmp),
    simd(0x0d),
    [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7],
    simd(0x5f),
  ],
  dadd: (a: Code, b: Code): Code => [a, b, simd(0xf0)],
  dmul: (a: Code, b: Code): Code => [a, b, simd(0xf2)],
  dlane: (v: Code, l: number): Code => [v, simd(0x21), l],
  lane: (v: Code, l: number): Code => [v, simd(0x1f), l],
  add: (a: Code, b: Code): Code => [a, b, simd(0xe4)],
  sub: (a: Code, b: Code): Code => [a, b, simd(0xe5)],
  mul: (a: Code, b: Code): Code => [a, b, simd(0xe6)],
  div: (a: Code, b: Code): Code => [a, b, simd(0xe7)],
  min: (a: Code, b: Code): Code => [a, b, simd(0xe8)],
  max: (a: Code, b: Code): Code => [a, b, simd(0xe9)],
  /** b < a ? b : a: one minps on x64, where min's NaN and -0 rules cost about eight instructions. */
  pmin: (a: Code, b: Code): Code => [a, b, simd(0xea)],
  /** a < b ? b : a: one maxps. */
  pmax: (a: Code, b: Code): Code => [a, b, simd(0xeb)],
  sqrt: (a: Code): Code => [a, simd(0xe3)],
  abs: (a: Code): Code => [a, simd(0xe0)],
  ge: (a: Code, b: Code): Code => [a, b, simd(0x46)],
  /** Bits of a where mask is set, else of b. */
  bitselect: (a: Code, b: Code, mask: Code): Code => [a, b, mask, simd(0x52)],
  nearest: (a: Code): Code => [a, simd(0x6a)],
  toI32: (a: Code): Code => [a, simd(0xf8)],
  iadd: (a: Code, b: Code): Code => [a, b, simd(0xae)],
  imul: (a: Code, b: Code): Code => [a, b, simd(0xb5)],
  ixor: (a: Code, b: Code): Code => [a, b, simd(0x51)],
  and: (a: Code, b: Code): Code => [a, b, simd(0x4e)],
  ishrU: (a: Code, n: number): Code => [a, I.c(n), simd(0xad)],
  /** Lanes where a >= b as unsigned 32-bit integers: all ones, else zero. */
  igeU: (a: Code, b: Code): Code => [a, b, simd(0x40)],
  /** v128.const of four i32 lanes. */
  iconst: (...x: [number, number, number, number]): Code => [simd(0x0c), ...x.flatMap((n) => [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255])],
  ishl: (a: Code, n: number): Code => [a, I.c(n), simd(0xab)],
  /** a * b + c: relaxed-SIMD FMA (one rounding) when the engine has it, else mul then add. */
  relaxedMadd: (a: Code, b: Code, c: Code): Code => [a, b, c, simd(0x105)],
  hsum: (v: Code, tmp: number): Code => [
    set(tmp, v),
    F.add(F.add(V.lane(get(tmp), 0), V.lane(get(tmp), 1)), F.add(V.lane(get(tmp), 2), V.lane(get(tmp), 3))),
  ],
  hmax: (v: Code, tmp: number): Code => [
    set(tmp, v),
    F.max(F.max(V.lane(get(tmp), 0), V.lane(get(tmp), 1)), F.max(V.lane(get(tmp), 2), V.lane(get(tmp), 3))),
  ],
};

// ---- module ----------------------------------------------------------------------------------
function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}
function str(s: string): number[] {
  const b = Array.from(new TextEncoder().encode(s));
  return [...uleb(b.length), ...b];
}

/**
 * A module that imports one shared memory as env.memory (so every thread sees the same bytes)
 * and a few f64 -> f64 JavaScript functions, and exports every function by name. `shared: false`
 * declares a plain memory instead (one thread, where SharedArrayBuffer is missing).
 */
export function assemble(fns: Fn[], imports: string[], maxPages: number, shared = true): Uint8Array<ArrayBuffer> {
  const types: string[] = [];
  const typeBytes: number[][] = [];
  const typeOf = (params: ValType[], results: ValType[]): number => {
    const key = params.join(',') + '->' + results.join(',');
    let i = types.indexOf(key);
    if (i < 0) {
      i = types.push(key) - 1;
      typeBytes.push([0x60, ...vec(params.map((t) => [VT[t]])), ...vec(results.map((t) => [VT[t]]))]);
    }
    return i;
  };
  // memory limits flag: 0x01 has a maximum, 0x03 has a maximum and is shared
  const importEntries: number[][] = [[...str('env'), ...str('memory'), 0x02, shared ? 0x03 : 0x01, ...uleb(1), ...uleb(maxPages)]];
  for (const name of imports) importEntries.push([...str('env'), ...str(name), 0x00, ...uleb(typeOf(['f64'], ['f64']))]);
  const funcTypes = fns.map((f) => uleb(typeOf(f.params, f.results)));
  const nImp = imports.length;
  const exports = fns.map((f, i) => [...str(f.name), 0x00, ...uleb(nImp + i)]);
  const bodies = fns.map((f) => {
    // locals in runs of one type
    const runs: number[][] = [];
    for (const t of f.locals) runs.push([1, VT[t]]);
    const b = [...vec(runs), ...flat(f.body), 0x0b];
    return [...uleb(b.length), ...b];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(typeBytes)),
    ...section(2, vec(importEntries)),
    ...section(3, vec(funcTypes)),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}
