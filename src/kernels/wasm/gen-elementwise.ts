import { type Code, Fn, D, F, I, V, get, set } from './asm.js';
import { type Lanes, elementwise, split } from './lanes.js';

/**
 * Element-wise kernels: GELU, residual, AdamW, scale, sum of squares, and the embedding (encoder).
 * Every kernel takes (tid, nth, ...) and does share tid of nth (the pool hands the shares, its
 * "chunks", to whichever thread claims them first); pointers are byte offsets into the shared
 * memory. Shares are whole multiples of 4 elements, so only the last one runs a scalar tail.
 */

type P = [string, 'i32' | 'f32'][];
const ptrs = (...names: string[]): P => names.map((n) => [n, 'i32']);
const kernel = (name: string, params: P): Fn => new Fn(name, [['tid', 'i32'], ['nth', 'i32'], ...params]);
const at = (f: Fn, p: string, off: number): Code => I.add(get(f.p[p]!), get(off));

const GELU_K = Math.sqrt(2 / Math.PI);

/**
 * A kernel over elements [0, N): this thread's share, 4-aligned, runs `body` on f32x4 lanes, the
 * last share's tail on scalar lanes. `body` gets the Fn to declare locals and read parameters.
 */
function mapKernel(name: string, params: P, relaxed: boolean, body: (f: Fn) => (L: Lanes, off: number) => Code): Fn {
  const f = kernel(name, params);
  const s = split(f, get(f.p.N!), 4);
  f.body = [s.code, elementwise(f, get(s.lo), get(s.hi), relaxed, body(f))];
  return f;
}

export function geluForward(relaxed: boolean): Fn {
  return mapKernel('geluForward', [...ptrs('out', 'inp'), ['N', 'i32']], relaxed, (f) => (L, off) => {
    const x = f.local(L.type);
    const op = f.local(L.type);
    const s2 = f.local(L.type);
    const u = L.mul(L.c(GELU_K), L.fma(L.mul(L.c(0.044715), get(x)), L.mul(get(x), get(x)), get(x)));
    return [
      set(x, L.load(at(f, 'inp', off))),
      L.tanhParts(u, op, s2),
      L.store(at(f, 'out', off), L.mul(L.mul(L.c(0.5), get(x)), get(op))),
    ];
  });
}

export function geluBackward(relaxed: boolean): Fn {
  return mapKernel('geluBackward', [...ptrs('dinp', 'inp', 'dout'), ['N', 'i32']], relaxed, (f) => (L, off) => {
    const x = f.local(L.type);
    const op = f.local(L.type);
    const s2 = f.local(L.type);
    const x2 = L.mul(get(x), get(x));
    const u = L.mul(L.c(GELU_K), L.fma(L.mul(L.c(0.044715), get(x)), x2, get(x)));
    const du = L.mul(L.c(GELU_K), L.fma(L.c(3 * 0.044715), x2, L.c(1)));
    const g = L.add(L.mul(L.c(0.5), get(op)), L.mul(L.mul(L.mul(L.c(0.5), get(x)), get(s2)), du));
    const d = at(f, 'dinp', off);
    return [
      set(x, L.load(at(f, 'inp', off))),
      L.tanhParts(u, op, s2),
      L.store(d, L.fma(g, L.load(at(f, 'dout', off)), L.load(d))),
    ];
  });
}

export function residualForward(relaxed: boolean): Fn {
  return mapKernel('residualForward', [...ptrs('out', 'inp1', 'inp2'), ['N', 'i32']], relaxed, (f) => (L, off) =>
    L.store(at(f, 'out', off), L.add(L.load(at(f, 'inp1', off)), L.load(at(f, 'inp2', off)))));
}

export function residualBackward(relaxed: boolean): Fn {
  return mapKernel('residualBackward', [...ptrs('dinp1', 'dinp2', 'dout'), ['N', 'i32']], relaxed, (f) => (L, off) => {
    const d = f.local(L.type);
    const a = at(f, 'dinp1', off);
    const b = at(f, 'dinp2', off);
    return [set(d, L.load(at(f, 'dout', off))), L.store(a, L.add(L.load(a), get(d))), L.store(b, L.add(L.load(b), get(d)))];
  });
}

export function scale(relaxed: boolean): Fn {
  return mapKernel('scale', [...ptrs('inout'), ['N', 'i32'], ['s', 'f32']], relaxed, (f) => (L, off) =>
    L.store(at(f, 'inout', off), L.mul(L.load(at(f, 'inout', off)), L.splat(get(f.p.s!)))));
}

/**
 * AdamW with the step-dependent constants folded in by the caller: decay = 1 - lr * weightDecay,
 * a = lr / (1 - beta1^t), c2 = 1 / (1 - beta2^t).
 */
export function adamw(relaxed: boolean): Fn {
  return mapKernel('adamw', [
    ...ptrs('params', 'grads', 'm', 'v'),
    ['N', 'i32'],
    ['beta1', 'f32'],
    ['beta2', 'f32'],
    ['eps', 'f32'],
    ['decay', 'f32'],
    ['a', 'f32'],
    ['c2', 'f32'],
  ], relaxed, (f) => {
    const k = (n: string): Code => get(f.p[n]!);
    return (L, off) => {
      const g = f.local(L.type);
      const mi = f.local(L.type);
      const vi = f.local(L.type);
      const pm = at(f, 'm', off);
      const pv = at(f, 'v', off);
      const pp = at(f, 'params', off);
      const one = L.c(1);
      return [
        set(g, L.load(at(f, 'grads', off))),
        set(mi, L.add(L.mul(L.splat(k('beta1')), L.load(pm)), L.mul(L.sub(one, L.splat(k('beta1'))), get(g)))),
        set(vi, L.add(L.mul(L.splat(k('beta2')), L.load(pv)), L.mul(L.mul(L.sub(one, L.splat(k('beta2'))), get(g)), get(g)))),
        L.store(pm, get(mi)),
        L.store(pv, get(vi)),
        L.store(
          pp,
          L.sub(
            L.mul(L.load(pp), L.splat(k('decay'))),
            L.div(L.mul(L.splat(k('a')), get(mi)), L.add(L.sqrt(L.mul(get(vi), L.splat(k('c2')))), L.splat(k('eps')))),
          ),
        ),
      ];
    };
  });
}

/** Sum of squares in float64 (exact products of float32 values); writes thread tid's part to part[tid]. */
export function sumSquares(): Fn {
  const f = kernel('sumSquares', [...ptrs('inp'), ['N', 'i32'], ['part', 'i32']]);
  const s = split(f, get(f.p.N!), 4);
  const acc = f.v128();
  const x = f.v128();
  const h = f.v128();
  const tmp = f.v128();
  const sc = f.local('f64');
  const xs = f.local('f64');
  const off = f.i32();
  const end = f.i32();
  const p = I.add(get(f.p.inp!), get(off));
  const loop = (cond: Code, body: Code, step: number): Code => [
    [0x02, 0x40, 0x03, 0x40],
    [cond, 0x0d, 1],
    body,
    set(off, I.add(get(off), I.c(step))),
    [0x0c, 0, 0x0b, 0x0b],
  ];
  f.body = [
    s.code,
    set(acc, V.splat(F.c(0))),
    set(sc, D.c(0)),
    set(off, I.shl(get(s.lo), 2)),
    set(end, I.shl(get(s.hi), 2)),
    loop(
      I.gt_s(I.add(get(off), I.c(16)), get(end)),
      [
        set(x, V.load(p)),
        set(h, V.promoteLo(get(x))),
        set(acc, V.dadd(get(acc), V.dmul(get(h), get(h)))),
        set(h, V.promoteHi(get(x), tmp)),
        set(acc, V.dadd(get(acc), V.dmul(get(h), get(h)))),
      ],
      16,
    ),
    loop(I.ge_s(get(off), get(end)), [set(xs, F.toF64(F.load(p))), set(sc, D.add(get(sc), D.mul(get(xs), get(xs))))], 4),
    D.store(
      I.add(get(f.p.part!), I.shl(get(f.p.tid!), 3)),
      D.add(get(sc), D.add(V.dlane(get(acc), 0), V.dlane(get(acc), 1))),
    ),
  ];
  return f;
}

/** out[b,t,:] = wte[inp[b,t],:] + wpe[t,:], rows shared out among threads. */
export function encoderForward(relaxed: boolean): Fn {
  const f = kernel('encoderForward', [...ptrs('out', 'inp', 'wte', 'wpe'), ['B', 'i32'], ['T', 'i32'], ['C', 'i32']]);
  const s = split(f, I.mul(get(f.p.B!), get(f.p.T!)), 1);
  const row = f.i32();
  const o = f.i32();
  const w = f.i32();
  const q = f.i32();
  const C4 = I.shl(get(f.p.C!), 2);
  f.body = [
    s.code,
    [0x02, 0x40, 0x03, 0x40],
    [I.ge_s(get(s.lo), get(s.hi)), 0x0d, 1],
    set(row, get(s.lo)),
    set(o, I.add(get(f.p.out!), I.mul(get(row), C4))),
    set(w, I.add(get(f.p.wte!), I.mul(I.load(I.add(get(f.p.inp!), I.shl(get(row), 2))), C4))),
    set(q, I.add(get(f.p.wpe!), I.mul(I.sub(get(row), I.mul(I.divU(get(row), get(f.p.T!)), get(f.p.T!))), C4))),
    elementwise(f, I.c(0), get(f.p.C!), relaxed, (L, off) =>
      L.store(I.add(get(o), get(off)), L.add(L.load(I.add(get(w), get(off))), L.load(I.add(get(q), get(off))))),
    ),
    set(s.lo, I.add(get(s.lo), I.c(1))),
    [0x0c, 0, 0x0b, 0x0b],
  ];
  return f;
}

/**
 * dwte[inp[b,t],:] += dout[b,t,:]; dwpe[t,:] += dout[b,t,:]. Rows may repeat a token, so threads
 * split the C columns instead of the rows: no two threads ever touch the same float.
 */
export function encoderBackward(relaxed: boolean): Fn {
  const f = kernel('encoderBackward', [...ptrs('dwte', 'dwpe', 'dout', 'inp'), ['B', 'i32'], ['T', 'i32'], ['C', 'i32']]);
  const s = split(f, get(f.p.C!), 4);
  const row = f.i32();
  const o = f.i32();
  const w = f.i32();
  const q = f.i32();
  const C4 = I.shl(get(f.p.C!), 2);
  const BT = I.mul(get(f.p.B!), get(f.p.T!));
  f.body = [
    s.code,
    set(row, I.c(0)),
    [0x02, 0x40, 0x03, 0x40],
    [I.ge_s(get(row), BT), 0x0d, 1],
    set(o, I.add(get(f.p.dout!), I.mul(get(row), C4))),
    set(w, I.add(get(f.p.dwte!), I.mul(I.load(I.add(get(f.p.inp!), I.shl(get(row), 2))), C4))),
    set(q, I.add(get(f.p.dwpe!), I.mul(I.sub(get(row), I.mul(I.divU(get(row), get(f.p.T!)), get(f.p.T!))), C4))),
    elementwise(f, get(s.lo), get(s.hi), relaxed, (L, off) => {
      const d = f.local(L.type);
      const a = I.add(get(w), get(off));
      const b = I.add(get(q), get(off));
      return [set(d, L.load(I.add(get(o), get(off)))), L.store(a, L.add(L.load(a), get(d))), L.store(b, L.add(L.load(b), get(d)))];
    }),
    set(row, I.add(get(row), I.c(1))),
    [0x0c, 0, 0x0b, 0x0b],
  ];
  return f;
}
