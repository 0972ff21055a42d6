import { type Code, type Fn, F, I, V, get, select, set, tee } from './asm.js';

/**
 * One element-wise vocabulary, two widths: `vec` works on f32x4 lanes, `scalar` on one f32. Kernels
 * written against Lanes get their SIMD body and their scalar tail (n not a multiple of 4) from the
 * same source, so the two cannot drift apart.
 */
export interface Lanes {
  readonly w: 1 | 4;
  readonly bytes: number;
  readonly type: 'f32' | 'v128';
  /** A constant, read from the table at CONST_BYTE (see constSlot). */
  c(x: number): Code;
  /** A scalar f32 expression broadcast to this width. */
  splat(f: Code): Code;
  load(addr: Code, off?: number): Code;
  store(addr: Code, v: Code, off?: number): Code;
  add(a: Code, b: Code): Code;
  sub(a: Code, b: Code): Code;
  mul(a: Code, b: Code): Code;
  div(a: Code, b: Code): Code;
  max(a: Code, b: Code): Code;
  min(a: Code, b: Code): Code;
  sqrt(a: Code): Code;
  /** a * b + c, fused where the engine allows. */
  fma(a: Code, b: Code, c: Code): Code;
  /** e^x, to about 2 ulp, for x in [-87, 88] (clamped outside: softmax never needs more). */
  exp(x: Code): Code;
  tanh(x: Code): Code;
  /**
   * 1 + tanh(u) and 1 - tanh(u)^2 without cancellation: both come from q = 1 - tanh|u|, computed
   * directly as 2 / (e^{2|u|} + 1). Sets the two given locals.
   */
  tanhParts(u: Code, onePlusTanh: number, sech2: number): Code;
}

/**
 * Kernel constants live in memory, each as four equal floats from CONST_BYTE on: TurboFan
 * rebuilds a literal v128 with three instructions on every loop iteration (and folds a constant
 * local back into one), while a load from a fixed address folds into the instruction using it.
 */
export const CONST_BYTE = 1024;
const CONST_MAX = (65536 - CONST_BYTE) / 16;
const slots = new Map<number, number>();

/** Byte address of constant x (registered on first use). */
export function constSlot(x: number): number {
  const key = Math.fround(x);
  let i = slots.get(key);
  if (i === undefined) {
    i = slots.size;
    if (i >= CONST_MAX) throw new Error('kernel constant table full');
    slots.set(key, i);
  }
  return CONST_BYTE + 16 * i;
}

/** The table's contents, to be written at CONST_BYTE before any kernel runs. */
export function constTable(): Float32Array {
  const t = new Float32Array(4 * slots.size);
  for (const [x, i] of slots) t.fill(x, 4 * i, 4 * i + 4);
  return t;
}

const LOG2E = Math.LOG2E;
const LN2_HI = 0.693359375; // ln 2 split in two so n * LN2_HI is exact in float32
const LN2_LO = -2.12194440e-4;

export function makeLanes(f: Fn, w: 1 | 4, relaxed: boolean): Lanes {
  const t = w === 4 ? 'v128' : 'f32';
  const L: Lanes = {
    w,
    bytes: w * 4,
    type: t,
    c: (x) => (w === 4 ? V.load(I.c(constSlot(x))) : F.load(I.c(constSlot(x)))),
    splat: (e) => (w === 4 ? V.splat(e) : e),
    load: (a, off = 0) => (w === 4 ? V.load(a, off) : F.load(a, off)),
    store: (a, v, off = 0) => (w === 4 ? V.store(a, v, off) : F.store(a, v, off)),
    add: w === 4 ? V.add : F.add,
    sub: w === 4 ? V.sub : F.sub,
    mul: w === 4 ? V.mul : F.mul,
    div: w === 4 ? V.div : F.div,
    max: w === 4 ? V.pmax : F.max,
    min: w === 4 ? V.pmin : F.min,
    sqrt: w === 4 ? V.sqrt : F.sqrt,
    fma: (a, b, c) => (w === 4 && relaxed ? V.relaxedMadd(a, b, c) : L.add(L.mul(a, b), c)),
    exp(x) {
      // e^x = 2^n * e^r, n = round(x log2 e), |r| <= ln2/2; e^r by its degree-6 Taylor polynomial.
      // n comes from the 1.5 * 2^23 shifter: t = x log2e + S rounds x log2e to an integer in t's
      // low mantissa bits, so (bits(t) + 127) << 23 is 2^n (S's own bits vanish in the shift).
      const xs = f.local(t);
      const tt = f.local(t);
      const n = f.local(t);
      const r = f.local(t);
      const S = 12582912;
      const clamp = set(xs, L.min(L.max(x, L.c(-87.0)), L.c(88.0)));
      const nn = [set(tt, L.add(L.mul(get(xs), L.c(LOG2E)), L.c(S))), set(n, L.sub(get(tt), L.c(S)))];
      const rr = set(r, L.sub(L.sub(get(xs), L.mul(get(n), L.c(LN2_HI))), L.mul(get(n), L.c(LN2_LO))));
      let p: Code = L.c(1 / 720);
      for (const k of [1 / 120, 1 / 24, 1 / 6, 1 / 2, 1, 1]) p = L.fma(p, get(r), L.c(k));
      const scale =
        w === 4
          ? V.ishl(V.iadd(get(tt), V.isplat(I.c(127))), 23)
          : F.fromBits(I.shl(I.add(F.bits(get(tt)), I.c(127)), 23));
      return [clamp, nn, rr, L.mul(p, scale)];
    },
    tanh(x) {
      // tanh u = 1 - 2 / (e^{2u} + 1); |u| <= 9 already gives +-1 in float32
      const u = L.min(L.max(x, L.c(-9)), L.c(9));
      return L.sub(L.c(1), L.div(L.c(2), L.add(L.exp(L.add(u, u)), L.c(1))));
    },
    tanhParts(u, onePlus, sech2) {
      const uu = f.local(t);
      const q = f.local(t);
      const au = L.min(w === 4 ? V.abs(get(uu)) : F.abs(get(uu)), L.c(40)); // e^80 still fits float32
      const pos = L.sub(L.c(2), get(q));
      return [
        set(uu, u),
        set(q, L.div(L.c(2), L.add(L.exp(L.add(au, au)), L.c(1)))),
        set(onePlus, w === 4 ? V.bitselect(pos, get(q), V.ge(get(uu), L.c(0))) : select(pos, get(q), F.ge(get(uu), F.c(0)))),
        set(sech2, L.mul(get(q), pos)),
      ];
    },
  };
  return L;
}

/** lo/hi of thread tid's share of n items, in whole multiples of `align`. */
export function split(f: Fn, n: Code, align: number): { lo: number; hi: number; code: Code } {
  const lo = f.i32();
  const hi = f.i32();
  const units = f.i32();
  const tid = get(f.p.tid!);
  const nth = get(f.p.nth!);
  const code = [
    set(units, I.divU(I.add(n, I.c(align - 1)), I.c(align))),
    set(lo, I.min(n, I.mul(I.divU(I.mul(get(units), tid), nth), I.c(align)))),
    set(hi, I.min(n, I.mul(I.divU(I.mul(get(units), I.add(tid, I.c(1))), nth), I.c(align)))),
  ];
  return { lo, hi, code };
}

/**
 * Runs body over element indices [lo, hi): four at a time while four remain, then one at a time.
 * body gets the lanes and a local holding the byte offset (4 * index) of the current element.
 */
export function elementwise(f: Fn, lo: Code, hi: Code, relaxed: boolean, body: (L: Lanes, off: number) => Code): Code {
  const off = f.i32();
  const end = f.i32();
  const vecEnd = f.i32();
  const v = makeLanes(f, 4, relaxed);
  const s = makeLanes(f, 1, relaxed);
  const loop = (L: Lanes, to: number): Code => [
    [0x02, 0x40, 0x03, 0x40],
    [I.ge_s(get(off), get(to)), 0x0d, 1],
    body(L, off),
    set(off, I.add(get(off), I.c(L.bytes))),
    [0x0c, 0, 0x0b, 0x0b],
  ];
  return [
    set(off, I.shl(lo, 2)),
    set(end, I.shl(hi, 2)),
    set(vecEnd, I.sub(get(end), I.c(12))),
    loop(v, vecEnd),
    loop(s, end),
  ];
}

/**
 * A reduction over [lo, hi) with a vector accumulator and a scalar one, combined at the end into
 * the f32 local `result`. `step(L, off, acc)` returns the new accumulator value.
 */
export function reduce(
  f: Fn,
  lo: Code,
  hi: Code,
  relaxed: boolean,
  kind: 'sum' | 'max',
  result: number,
  step: (L: Lanes, off: number, acc: Code) => Code,
): Code {
  const accV = f.v128();
  const accS = f.f32();
  const tmp = f.v128();
  const init = kind === 'sum' ? 0 : -Infinity;
  const loop = elementwise(f, lo, hi, relaxed, (L, off) =>
    L.w === 4 ? set(accV, step(L, off, get(accV))) : set(accS, step(L, off, get(accS))),
  );
  const fold = kind === 'sum' ? F.add(V.hsum(get(accV), tmp), get(accS)) : F.max(V.hmax(get(accV), tmp), get(accS));
  return [set(accV, V.splat(F.c(init))), set(accS, F.c(init)), loop, set(result, fold)];
}

export { tee };
