import { type Code, Fn, F, I, get, set } from './asm.js';
import { type Lanes, elementwise, reduce, split } from './lanes.js';

/**
 * Causal multi-head attention over packed qkv (B, T, 3C). Threads split the (batch, head) pairs:
 * in the backward pass every write (dq, dk, dv of one head) then belongs to exactly one thread.
 * Inner loops run over the head size with SIMD (dot products, axpy) and over keys for the softmax.
 */

type P = [string, 'i32' | 'f32'][];
const ptrs = (...names: string[]): P => names.map((n) => [n, 'i32']);
/** With `drop`, the dropout variant: its name ends in Drop and it takes the `drop` buffer last. */
const kernel = (name: string, params: P, drop: boolean): Fn =>
  new Fn(drop ? `${name}Drop` : name, [['tid', 'i32'], ['nth', 'i32'], ...params, ['B', 'i32'], ['T', 'i32'], ['C', 'i32'], ['NH', 'i32'], ...(drop ? ptrs('drop') : [])]);

function loop(v: number, from: Code, to: Code, body: Code): Code {
  return [set(v, from), [0x02, 0x40, 0x03, 0x40], [I.ge_s(get(v), to), 0x0d, 1], body, set(v, I.add(get(v), I.c(1))), [0x0c, 0, 0x0b, 0x0b]];
}

/**
 * What every attention kernel starts with: one share per (batch, head) `s`; hs the head size, sc
 * its 1/sqrt, C34 the byte stride of a qkv row (`setup`); b and h of the current share (`head`).
 */
export function headBase(f: Fn) {
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, I.mul(p('B'), p('NH')), 1);
  const [hs, b, h, C34] = Array.from({ length: 4 }, () => f.i32());
  const sc = f.f32();
  const setup: Code = [
    s.code,
    set(hs, I.divU(p('C'), p('NH'))),
    set(sc, F.div(F.c(1), F.sqrt(F.fromI32(get(hs))))),
    set(C34, I.mul(p('C'), I.c(12))),
  ];
  const head: Code = [set(b, I.divU(get(s.lo), p('NH'))), set(h, I.sub(get(s.lo), I.mul(get(b), p('NH'))))];
  return { p, s, hs, b, h, sc, C34, setup, head };
}

/** Shared set-up: head size, scale and the pointer arithmetic for one (b, h, t). */
function frame(f: Fn) {
  const { p, s, hs, b, h, sc, C34, setup, head } = headBase(f);
  const [t, t2, qp, kp, vp, ap, op] = Array.from({ length: 7 }, () => f.i32());
  /** byte offset of row (b, tt) of the packed input, plus `part` (0 q, 1 k, 2 v) and the head. */
  const qkv = (tt: Code, part: number): Code =>
    I.add(
      I.add(p('inp'), I.mul(I.add(I.mul(get(b), p('T')), tt), get(C34))),
      I.shl(I.add(I.mul(p('C'), I.c(part)), I.mul(get(h), get(hs))), 2),
    );
  const bh = (body: Code): Code =>
    loop(s.lo, get(s.lo), get(s.hi), [head, body]);
  const attRow = (tt: Code, base: string): Code => I.add(p(base), I.shl(I.mul(I.add(I.mul(get(s.lo), p('T')), tt), p('T')), 2));
  const outRow = (tt: Code, base: string): Code =>
    I.add(p(base), I.shl(I.add(I.mul(I.add(I.mul(get(b), p('T')), tt), p('C')), I.mul(get(h), get(hs))), 2));
  return { p, s, hs, b, h, t, t2, qp, kp, vp, ap, op, sc, setup, qkv, bh, attRow, outRow };
}

const at = (base: number, off: number): Code => I.add(get(base), get(off));

export function attentionForward(relaxed: boolean, drop = false): Fn {
  const f = kernel('attentionForward', ptrs('out', 'att', 'inp'), drop);
  const x = frame(f);
  const [dot, mx, sum, inv, w] = [f.f32(), f.f32(), f.f32(), f.f32(), f.f32()];
  const [bp, dp] = [f.i32(), f.i32()];
  // the row that weighs v: the dropped probabilities (drop holds att times its multipliers), or att
  const wp = drop ? dp : x.ap;
  const hsv = get(x.hs);
  f.body = [
    x.setup,
    x.bh(
      loop(x.t, I.c(0), x.p('T'), [
        set(x.qp, x.qkv(get(x.t), 0)),
        set(x.ap, x.attRow(get(x.t), 'att')),
        set(mx, F.c(-Infinity)),
        loop(x.t2, I.c(0), I.add(get(x.t), I.c(1)), [
          set(x.kp, x.qkv(get(x.t2), 1)),
          reduce(f, I.c(0), hsv, relaxed, 'sum', dot, (L, off, acc) => L.fma(L.load(at(x.qp, off)), L.load(at(x.kp, off)), acc)),
          set(dot, F.mul(get(dot), get(x.sc))),
          F.store(I.add(get(x.ap), I.shl(get(x.t2), 2)), get(dot)),
          set(mx, F.max(get(mx), get(dot))),
        ]),
        reduce(f, I.c(0), I.add(get(x.t), I.c(1)), relaxed, 'sum', sum, (L, off, acc) => {
          const e = f.local(L.type);
          return [set(e, L.exp(L.sub(L.load(at(x.ap, off)), L.splat(get(mx))))), L.store(at(x.ap, off), get(e)), L.add(acc, get(e))];
        }),
        set(inv, F.div(F.c(1), get(sum))),
        elementwise(f, I.c(0), I.add(get(x.t), I.c(1)), relaxed, (L, off) =>
          L.store(at(x.ap, off), L.mul(L.load(at(x.ap, off)), L.splat(get(inv)))),
        ),
        elementwise(f, I.add(get(x.t), I.c(1)), x.p('T'), relaxed, (L, off) => L.store(at(x.ap, off), L.c(0))),
        drop
          ? [
              set(dp, x.attRow(get(x.t), 'drop')),
              elementwise(f, I.c(0), I.add(get(x.t), I.c(1)), relaxed, (L, off) => L.store(at(dp, off), L.mul(L.load(at(dp, off)), L.load(at(x.ap, off))))),
              elementwise(f, I.add(get(x.t), I.c(1)), x.p('T'), relaxed, (L, off) => L.store(at(dp, off), L.c(0))),
            ]
          : [],
        set(x.op, x.outRow(get(x.t), 'out')),
        elementwise(f, I.c(0), hsv, relaxed, (L, off) => L.store(at(x.op, off), L.c(0))),
        loop(x.t2, I.c(0), I.add(get(x.t), I.c(1)), [
          set(bp, x.qkv(get(x.t2), 2)),
          set(w, F.load(I.add(get(wp), I.shl(get(x.t2), 2)))),
          elementwise(f, I.c(0), hsv, relaxed, (L: Lanes, off) =>
            L.store(at(x.op, off), L.fma(L.splat(get(w)), L.load(at(bp, off)), L.load(at(x.op, off)))),
          ),
        ]),
      ]),
    ),
  ];
  return f;
}

/** With dropout, d(pre) = (d * d(d) - att * sum(d * d(d))) * scale for d the dropped att (see ref). */
export function attentionBackward(relaxed: boolean, drop = false): Fn {
  const f = kernel('attentionBackward', ptrs('dinp', 'scratch', 'dout', 'inp', 'att'), drop);
  const x = frame(f);
  const [dot, s, w, dpre] = [f.f32(), f.f32(), f.f32(), f.f32()];
  const [sp, dop, dq, dk, dv, dp] = [f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()];
  const wp = drop ? dp : x.ap;
  const at4 = (base: number): Code => F.load(I.add(get(base), I.shl(get(x.t2), 2)));
  const hsv = get(x.hs);
  // dinp is laid out like inp, so the same offsets serve both
  const d = (code: Code): Code => I.add(I.sub(code, x.p('inp')), x.p('dinp'));
  f.body = [
    x.setup,
    x.bh(
      loop(x.t, I.c(0), x.p('T'), [
        set(x.ap, x.attRow(get(x.t), 'att')),
        drop ? set(dp, x.attRow(get(x.t), 'drop')) : [],
        set(sp, x.attRow(get(x.t), 'scratch')),
        set(dop, x.outRow(get(x.t), 'dout')),
        set(dot, F.c(0)),
        loop(x.t2, I.c(0), I.add(get(x.t), I.c(1)), [
          set(x.vp, x.qkv(get(x.t2), 2)),
          set(dv, d(get(x.vp))),
          set(w, at4(wp)),
          reduce(f, I.c(0), hsv, relaxed, 'sum', s, (L, off, acc) => L.fma(L.load(at(x.vp, off)), L.load(at(dop, off)), acc)),
          elementwise(f, I.c(0), hsv, relaxed, (L, off) =>
            L.store(at(dv, off), L.fma(L.splat(get(w)), L.load(at(dop, off)), L.load(at(dv, off)))),
          ),
          F.store(I.add(get(sp), I.shl(get(x.t2), 2)), get(s)),
          set(dot, F.add(get(dot), F.mul(get(w), get(s)))),
        ]),
        set(x.qp, x.qkv(get(x.t), 0)),
        set(dq, d(get(x.qp))),
        loop(x.t2, I.c(0), I.add(get(x.t), I.c(1)), [
          set(
            dpre,
            F.mul(
              drop
                ? F.sub(F.mul(at4(dp), at4(sp)), F.mul(at4(x.ap), get(dot)))
                : F.mul(at4(x.ap), F.sub(at4(sp), get(dot))),
              get(x.sc),
            ),
          ),
          set(x.kp, x.qkv(get(x.t2), 1)),
          set(dk, d(get(x.kp))),
          elementwise(f, I.c(0), hsv, relaxed, (L, off) => [
            L.store(at(dq, off), L.fma(L.splat(get(dpre)), L.load(at(x.kp, off)), L.load(at(dq, off)))),
            L.store(at(dk, off), L.fma(L.splat(get(dpre)), L.load(at(x.qp, off)), L.load(at(dk, off)))),
          ]),
        ]),
      ]),
    ),
  ];
  return f;
}
