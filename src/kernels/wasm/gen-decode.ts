import { type Code, Fn, F, I, V, get, ifThen, set } from './asm.js';
import { elementwise, makeLanes, reduce, split } from './lanes.js';

/**
 * The two kernels of a decode step, where every matrix has one (or a few) rows to multiply and
 * the time goes into reading the weights once:
 *  - matvec: out (N, OC) = inp (N, C) W (OC, C)^T + bias for small N, straight from W's rows
 *    (no packing: packing would read and write all of W for a single row). Four outputs at a time
 *    against two input rows, so each 4 x C block of W is read from memory once and from L1 for the
 *    other rows. Threads split the outputs.
 *  - attentionDecode: one query against L cached keys and values; threads split the heads.
 */

type P = [string, 'i32'][];
const ptrs = (...names: string[]): P => names.map((n) => [n, 'i32']);

function loop(v: number, from: Code, to: Code, step: number, body: Code): Code {
  return [set(v, from), [0x02, 0x40, 0x03, 0x40], [I.ge_s(get(v), to), 0x0d, 1], body, set(v, I.add(get(v), I.c(step))), [0x0c, 0, 0x0b, 0x0b]];
}

/** An f32-valued if/else expression (both arms are evaluated only when taken). */
const ifF32 = (cond: Code, a: Code, b: Code): Code => [cond, 0x04, 0x7d, a, 0x05, b, 0x0b];

/** Rows of inp handled together, outputs per block (accumulators: ROWS x OUTS). */
const ROWS = 2;
const OUTS = 4;

export function matvec(relaxed: boolean): Fn {
  const f = new Fn('matvec', [['tid', 'i32'], ['nth', 'i32'], ...ptrs('out', 'inp', 'W', 'bias', 'N', 'C', 'OC')]);
  const p = (n: string): Code => get(f.p[n]!);
  const L = makeLanes(f, 4, relaxed);
  const s = split(f, p('OC'), OUTS);
  const [o0, n, c, cEnd, cVec, ldw] = [f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()];
  const wr = Array.from({ length: OUTS }, () => f.i32());
  const xr = Array.from({ length: ROWS }, () => f.i32());
  const acc = Array.from({ length: ROWS * OUTS }, () => f.v128());
  const xv = Array.from({ length: ROWS }, () => f.v128());
  const wv = f.v128();
  const tmp = f.v128();
  const sums = Array.from({ length: ROWS * OUTS }, () => f.f32());
  const xs = Array.from({ length: ROWS }, () => f.f32());
  const ws = f.f32();

  const vecStep: Code = [
    xr.map((x, r) => set(xv[r]!, V.load(I.add(get(x), get(c))))),
    wr.map((w, j) => [
      set(wv, V.load(I.add(get(w), get(c)))),
      xr.map((_, r) => set(acc[r * OUTS + j]!, L.fma(get(xv[r]!), get(wv), get(acc[r * OUTS + j]!)))),
    ]),
  ];
  const scalarStep: Code = [
    xr.map((x, r) => set(xs[r]!, F.load(I.add(get(x), get(c))))),
    wr.map((w, j) => [
      set(ws, F.load(I.add(get(w), get(c)))),
      xr.map((_, r) => set(sums[r * OUTS + j]!, F.add(get(sums[r * OUTS + j]!), F.mul(get(xs[r]!), get(ws))))),
    ]),
  ];
  const store: Code = xr.map((_, r) =>
    wr.map((_, j) =>
      ifThen(
        I.and(I.lt_s(I.add(get(n), I.c(r)), p('N')), I.lt_s(I.add(get(o0), I.c(j)), p('OC'))),
        F.store(
          I.add(p('out'), I.shl(I.add(I.mul(I.add(get(n), I.c(r)), p('OC')), I.add(get(o0), I.c(j))), 2)),
          F.add(get(sums[r * OUTS + j]!), ifF32(p('bias'), F.load(I.add(p('bias'), I.shl(I.add(get(o0), I.c(j)), 2))), F.c(0))),
        ),
      ),
    ),
  );
  f.body = [
    s.code,
    set(ldw, I.shl(p('C'), 2)),
    set(cEnd, I.shl(p('C'), 2)),
    set(cVec, I.shl(I.and(p('C'), I.c(~3)), 2)),
    loop(o0, get(s.lo), get(s.hi), OUTS, [
      // rows of W past OC repeat the last one (computed, never stored)
      wr.map((w, j) => set(w, I.add(p('W'), I.mul(I.min(I.add(get(o0), I.c(j)), I.sub(p('OC'), I.c(1))), get(ldw))))),
      loop(n, I.c(0), p('N'), ROWS, [
        xr.map((x, r) => set(x, I.add(p('inp'), I.mul(I.min(I.add(get(n), I.c(r)), I.sub(p('N'), I.c(1))), get(ldw))))),
        acc.map((a) => set(a, V.splat(F.c(0)))),
        loop(c, I.c(0), get(cVec), 16, vecStep),
        acc.map((a, i) => set(sums[i]!, V.hsum(get(a), tmp))),
        loop(c, get(cVec), get(cEnd), 4, scalarStep),
        store,
      ]),
    ]),
  ];
  return f;
}

export function attentionDecode(relaxed: boolean): Fn {
  const f = new Fn('attentionDecode', [['tid', 'i32'], ['nth', 'i32'], ...ptrs('out', 'att', 'q', 'k', 'v', 'L', 'C', 'NH')]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('NH'), 1);
  const [hs, h, t2, qp, kp, vp, ap, op, C4] = Array.from({ length: 9 }, () => f.i32());
  const [sc, dot, mx, sum, inv, w] = Array.from({ length: 6 }, () => f.f32());
  const at = (base: number, off: number): Code => I.add(get(base), get(off));
  const hsv = get(hs);
  f.body = [
    s.code,
    set(hs, I.divU(p('C'), p('NH'))),
    set(sc, F.div(F.c(1), F.sqrt(F.fromI32(get(hs))))),
    set(C4, I.shl(p('C'), 2)),
    loop(h, get(s.lo), get(s.hi), 1, [
      set(qp, I.add(p('q'), I.shl(I.mul(get(h), get(hs)), 2))),
      set(op, I.add(p('out'), I.shl(I.mul(get(h), get(hs)), 2))),
      set(ap, I.add(p('att'), I.shl(I.mul(get(h), p('L')), 2))),
      set(kp, I.add(p('k'), I.shl(I.mul(get(h), get(hs)), 2))),
      set(mx, F.c(-Infinity)),
      loop(t2, I.c(0), p('L'), 1, [
        reduce(f, I.c(0), hsv, relaxed, 'sum', dot, (Ln, off, acc) => Ln.fma(Ln.load(at(qp, off)), Ln.load(at(kp, off)), acc)),
        set(dot, F.mul(get(dot), get(sc))),
        F.store(I.add(get(ap), I.shl(get(t2), 2)), get(dot)),
        set(mx, F.max(get(mx), get(dot))),
        set(kp, I.add(get(kp), get(C4))),
      ]),
      reduce(f, I.c(0), p('L'), relaxed, 'sum', sum, (Ln, off, acc) => {
        const e = f.local(Ln.type);
        return [set(e, Ln.exp(Ln.sub(Ln.load(at(ap, off)), Ln.splat(get(mx))))), Ln.store(at(ap, off), get(e)), Ln.add(acc, get(e))];
      }),
      set(inv, F.div(F.c(1), get(sum))),
      elementwise(f, I.c(0), p('L'), relaxed, (Ln, off) => Ln.store(at(ap, off), Ln.mul(Ln.load(at(ap, off)), Ln.splat(get(inv))))),
      elementwise(f, I.c(0), hsv, relaxed, (Ln, off) => Ln.store(at(op, off), Ln.c(0))),
      set(vp, I.add(p('v'), I.shl(I.mul(get(h), get(hs)), 2))),
      loop(t2, I.c(0), p('L'), 1, [
        set(w, F.load(I.add(get(ap), I.shl(get(t2), 2)))),
        elementwise(f, I.c(0), hsv, relaxed, (Ln, off) => Ln.store(at(op, off), Ln.fma(Ln.splat(get(w)), Ln.load(at(vp, off)), Ln.load(at(op, off))))),
        set(vp, I.add(get(vp), get(C4))),
      ]),
    ]),
  ];
  return f;
}
