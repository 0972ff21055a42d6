import { type Code, Fn, D, F, I, get, ifThen, set } from './asm.js';
import { elementwise, reduce, split } from './lanes.js';

/**
 * Row-wise kernels: layer norm and softmax + cross-entropy. Threads split the rows; the layer-norm
 * backward also splits the columns for dweight/dbias in the same dispatch (those sums run over
 * all rows, and they read only the inputs, so no barrier is needed between the two halves).
 */

type P = [string, 'i32' | 'f32'][];
const ptrs = (...names: string[]): P => names.map((n) => [n, 'i32']);
const kernel = (name: string, params: P): Fn => new Fn(name, [['tid', 'i32'], ['nth', 'i32'], ...params]);

function rowLoop(f: Fn, lo: number, hi: number, body: Code): Code {
  return [[0x02, 0x40, 0x03, 0x40], [I.ge_s(get(lo), get(hi)), 0x0d, 1], body, set(lo, I.add(get(lo), I.c(1))), [0x0c, 0, 0x0b, 0x0b]];
}

/**
 * Mean and variance through the shifted data x - x[0]: exact for inputs with a large common
 * offset, where a float32 running sum of x would lose the small spread.
 */
export function layernormForward(relaxed: boolean): Fn {
  const f = kernel('layernormForward', [...ptrs('out', 'mean', 'rstd', 'inp', 'weight', 'bias'), ['N', 'i32'], ['C', 'i32'], ['eps', 'f32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('N'), 1);
  const [row, x0, sum, ms, vr, rs] = [f.i32(), f.f32(), f.f32(), f.f32(), f.f32(), f.f32()];
  const out = f.i32();
  const x = (L: { load(a: Code): Code }, off: number): Code => L.load(I.add(get(row), get(off)));
  const C = F.fromI32(p('C'));
  f.body = [
    s.code,
    rowLoop(f, s.lo, s.hi, [
      set(row, I.add(p('inp'), I.mul(get(s.lo), I.shl(p('C'), 2)))),
      set(out, I.add(p('out'), I.mul(get(s.lo), I.shl(p('C'), 2)))),
      set(x0, F.load(get(row))),
      reduce(f, I.c(0), p('C'), relaxed, 'sum', sum, (L, off, acc) => L.add(acc, L.sub(x(L, off), L.splat(get(x0))))),
      set(ms, F.div(get(sum), C)),
      reduce(f, I.c(0), p('C'), relaxed, 'sum', vr, (L, off, acc) => {
        const d = L.sub(L.sub(x(L, off), L.splat(get(x0))), L.splat(get(ms)));
        return L.fma(d, d, acc);
      }),
      set(rs, F.div(F.c(1), F.sqrt(F.add(F.div(get(vr), C), p('eps'))))),
      F.store(I.add(p('mean'), I.shl(get(s.lo), 2)), F.add(get(x0), get(ms))),
      F.store(I.add(p('rstd'), I.shl(get(s.lo), 2)), get(rs)),
      elementwise(f, I.c(0), p('C'), relaxed, (L, off) => {
        const n = L.mul(L.sub(L.sub(x(L, off), L.splat(get(x0))), L.splat(get(ms))), L.splat(get(rs)));
        const w = L.load(I.add(p('weight'), get(off)));
        const b = L.load(I.add(p('bias'), get(off)));
        const o = I.add(get(out), get(off));
        return ifThen(p('bias'), L.store(o, L.fma(n, w, b)), L.store(o, L.mul(n, w)));
      }),
    ]),
  ];
  return f;
}

export function layernormBackward(relaxed: boolean): Fn {
  const f = kernel('layernormBackward', [...ptrs('dinp', 'dweight', 'dbias', 'dout', 'inp', 'weight', 'mean', 'rstd'), ['N', 'i32'], ['C', 'i32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const rows = split(f, p('N'), 1);
  const cols = split(f, p('C'), 4);
  const [xr, dr, ir, m, r, dm, dnm, n] = [f.i32(), f.i32(), f.i32(), f.f32(), f.f32(), f.f32(), f.f32(), f.i32()];
  const C = F.fromI32(p('C'));
  const C4 = I.shl(p('C'), 2);
  type L = import('./lanes.js').Lanes;
  const norm = (L: L, off: number): Code => L.mul(L.sub(L.load(I.add(get(xr), get(off))), L.splat(get(m))), L.splat(get(r)));
  const dn = (L: L, off: number): Code => L.mul(L.load(I.add(p('weight'), get(off))), L.load(I.add(get(dr), get(off))));
  const loadRow = (i: Code): Code => [
    set(xr, I.add(p('inp'), I.mul(i, C4))),
    set(dr, I.add(p('dout'), I.mul(i, C4))),
    set(m, F.load(I.add(p('mean'), I.shl(i, 2)))),
    set(r, F.load(I.add(p('rstd'), I.shl(i, 2)))),
  ];
  f.body = [
    rows.code,
    cols.code,
    rowLoop(f, rows.lo, rows.hi, [
      loadRow(get(rows.lo)),
      set(ir, I.add(p('dinp'), I.mul(get(rows.lo), C4))),
      reduce(f, I.c(0), p('C'), relaxed, 'sum', dm, (L, off, acc) => L.add(acc, dn(L, off))),
      reduce(f, I.c(0), p('C'), relaxed, 'sum', dnm, (L, off, acc) => L.fma(dn(L, off), norm(L, off), acc)),
      set(dm, F.div(get(dm), C)),
      set(dnm, F.div(get(dnm), C)),
      elementwise(f, I.c(0), p('C'), relaxed, (L, off) => {
        const a = I.add(get(ir), get(off));
        const g = L.sub(L.sub(dn(L, off), L.splat(get(dm))), L.mul(norm(L, off), L.splat(get(dnm))));
        return L.store(a, L.fma(g, L.splat(get(r)), L.load(a)));
      }),
    ]),
    elementwise(f, get(cols.lo), get(cols.hi), relaxed, (L, off) => {
      const aw = f.local(L.type);
      const ab = f.local(L.type);
      const d = f.local(L.type);
      const w = I.add(p('dweight'), get(off));
      const b = I.add(p('dbias'), get(off));
      return [
        set(aw, L.c(0)),
        set(ab, L.c(0)),
        set(n, I.c(0)),
        rowLoop(f, n, f.p.N!, [
          loadRow(get(n)),
          set(d, L.load(I.add(get(dr), get(off)))),
          set(aw, L.fma(norm(L, off), get(d), get(aw))),
          set(ab, L.add(get(ab), get(d))),
        ]),
        L.store(w, L.add(L.load(w), get(aw))),
        ifThen(p('dbias'), L.store(b, L.add(L.load(b), get(ab)))),
      ];
    }),
  ];
  return f;
}

/** Softmax through max-subtraction, then -log p(target) = log(sum) + max - logit[target]. */
export function crossEntropyForward(relaxed: boolean, logIndex: number): Fn {
  const f = kernel('crossEntropyForward', [...ptrs('losses', 'probs', 'logits', 'targets'), ['BT', 'i32'], ['V', 'i32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('BT'), 1);
  const [lr, pr, mx, sum, inv, tgt] = [f.i32(), f.i32(), f.f32(), f.f32(), f.f32(), f.i32()];
  const V4 = I.shl(p('V'), 2);
  f.body = [
    s.code,
    rowLoop(f, s.lo, s.hi, [
      set(lr, I.add(p('logits'), I.mul(get(s.lo), V4))),
      set(pr, I.add(p('probs'), I.mul(get(s.lo), V4))),
      reduce(f, I.c(0), p('V'), relaxed, 'max', mx, (L, off, acc) => L.max(acc, L.load(I.add(get(lr), get(off))))),
      reduce(f, I.c(0), p('V'), relaxed, 'sum', sum, (L, off, acc) => {
        const e = f.local(L.type);
        return [
          set(e, L.exp(L.sub(L.load(I.add(get(lr), get(off))), L.splat(get(mx))))),
          L.store(I.add(get(pr), get(off)), get(e)),
          L.add(acc, get(e)),
        ];
      }),
      set(inv, F.div(F.c(1), get(sum))),
      elementwise(f, I.c(0), p('V'), relaxed, (L, off) => {
        const a = I.add(get(pr), get(off));
        return L.store(a, L.mul(L.load(a), L.splat(get(inv))));
      }),
      set(tgt, I.load(I.add(p('targets'), I.shl(get(s.lo), 2)))),
      F.store(
        I.add(p('losses'), I.shl(get(s.lo), 2)),
        [
          I.lt_s(get(tgt), I.c(0)),
          0x04, 0x7d,
          F.c(0),
          0x05,
          D.toF32(D.add([F.toF64(get(sum)), 0x10, logIndex], F.toF64(F.sub(get(mx), F.load(I.add(get(lr), I.shl(get(tgt), 2))))))),
          0x0b,
        ],
      ),
    ]),
  ];
  return f;
}

export function crossEntropyBackward(relaxed: boolean): Fn {
  const f = kernel('crossEntropyBackward', [...ptrs('dlogits', 'probs', 'targets'), ['scale', 'f32'], ['BT', 'i32'], ['V', 'i32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('BT'), 1);
  const [dr, pr, tgt] = [f.i32(), f.i32(), f.i32()];
  const V4 = I.shl(p('V'), 2);
  f.body = [
    s.code,
    rowLoop(f, s.lo, s.hi, [
      set(tgt, I.load(I.add(p('targets'), I.shl(get(s.lo), 2)))),
      ifThen(I.ge_s(get(tgt), I.c(0)), [
        set(dr, I.add(p('dlogits'), I.mul(get(s.lo), V4))),
        set(pr, I.add(p('probs'), I.mul(get(s.lo), V4))),
        elementwise(f, I.c(0), p('V'), relaxed, (L, off) => {
          const a = I.add(get(dr), get(off));
          return L.store(a, L.fma(L.splat(p('scale')), L.load(I.add(get(pr), get(off))), L.load(a)));
        }),
        F.store(I.add(get(dr), I.shl(get(tgt), 2)), F.sub(F.load(I.add(get(dr), I.shl(get(tgt), 2))), p('scale'))),
      ]),
    ]),
  ];
  return f;
}
