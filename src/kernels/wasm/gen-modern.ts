import { type Code, Fn, F, I, get, ifThen, set } from './asm.js';
import { type Lanes, elementwise, reduce, split } from './lanes.js';

/**
 * The modern recipe's kernels (see ref/modern.ts for the math): ReLU², soft-cap and SwiGLU
 * element-wise, RMSNorm row-wise (its backward also splits the columns for dweight in the same
 * dispatch, as layer norm's does). Same conventions as gen-elementwise.ts and gen-rows.ts.
 */

type P = [string, 'i32' | 'f32'][];
const ptrs = (...names: string[]): P => names.map((n) => [n, 'i32']);
const kernel = (name: string, params: P): Fn => new Fn(name, [['tid', 'i32'], ['nth', 'i32'], ...params]);
const at = (f: Fn, p: string, off: number): Code => I.add(get(f.p[p]!), get(off));

function mapKernel(name: string, params: P, relaxed: boolean, body: (f: Fn) => (L: Lanes, off: number) => Code): Fn {
  const f = kernel(name, params);
  const s = split(f, get(f.p.N!), 4);
  f.body = [s.code, elementwise(f, get(s.lo), get(s.hi), relaxed, body(f))];
  return f;
}

function rowLoop(lo: number, hi: number, body: Code): Code {
  return [[0x02, 0x40, 0x03, 0x40], [I.ge_s(get(lo), get(hi)), 0x0d, 1], body, set(lo, I.add(get(lo), I.c(1))), [0x0c, 0, 0x0b, 0x0b]];
}

export function relu2Forward(relaxed: boolean): Fn {
  return mapKernel('relu2Forward', [...ptrs('out', 'inp'), ['N', 'i32']], relaxed, (f) => (L, off) => {
    const x = f.local(L.type);
    return [set(x, L.max(L.load(at(f, 'inp', off)), L.c(0))), L.store(at(f, 'out', off), L.mul(get(x), get(x)))];
  });
}

export function relu2Backward(relaxed: boolean): Fn {
  return mapKernel('relu2Backward', [...ptrs('dinp', 'inp', 'dout'), ['N', 'i32']], relaxed, (f) => (L, off) => {
    const d = at(f, 'dinp', off);
    const g = L.mul(L.c(2), L.max(L.load(at(f, 'inp', off)), L.c(0)));
    return L.store(d, L.fma(g, L.load(at(f, 'dout', off)), L.load(d)));
  });
}

/** invCap = 1 / cap, folded in by the caller. */
export function softcapForward(relaxed: boolean): Fn {
  return mapKernel('softcapForward', [...ptrs('out', 'inp'), ['N', 'i32'], ['cap', 'f32'], ['invCap', 'f32']], relaxed, (f) => (L, off) =>
    L.store(at(f, 'out', off), L.mul(L.splat(get(f.p.cap!)), L.tanh(L.mul(L.load(at(f, 'inp', off)), L.splat(get(f.p.invCap!)))))));
}

export function softcapBackward(relaxed: boolean): Fn {
  return mapKernel('softcapBackward', [...ptrs('dinp', 'out', 'dout'), ['N', 'i32'], ['invCap', 'f32']], relaxed, (f) => (L, off) => {
    const th = f.local(L.type);
    const d = at(f, 'dinp', off);
    return [
      set(th, L.mul(L.load(at(f, 'out', off)), L.splat(get(f.p.invCap!)))),
      L.store(d, L.fma(L.sub(L.c(1), L.mul(get(th), get(th))), L.load(at(f, 'dout', off)), L.load(d))),
    ];
  });
}

/** Rows [gate (H) | up (H)] → silu(gate) * up; threads split the rows. */
export function swigluForward(relaxed: boolean): Fn {
  const f = kernel('swigluForward', [...ptrs('out', 'inp'), ['N', 'i32'], ['H', 'i32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('N'), 1);
  const [ir, orow] = [f.i32(), f.i32()];
  const H4 = I.shl(p('H'), 2);
  f.body = [
    s.code,
    rowLoop(s.lo, s.hi, [
      set(ir, I.add(p('inp'), I.mul(get(s.lo), I.shl(H4, 1)))),
      set(orow, I.add(p('out'), I.mul(get(s.lo), H4))),
      elementwise(f, I.c(0), p('H'), relaxed, (L, off) => {
        const g = f.local(L.type);
        const sg = L.div(L.c(1), L.add(L.c(1), L.exp(L.sub(L.c(0), get(g)))));
        return [
          set(g, L.load(I.add(get(ir), get(off)))),
          L.store(I.add(get(orow), get(off)), L.mul(L.mul(get(g), sg), L.load(I.add(I.add(get(ir), H4), get(off))))),
        ];
      }),
    ]),
  ];
  return f;
}

export function swigluBackward(relaxed: boolean): Fn {
  const f = kernel('swigluBackward', [...ptrs('dinp', 'inp', 'dout'), ['N', 'i32'], ['H', 'i32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('N'), 1);
  const [ir, dr, gr] = [f.i32(), f.i32(), f.i32()];
  const H4 = I.shl(p('H'), 2);
  f.body = [
    s.code,
    rowLoop(s.lo, s.hi, [
      set(ir, I.add(p('inp'), I.mul(get(s.lo), I.shl(H4, 1)))),
      set(dr, I.add(p('dinp'), I.mul(get(s.lo), I.shl(H4, 1)))),
      set(gr, I.add(p('dout'), I.mul(get(s.lo), H4))),
      elementwise(f, I.c(0), p('H'), relaxed, (L, off) => {
        const g = f.local(L.type);
        const u = f.local(L.type);
        const sg = f.local(L.type);
        const d = f.local(L.type);
        const ag = I.add(get(dr), get(off));
        const au = I.add(I.add(get(dr), H4), get(off));
        return [
          set(g, L.load(I.add(get(ir), get(off)))),
          set(u, L.load(I.add(I.add(get(ir), H4), get(off)))),
          set(sg, L.div(L.c(1), L.add(L.c(1), L.exp(L.sub(L.c(0), get(g)))))),
          set(d, L.load(I.add(get(gr), get(off)))),
          // d gate = dout * up * sg * (1 + g (1 - sg)); d up = dout * g * sg
          L.store(ag, L.fma(L.mul(L.mul(get(d), get(u)), get(sg)), L.fma(get(g), L.sub(L.c(1), get(sg)), L.c(1)), L.load(ag))),
          L.store(au, L.fma(L.mul(get(d), get(g)), get(sg), L.load(au))),
        ];
      }),
    ]),
  ];
  return f;
}

export function rmsnormForward(relaxed: boolean): Fn {
  const f = kernel('rmsnormForward', [...ptrs('out', 'rstd', 'inp', 'weight'), ['N', 'i32'], ['C', 'i32'], ['eps', 'f32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('N'), 1);
  const [row, out] = [f.i32(), f.i32()];
  const [ss, rs] = [f.f32(), f.f32()];
  const C4 = I.shl(p('C'), 2);
  f.body = [
    s.code,
    rowLoop(s.lo, s.hi, [
      set(row, I.add(p('inp'), I.mul(get(s.lo), C4))),
      set(out, I.add(p('out'), I.mul(get(s.lo), C4))),
      reduce(f, I.c(0), p('C'), relaxed, 'sum', ss, (L, off, acc) => {
        const x = L.load(I.add(get(row), get(off)));
        return L.fma(x, L.load(I.add(get(row), get(off))), acc);
      }),
      set(rs, F.div(F.c(1), F.sqrt(F.add(F.div(get(ss), F.fromI32(p('C'))), p('eps'))))),
      F.store(I.add(p('rstd'), I.shl(get(s.lo), 2)), get(rs)),
      elementwise(f, I.c(0), p('C'), relaxed, (L, off) =>
        L.store(I.add(get(out), get(off)), L.mul(L.mul(L.load(I.add(get(row), get(off))), L.splat(get(rs))), L.load(I.add(p('weight'), get(off)))))),
    ]),
  ];
  return f;
}

export function rmsnormBackward(relaxed: boolean): Fn {
  const f = kernel('rmsnormBackward', [...ptrs('dinp', 'dweight', 'dout', 'inp', 'weight', 'rstd'), ['N', 'i32'], ['C', 'i32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const rows = split(f, p('N'), 1);
  const cols = split(f, p('C'), 4);
  const [xr, dr, ir, n] = [f.i32(), f.i32(), f.i32(), f.i32()];
  const [r, dyy] = [f.f32(), f.f32()];
  const C4 = I.shl(p('C'), 2);
  const y = (L: Lanes, off: number): Code => L.mul(L.load(I.add(get(xr), get(off))), L.splat(get(r)));
  const dy = (L: Lanes, off: number): Code => L.mul(L.load(I.add(p('weight'), get(off))), L.load(I.add(get(dr), get(off))));
  const loadRow = (i: Code): Code => [
    set(xr, I.add(p('inp'), I.mul(i, C4))),
    set(dr, I.add(p('dout'), I.mul(i, C4))),
    set(r, F.load(I.add(p('rstd'), I.shl(i, 2)))),
  ];
  f.body = [
    rows.code,
    cols.code,
    rowLoop(rows.lo, rows.hi, [
      loadRow(get(rows.lo)),
      set(ir, I.add(p('dinp'), I.mul(get(rows.lo), C4))),
      reduce(f, I.c(0), p('C'), relaxed, 'sum', dyy, (L, off, acc) => L.fma(dy(L, off), y(L, off), acc)),
      set(dyy, F.div(get(dyy), F.fromI32(p('C')))),
      elementwise(f, I.c(0), p('C'), relaxed, (L, off) => {
        const a = I.add(get(ir), get(off));
        const g = L.sub(dy(L, off), L.mul(y(L, off), L.splat(get(dyy))));
        return L.store(a, L.fma(g, L.splat(get(r)), L.load(a)));
      }),
    ]),
    elementwise(f, get(cols.lo), get(cols.hi), relaxed, (L, off) => {
      const aw = f.local(L.type);
      const w = I.add(p('dweight'), get(off));
      return [
        set(aw, L.c(0)),
        set(n, I.c(0)),
        rowLoop(n, f.p.N!, [loadRow(get(n)), set(aw, L.fma(y(L, off), L.load(I.add(get(dr), get(off))), get(aw)))]),
        L.store(w, L.add(L.load(w), get(aw))),
      ];
    }),
  ];
  return f;
}

/**
 * QK-norm and rotary positions on q and k of qkv rows (see QkForwardArgs): threads split the B*T
 * rows; per row, each of the 2·NH q and k heads is RMS-normalised (when rstd is given) and rotated
 * by the row's position (when cos is given), pairs (i, i + hs/2) in lanes; v is copied.
 */
export function qkForward(relaxed: boolean): Fn {
  const f = kernel('qkForward', [...ptrs('out', 'rstd', 'inp', 'cos', 'sin'), ['B', 'i32'], ['T', 'i32'], ['C', 'i32'], ['NH', 'i32'], ['pos', 'i32'], ['eps', 'f32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, I.mul(p('B'), p('T')), 1);
  const [rin, rout, t, ph, hs, h2b, xo, oo, cs, sn] = [f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()];
  const [ss, sc] = [f.f32(), f.f32()];
  const nh2 = f.i32();
  const row3 = I.mul(get(s.lo), I.mul(p('C'), I.c(12))); // bytes of 3C floats per row
  f.body = [
    s.code,
    set(hs, I.divU(p('C'), p('NH'))),
    set(h2b, I.shl(I.shrU(get(hs), 1), 2)),
    set(nh2, I.shl(p('NH'), 1)),
    rowLoop(s.lo, s.hi, [
      set(rin, I.add(p('inp'), row3)),
      set(rout, I.add(p('out'), row3)),
      set(t, [p('pos'), 0x04, 0x7f, I.load(I.add(p('pos'), I.shl(get(s.lo), 2))), 0x05, I.sub(get(s.lo), I.mul(I.divU(get(s.lo), p('T')), p('T'))), 0x0b]),
      elementwise(f, I.mul(p('C'), I.c(2)), I.mul(p('C'), I.c(3)), relaxed, (L, off) => L.store(I.add(get(rout), get(off)), L.load(I.add(get(rin), get(off))))),
      set(cs, I.add(p('cos'), I.mul(get(t), get(h2b)))),
      set(sn, I.add(p('sin'), I.mul(get(t), get(h2b)))),
      set(ph, I.c(0)),
      rowLoop(ph, nh2, [
        set(xo, I.add(get(rin), I.shl(I.mul(get(ph), get(hs)), 2))),
        set(oo, I.add(get(rout), I.shl(I.mul(get(ph), get(hs)), 2))),
        set(sc, F.c(1)),
        ifThen(p('rstd'), [
          reduce(f, I.c(0), get(hs), relaxed, 'sum', ss, (L, off, acc) => {
            const x = L.load(I.add(get(xo), get(off)));
            return L.fma(x, L.load(I.add(get(xo), get(off))), acc);
          }),
          set(sc, F.div(F.c(1), F.sqrt(F.add(F.div(get(ss), F.fromI32(get(hs))), p('eps'))))),
          F.store(I.add(p('rstd'), I.shl(I.add(I.mul(get(s.lo), get(nh2)), get(ph)), 2)), get(sc)),
        ]),
        ifThen(
          p('cos'),
          elementwise(f, I.c(0), I.shrU(get(hs), 1), relaxed, (L, off) => {
            const a = f.local(L.type);
            const b = f.local(L.type);
            const c = f.local(L.type);
            const si = f.local(L.type);
            return [
              set(a, L.mul(L.load(I.add(get(xo), get(off))), L.splat(get(sc)))),
              set(b, L.mul(L.load(I.add(I.add(get(xo), get(h2b)), get(off))), L.splat(get(sc)))),
              set(c, L.load(I.add(get(cs), get(off)))),
              set(si, L.load(I.add(get(sn), get(off)))),
              L.store(I.add(get(oo), get(off)), L.sub(L.mul(get(a), get(c)), L.mul(get(b), get(si)))),
              L.store(I.add(I.add(get(oo), get(h2b)), get(off)), L.add(L.mul(get(b), get(c)), L.mul(get(a), get(si)))),
            ];
          }),
          elementwise(f, I.c(0), get(hs), relaxed, (L, off) => L.store(I.add(get(oo), get(off)), L.mul(L.load(I.add(get(xo), get(off))), L.splat(get(sc))))),
        ),
      ]),
    ]),
  ];
  return f;
}


export function qkBackward(relaxed: boolean): Fn {
  const f = kernel('qkBackward', [...ptrs('dinp', 'dout', 'inp', 'rstd', 'cos', 'sin'), ['B', 'i32'], ['T', 'i32'], ['C', 'i32'], ['NH', 'i32'], ['pos', 'i32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, I.mul(p('B'), p('T')), 1);
  const [rin, rdo, rdi, t, ph, hs, h2b, xo, go, dio, cs, sn] = Array.from({ length: 12 }, () => f.i32());
  const [sc, dyy] = [f.f32(), f.f32()];
  const nh2 = f.i32();
  const row3 = I.mul(get(s.lo), I.mul(p('C'), I.c(12)));
  const at2 = (base: number, off: number, second: boolean): Code => (second ? I.add(I.add(get(base), get(h2b)), get(off)) : I.add(get(base), get(off)));
  // the rotation's transpose: dy1 = da c + db s, dy2 = db c - da s
  const dys = (L: Lanes, off: number, d1: number, d2: number): Code => {
    const da = L.load(at2(go, off, false));
    const db = L.load(at2(go, off, true));
    const c = L.load(I.add(get(cs), get(off)));
    const si = L.load(I.add(get(sn), get(off)));
    return [set(d1, L.add(L.mul(da, c), L.mul(db, si))), set(d2, L.sub(L.mul(L.load(at2(go, off, true)), L.load(I.add(get(cs), get(off)))), L.mul(L.load(at2(go, off, false)), L.load(I.add(get(sn), get(off))))))];
  };
  const acc = (L: Lanes, a: Code, g: Code): Code => L.store(a, L.add(L.load(a), g));
  f.body = [
    s.code,
    set(hs, I.divU(p('C'), p('NH'))),
    set(h2b, I.shl(I.shrU(get(hs), 1), 2)),
    set(nh2, I.shl(p('NH'), 1)),
    rowLoop(s.lo, s.hi, [
      set(rin, I.add(p('inp'), row3)),
      set(rdo, I.add(p('dout'), row3)),
      set(rdi, I.add(p('dinp'), row3)),
      set(t, [p('pos'), 0x04, 0x7f, I.load(I.add(p('pos'), I.shl(get(s.lo), 2))), 0x05, I.sub(get(s.lo), I.mul(I.divU(get(s.lo), p('T')), p('T'))), 0x0b]),
      elementwise(f, I.mul(p('C'), I.c(2)), I.mul(p('C'), I.c(3)), relaxed, (L, off) => acc(L, I.add(get(rdi), get(off)), L.load(I.add(get(rdo), get(off))))),
      set(cs, I.add(p('cos'), I.mul(get(t), get(h2b)))),
      set(sn, I.add(p('sin'), I.mul(get(t), get(h2b)))),
      set(ph, I.c(0)),
      rowLoop(ph, nh2, [
        set(xo, I.add(get(rin), I.shl(I.mul(get(ph), get(hs)), 2))),
        set(go, I.add(get(rdo), I.shl(I.mul(get(ph), get(hs)), 2))),
        set(dio, I.add(get(rdi), I.shl(I.mul(get(ph), get(hs)), 2))),
        set(sc, F.c(1)),
        set(dyy, F.c(0)),
        ifThen(p('rstd'), set(sc, F.load(I.add(p('rstd'), I.shl(I.add(I.mul(get(s.lo), get(nh2)), get(ph)), 2))))),
        ifThen(
          p('cos'),
          [
            // dyy = mean over the head of dy * y, y = x * rstd (0 without QK-norm: dinp += dy)
            ifThen(p('rstd'), [
              reduce(f, I.c(0), I.shrU(get(hs), 1), relaxed, 'sum', dyy, (L, off, a) => {
                const d1 = f.local(L.type);
                const d2 = f.local(L.type);
                return [dys(L, off, d1, d2), L.fma(get(d1), L.load(at2(xo, off, false)), L.fma(get(d2), L.load(at2(xo, off, true)), a))];
              }),
              set(dyy, F.div(F.mul(get(dyy), get(sc)), F.fromI32(get(hs)))),
            ]),
            elementwise(f, I.c(0), I.shrU(get(hs), 1), relaxed, (L, off) => {
              const d1 = f.local(L.type);
              const d2 = f.local(L.type);
              const k = L.mul(L.splat(get(sc)), L.splat(get(dyy))); // rstd * dyy
              return [
                dys(L, off, d1, d2),
                acc(L, at2(dio, off, false), L.mul(L.splat(get(sc)), L.sub(get(d1), L.mul(L.load(at2(xo, off, false)), k)))),
                acc(L, at2(dio, off, true), L.mul(L.splat(get(sc)), L.sub(get(d2), L.mul(L.load(at2(xo, off, true)), k)))),
              ];
            }),
          ],
          [
            ifThen(p('rstd'), [
              reduce(f, I.c(0), get(hs), relaxed, 'sum', dyy, (L, off, a) => L.fma(L.load(I.add(get(go), get(off))), L.load(I.add(get(xo), get(off))), a)),
              set(dyy, F.div(F.mul(get(dyy), get(sc)), F.fromI32(get(hs)))),
            ]),
            elementwise(f, I.c(0), get(hs), relaxed, (L, off) => {
              const k = L.mul(L.splat(get(sc)), L.splat(get(dyy)));
              const g = L.sub(L.load(I.add(get(go), get(off))), L.mul(L.load(I.add(get(xo), get(off))), k));
              return acc(L, I.add(get(dio), get(off)), L.mul(L.splat(get(sc)), g));
            }),
          ],
        ),
      ]),
    ]),
  ];
  return f;
}
