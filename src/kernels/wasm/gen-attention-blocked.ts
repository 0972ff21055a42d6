import { type Code, Fn, F, I, call, get, set } from './asm.js';
import { headBase } from './gen-attention.js';
import { elementwise, reduce } from './lanes.js';

/**
 * Causal attention as matrix products, per (batch, head): scores S = Q K^T and out = att V run
 * on the register-blocked gemm kernels (K^T packed into the thread's own scratch), in blocks of
 * 16 query rows that stop at the diagonal, so the causal half is (mostly) skipped. The row-by-row
 * kernels in gen-attention.ts remain for heads too large for the per-chunk scratch.
 */

const ROWS = 16;

function loop(v: number, from: Code, to: Code, step: Code, body: Code): Code {
  return [set(v, from), [0x02, 0x40, 0x03, 0x40], [I.ge_s(get(v), to), 0x0d, 1], body, set(v, I.add(get(v), step)), [0x0c, 0, 0x0b, 0x0b]];
}

/**
 * The addressing both passes share: one share per (batch, head); hs the head size, sc its
 * 1/sqrt, C34 and T4 row strides in bytes of qkv and att, pk this thread's panel space (from the
 * `space` parameter); per head b, h, q0 (this head's q in inp) and a0 (its att block).
 */
function perHead(f: Fn, space: string) {
  const base = headBase(f);
  const { p, s, hs, b, h, C34 } = base;
  const [q0, pk, a0, T4] = Array.from({ length: 4 }, () => f.i32());
  const setup: Code = [base.setup, set(T4, I.shl(p('T'), 2)), set(pk, I.add(p(space), I.mul(p('tid'), p('chunkBytes'))))];
  const head: Code = [
    base.head,
    set(q0, I.add(p('inp'), I.add(I.mul(I.mul(get(b), p('T')), get(C34)), I.shl(I.mul(get(h), get(hs)), 2)))),
    set(a0, I.add(p('att'), I.mul(I.mul(get(s.lo), p('T')), get(T4)))),
  ];
  return { p, s, hs, b, h, q0, pk, a0, C34, T4, sc: base.sc, setup, head };
}

/**
 * `drop` makes the dropout variant (one more parameter, `drop`, a (B, NH, T, T) buffer of
 * multipliers that leaves holding att times them): the row's dropped probabilities weigh V.
 */
export function attentionForwardBlocked(relaxed: boolean, callOf: (name: string) => number, drop = false): Fn {
  const names = ['out', 'att', 'inp', 'B', 'T', 'C', 'NH', 'scratch', 'chunkBytes', ...(drop ? ['drop'] : [])];
  const f = new Fn(drop ? 'attentionForwardBlockedDrop' : 'attentionForwardBlocked', [['tid', 'i32'], ['nth', 'i32'], ...names.map((n): [string, 'i32'] => [n, 'i32'])]);
  const { p, s, hs, b, h, q0, pk, a0, C34, T4, sc, setup, head } = perHead(f, 'scratch');
  const [i0, t, ar, m, n, d0, dr] = Array.from({ length: 7 }, () => f.i32());
  // the (T, T) block that weighs V: the dropped probabilities, or att itself
  const w0 = drop ? d0 : a0;
  const [mx, sum, inv] = [f.f32(), f.f32(), f.f32()];
  const one = I.c(1);
  f.body = [
    setup,
    loop(s.lo, get(s.lo), get(s.hi), one, [
      head,
      drop ? set(d0, I.add(p('drop'), I.sub(get(a0), p('att')))) : [],
      // K^T into 8-key panels, then S = Q K^T block by block up to the diagonal
      call(callOf('pack'), I.c(0), one, I.add(get(q0), I.shl(p('C'), 2)), get(C34), p('T'), I.c(0), get(hs), get(pk)),
      loop(i0, I.c(0), p('T'), I.c(ROWS), [
        set(m, I.min(I.c(ROWS), I.sub(p('T'), get(i0)))),
        set(n, I.add(get(i0), get(m))),
        call(callOf('gemmFwd'), I.c(0), one, get(m), get(n), get(hs), I.add(get(q0), I.mul(get(i0), get(C34))), get(C34), I.c(4),
          get(pk), I.c(32), I.shl(get(hs), 5), I.add(get(a0), I.mul(get(i0), get(T4))), get(T4), I.c(0), I.c(0)),
      ]),
      // softmax of each row's first t+1 scores (scaled), zeros after them
      loop(t, I.c(0), p('T'), one, [
        set(ar, I.add(get(a0), I.mul(get(t), get(T4)))),
        reduce(f, I.c(0), I.add(get(t), one), relaxed, 'max', mx, (L, off, acc) => L.max(acc, L.load(I.add(get(ar), get(off))))),
        reduce(f, I.c(0), I.add(get(t), one), relaxed, 'sum', sum, (L, off, acc) => {
          const e = f.local(L.type);
          const x = I.add(get(ar), get(off));
          return [set(e, L.exp(L.mul(L.sub(L.load(x), L.splat(get(mx))), L.splat(get(sc))))), L.store(x, get(e)), L.add(acc, get(e))];
        }),
        set(inv, F.div(F.c(1), get(sum))),
        elementwise(f, I.c(0), I.add(get(t), one), relaxed, (L, off) => {
          const x = I.add(get(ar), get(off));
          return L.store(x, L.mul(L.load(x), L.splat(get(inv))));
        }),
        elementwise(f, I.add(get(t), one), p('T'), relaxed, (L, off) => L.store(I.add(get(ar), get(off)), L.c(0))),
        drop
          ? [
              set(dr, I.add(get(d0), I.mul(get(t), get(T4)))),
              elementwise(f, I.c(0), I.add(get(t), one), relaxed, (L, off) => {
                const x = I.add(get(dr), get(off));
                return L.store(x, L.mul(L.load(x), L.load(I.add(get(ar), get(off)))));
              }),
              elementwise(f, I.add(get(t), one), p('T'), relaxed, (L, off) => L.store(I.add(get(dr), get(off)), L.c(0))),
            ]
          : [],
      ]),
      // out rows = att V (or the dropped att V), again only up to the diagonal
      loop(i0, I.c(0), p('T'), I.c(ROWS), [
        set(m, I.min(I.c(ROWS), I.sub(p('T'), get(i0)))),
        call(callOf('gemmDinp'), I.c(0), one, get(m), get(hs), I.add(get(i0), get(m)), I.add(get(w0), I.mul(get(i0), get(T4))), get(T4), I.c(4),
          I.add(get(q0), I.shl(p('C'), 3)), get(C34), I.c(32),
          I.add(p('out'), I.shl(I.add(I.mul(I.add(I.mul(get(b), p('T')), get(i0)), p('C')), I.mul(get(h), get(hs))), 2)), I.shl(p('C'), 2), I.c(0), I.c(0)),
      ]),
    ]),
  ];
  return f;
}

/**
 * The backward pass, per (batch, head), as five products on the same kernels:
 * dV += att^T dout, datt = dout V^T, the softmax backward row by row (into scratch, as dpre),
 * dQ += dpre K and dK += dpre^T Q. Row blocks stop at the diagonal; products over t (the
 * transposed ones) start at it.
 */
export function attentionBackwardBlocked(relaxed: boolean, callOf: (name: string) => number, drop = false): Fn {
  const names = ['dinp', 'scratch', 'dout', 'inp', 'att', 'B', 'T', 'C', 'NH', 'pack', 'chunkBytes', ...(drop ? ['drop'] : [])];
  const f = new Fn(drop ? 'attentionBackwardBlockedDrop' : 'attentionBackwardBlocked', [['tid', 'i32'], ['nth', 'i32'], ...names.map((n): [string, 'i32'] => [n, 'i32'])]);
  const { p, s, hs, b, h, q0, pk, a0, C34, T4, sc, setup, head } = perHead(f, 'pack');
  const [dq0, do0, s0, i0, t, C4, ar, sr, m, d0, dr] = Array.from({ length: 11 }, () => f.i32());
  // the block the forward pass applied to V: the dropped probabilities, or att itself
  const w0 = drop ? d0 : a0;
  const dot = f.f32();
  const one = I.c(1);
  const zero = I.c(0);
  const blocks = (body: Code): Code => loop(i0, zero, p('T'), I.c(ROWS), [set(m, I.min(I.c(ROWS), I.sub(p('T'), get(i0)))), body]);
  const rowOf = (base: number, stride: number): Code => I.add(get(base), I.mul(get(i0), get(stride)));
  const diag = (base: number): Code => I.add(I.add(get(base), I.mul(get(i0), get(T4))), I.shl(get(i0), 2));
  f.body = [
    setup,
    set(C4, I.shl(p('C'), 2)),
    loop(s.lo, get(s.lo), get(s.hi), one, [
      head,
      set(dq0, I.add(I.sub(get(q0), p('inp')), p('dinp'))),
      set(do0, I.add(p('dout'), I.shl(I.add(I.mul(I.mul(get(b), p('T')), p('C')), I.mul(get(h), get(hs))), 2))),
      set(s0, I.add(p('scratch'), I.mul(I.mul(get(s.lo), p('T')), get(T4)))),
      drop ? set(d0, I.add(p('drop'), I.sub(get(a0), p('att')))) : [],
      // dV += att^T dout: rows t2 of a block take t from the diagonal on
      call(callOf('packRows8'), zero, one, get(do0), get(C4), get(hs), zero, p('T'), get(pk), zero),
      blocks(
        call(callOf('gemmDw'), zero, one, get(m), get(hs), I.sub(p('T'), get(i0)), diag(w0), I.c(4), get(T4),
          I.add(get(pk), I.shl(get(i0), 5)), I.c(32), I.shl(p('T'), 5), I.add(rowOf(dq0, C34), I.shl(p('C'), 3)), get(C34), zero, one),
      ),
      // datt = dout V^T into scratch
      call(callOf('pack'), zero, one, I.add(get(q0), I.shl(p('C'), 3)), get(C34), p('T'), zero, get(hs), get(pk)),
      blocks(
        call(callOf('gemmFwd'), zero, one, get(m), I.add(get(i0), get(m)), get(hs), rowOf(do0, C4), get(C4), I.c(4),
          get(pk), I.c(32), I.shl(get(hs), 5), rowOf(s0, T4), get(T4), zero, zero),
      ),
      // through the softmax: dpre = att (datt - sum(att datt)) / sqrt(hs), zero after the diagonal;
      // with dropout (d the dropped att, datt its gradient) dpre = (d datt - att sum(d datt)) / sqrt(hs)
      loop(t, zero, p('T'), one, [
        set(ar, I.add(get(a0), I.mul(get(t), get(T4)))),
        set(sr, I.add(get(s0), I.mul(get(t), get(T4)))),
        drop ? set(dr, I.add(get(d0), I.mul(get(t), get(T4)))) : [],
        reduce(f, zero, I.add(get(t), one), relaxed, 'sum', dot, (L, off, acc) =>
          L.fma(L.load(I.add(get(drop ? dr : ar), get(off))), L.load(I.add(get(sr), get(off))), acc),
        ),
        elementwise(f, zero, I.add(get(t), one), relaxed, (L, off) => {
          const x = I.add(get(sr), get(off));
          const a = L.load(I.add(get(ar), get(off)));
          const g = drop
            ? L.sub(L.mul(L.load(I.add(get(dr), get(off))), L.load(x)), L.mul(a, L.splat(get(dot))))
            : L.mul(a, L.sub(L.load(x), L.splat(get(dot))));
          return L.store(x, L.mul(g, L.splat(get(sc))));
        }),
        elementwise(f, I.add(get(t), one), p('T'), relaxed, (L, off) => L.store(I.add(get(sr), get(off)), L.c(0))),
      ]),
      // dQ += dpre K
      blocks(
        call(callOf('gemmDinp'), zero, one, get(m), get(hs), I.add(get(i0), get(m)), rowOf(s0, T4), get(T4), I.c(4),
          I.add(get(q0), get(C4)), get(C34), I.c(32), rowOf(dq0, C34), get(C34), zero, one),
      ),
      // dK += dpre^T Q
      call(callOf('packRows8'), zero, one, get(q0), get(C34), get(hs), zero, p('T'), get(pk), zero),
      blocks(
        call(callOf('gemmDw'), zero, one, get(m), get(hs), I.sub(p('T'), get(i0)), diag(s0), I.c(4), get(T4),
          I.add(get(pk), I.shl(get(i0), 5)), I.c(32), I.shl(p('T'), 5), I.add(rowOf(dq0, C34), get(C4)), get(C34), zero, one),
      ),
    ]),
  ];
  return f;
}
