import { type Code, Fn, F, I, V, call, get, ifThen, select, set } from './asm.js';
import { type Lanes, elementwise, makeLanes, split } from './lanes.js';

/**
 * Matrix products. One register-blocked micro-kernel computes a 4 x 8 tile of C = A B in eight
 * f32x4 accumulators (4 rows of A broadcast, two 4-wide vectors of B per k), which keeps 11 of the
 * 16 SIMD registers busy and does 8 FMAs per 6 loads. Three variants differ only in how they walk
 * A and B, so every product of the forward and backward pass runs at full speed without copies:
 *  - gemmFwd:  out = inp W^T + b, A = inp (rows contiguous in k), B = W^T packed in 8-wide panels
 *  - gemmDinp: dinp += dout W,   A = dout (contiguous in k),     B = W rows (stride C); the
 *              wasm kernels pack W's rows into 8-wide panels (packRows8) and use gemmFwd instead
 *  - gemmDw:   dW += dout^T inp, A = dout^T and B = inp, both packed by packRows
 * Edge tiles compute all 32 values (rows past M repeat the last row; columns past N read at most
 * 7 floats past a row's end, which the allocator's slack covers) and store only the valid ones.
 */

export const GEMM_PARAMS: [string, 'i32'][] = [
  'M', 'N', 'K', 'A', 'ars', 'aks', 'B', 'bks', 'bps', 'Cp', 'ldc', 'bias', 'acc',
].map((n) => [n, 'i32']);

interface GemmShape {
  /** A's k-stride is 4 bytes (rows contiguous), so unrolled steps use immediate offsets. */
  aContig: boolean;
  /** B is packed: 8 floats per k, panels contiguous. */
  bPacked: boolean;
  unroll: number;
  /** Rows per tile (4 unless A is contiguous). */
  mr?: number;
}

export function gemm(name: string, shape: GemmShape, relaxed: boolean): Fn {
  const f = new Fn(name, [['tid', 'i32'], ['nth', 'i32'], ...GEMM_PARAMS]);
  const p = (n: string): Code => get(f.p[n]!);
  const L: Lanes = makeLanes(f, 4, relaxed);
  const MR = shape.mr ?? 4;
  const s = split(f, p('M'), MR);
  const [i0, mr, j0, pb0, pb, pa, kk, c0, cr] = [f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32(), f.i32()];
  const ar = Array.from({ length: MR }, () => f.i32());
  const acc = Array.from({ length: 2 * MR }, () => f.v128());
  const b = [f.v128(), f.v128()];
  const sp = f.v128();

  const step = (u: number): Code => {
    const out: Code[] = [];
    if (shape.bPacked) out.push(set(b[0]!, V.load(get(pb), u * 32)), set(b[1]!, V.load(get(pb), u * 32 + 16)));
    else out.push(set(b[0]!, V.load(get(pb))), set(b[1]!, V.load(get(pb), 16)), set(pb, I.add(get(pb), p('bks'))));
    for (let r = 0; r < MR; r++) {
      out.push(set(sp, shape.aContig ? V.loadSplat(get(ar[r]!), u * 4) : V.loadSplat(get(pa), r * 4)));
      for (let h = 0; h < 2; h++) out.push(set(acc[r * 2 + h]!, L.fma(get(sp), get(b[h]!), get(acc[r * 2 + h]!))));
    }
    if (!shape.aContig) out.push(set(pa, I.add(get(pa), p('aks'))));
    return out;
  };
  const advance = (u: number): Code => [
    shape.bPacked ? set(pb, I.add(get(pb), I.c(32 * u))) : [],
    shape.aContig ? ar.map((a) => set(a, I.add(get(a), I.c(4 * u)))) : [],
  ];
  const U = shape.unroll;
  const kLoop: Code = [
    set(kk, p('K')),
    [0x02, 0x40, 0x03, 0x40],
    [I.lt_s(get(kk), I.c(U)), 0x0d, 1],
    Array.from({ length: U }, (_, u) => step(u)),
    advance(U),
    set(kk, I.sub(get(kk), I.c(U))),
    [0x0c, 0, 0x0b, 0x0b],
    [0x02, 0x40, 0x03, 0x40],
    [I.le_s(get(kk), I.c(0)), 0x0d, 1],
    step(0),
    advance(1),
    set(kk, I.sub(get(kk), I.c(1))),
    [0x0c, 0, 0x0b, 0x0b],
  ];

  const biasAdd = ifThen(
    p('bias'),
    acc.map((a, i) => set(a, V.add(get(a), V.load(I.add(p('bias'), I.shl(get(j0), 2)), (i % 2) * 16)))),
  );
  const rowPtr = (r: number): Code => I.add(get(c0), I.mul(I.c(r), p('ldc')));
  const fullStore = (accumulate: boolean): Code =>
    acc.map((a, i) => {
      const r = i >> 1;
      const off = (i % 2) * 16;
      return [
        set(cr, I.add(rowPtr(r), I.shl(get(j0), 2))),
        V.store(get(cr), accumulate ? V.add(get(a), V.load(get(cr), off)) : get(a), off),
      ];
    });
  const partialStore: Code = acc.map((a, i) => {
    const r = i >> 1;
    return Array.from({ length: 4 }, (_, l) => {
      const col = (i % 2) * 4 + l;
      const addr = I.add(I.add(rowPtr(r), I.shl(get(j0), 2)), I.c(col * 4));
      return ifThen(
        I.and(I.lt_s(I.c(r), get(mr)), I.lt_s(I.add(get(j0), I.c(col)), p('N'))),
        F.store(addr, F.add(V.lane(get(a), l), select(F.load(addr), F.c(0), p('acc')))),
      );
    });
  });
  const full = I.and(I.eq(get(mr), I.c(MR)), I.le_s(I.add(get(j0), I.c(8)), p('N')));

  f.body = [
    s.code,
    set(i0, get(s.lo)),
    [0x02, 0x40, 0x03, 0x40],
    [I.ge_s(get(i0), get(s.hi)), 0x0d, 1],
    set(mr, I.min(I.c(MR), I.sub(p('M'), get(i0)))),
    set(c0, I.add(p('Cp'), I.mul(get(i0), p('ldc')))),
    set(j0, I.c(0)),
    set(pb0, p('B')),
    [0x02, 0x40, 0x03, 0x40],
    [I.ge_s(get(j0), p('N')), 0x0d, 1],
    acc.map((a) => set(a, V.splat(F.c(0)))),
    set(pb, get(pb0)),
    set(pa, I.add(p('A'), I.mul(get(i0), p('ars')))),
    shape.aContig
      ? ar.map((a, r) => set(a, I.add(get(pa), I.mul(I.min(I.c(r), I.sub(get(mr), I.c(1))), p('ars')))))
      : [],
    kLoop,
    biasAdd,
    ifThen(full, ifThen(p('acc'), fullStore(true), fullStore(false)), partialStore),
    set(j0, I.add(get(j0), I.c(8))),
    set(pb0, I.add(get(pb0), p('bps'))),
    [0x0c, 0, 0x0b, 0x0b],
    set(i0, I.add(get(i0), I.c(MR))),
    [0x0c, 0, 0x0b, 0x0b],
  ];
  return f;
}

/**
 * Packs columns k0..k0+Kc of W (OC, ldw bytes per row) into 8-row panels, k-major: dst[p][k][0..8)
 * = W[8p..8p+8, k0+k], rows past OC repeating the last, so gemmFwd reads B with two aligned loads.
 */
export function pack(): Fn {
  const f = new Fn('pack', [['tid', 'i32'], ['nth', 'i32'], ...['W', 'ldw', 'OC', 'k0', 'Kc', 'dst'].map((n): [string, 'i32'] => [n, 'i32'])]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, I.divU(I.add(p('OC'), I.c(7)), I.c(8)), 1);
  const [jj, k, src, dst] = [f.i32(), f.i32(), f.i32(), f.i32()];
  const loop = (v: number, n: Code, body: Code): Code => [
    set(v, I.c(0)),
    [0x02, 0x40, 0x03, 0x40],
    [I.ge_s(get(v), n), 0x0d, 1],
    body,
    set(v, I.add(get(v), I.c(1))),
    [0x0c, 0, 0x0b, 0x0b],
  ];
  f.body = [
    s.code,
    [0x02, 0x40, 0x03, 0x40],
    [I.ge_s(get(s.lo), get(s.hi)), 0x0d, 1],
    loop(jj, I.c(8), [
      set(src, I.add(I.add(p('W'), I.mul(I.min(I.add(I.shl(get(s.lo), 3), get(jj)), I.sub(p('OC'), I.c(1))), p('ldw'))), I.shl(p('k0'), 2))),
      set(dst, I.add(I.add(p('dst'), I.mul(I.mul(get(s.lo), p('Kc')), I.c(32))), I.shl(get(jj), 2))),
      loop(k, p('Kc'), [F.store(I.add(get(dst), I.shl(get(k), 5)), F.load(I.add(get(src), I.shl(get(k), 2))))]),
    ]),
    set(s.lo, I.add(get(s.lo), I.c(1))),
    [0x0c, 0, 0x0b, 0x0b],
  ];
  return f;
}

/**
 * Copies rows k0..k0+Kc of src (ld bytes per row) into panels of `width` (8 or 4) columns:
 * dst[p][k][0..width). gemmDw reads inp as 8-wide B panels and dout^T as 4-wide A panels, so both
 * of its streams are contiguous and use whole cache lines. The 4-wide variant also adds the
 * column sums of the rows it copies to `sum` (N floats) unless that is 0: dbias comes for free
 * with dweight's packing instead of a separate strided pass over dout.
 */
export function packRows(width: 4 | 8): Fn {
  const f = new Fn(`packRows${width}`, [['tid', 'i32'], ['nth', 'i32'], ...['src', 'ld', 'N', 'k0', 'Kc', 'dst', 'sum'].map((n): [string, 'i32'] => [n, 'i32'])]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, I.divU(I.add(p('N'), I.c(width - 1)), I.c(width)), 1);
  const [k, src, dst, col] = [f.i32(), f.i32(), f.i32(), f.i32()];
  const [v, acc] = [f.v128(), f.v128()];
  const wb = width * 4;
  const sums = width === 4;
  const sumStore: Code = ifThen(
    p('sum'),
    [
      set(col, I.shl(get(s.lo), 2)),
      ifThen(
        I.le_s(I.add(get(col), I.c(4)), p('N')),
        V.store(I.add(p('sum'), I.shl(get(col), 2)), V.add(V.load(I.add(p('sum'), I.shl(get(col), 2))), get(acc))),
        Array.from({ length: 4 }, (_, l) => {
          const addr = I.add(p('sum'), I.shl(I.add(get(col), I.c(l)), 2));
          return ifThen(I.lt_s(I.add(get(col), I.c(l)), p('N')), F.store(addr, F.add(F.load(addr), V.lane(get(acc), l))));
        }),
      ),
    ],
  );
  f.body = [
    s.code,
    [0x02, 0x40, 0x03, 0x40],
    [I.ge_s(get(s.lo), get(s.hi)), 0x0d, 1],
    set(src, I.add(I.add(p('src'), I.mul(p('k0'), p('ld'))), I.mul(get(s.lo), I.c(wb)))),
    set(dst, I.add(p('dst'), I.mul(I.mul(get(s.lo), p('Kc')), I.c(wb)))),
    sums ? set(acc, V.splat(F.c(0))) : [],
    set(k, I.c(0)),
    [0x02, 0x40, 0x03, 0x40],
    [I.ge_s(get(k), p('Kc')), 0x0d, 1],
    sums ? [set(v, V.load(get(src))), V.store(get(dst), get(v)), set(acc, V.add(get(acc), get(v)))] : V.store(get(dst), V.load(get(src))),
    width === 8 ? V.store(get(dst), V.load(get(src), 16), 16) : [],
    set(src, I.add(get(src), p('ld'))),
    set(dst, I.add(get(dst), I.c(wb))),
    set(k, I.add(get(k), I.c(1))),
    [0x0c, 0, 0x0b, 0x0b],
    sums ? sumStore : [],
    set(s.lo, I.add(get(s.lo), I.c(1))),
    [0x0c, 0, 0x0b, 0x0b],
  ];
  return f;
}

/**
 * Packs batch rows k0..k0+Kc of inp (8-wide) and of dout (4-wide) for gemmDw, in one dispatch,
 * adding dout's column sums to dbias unless that is 0.
 */
export function packDw(callOf: (name: string) => number): Fn {
  const names = ['inp', 'C', 'dout', 'OC', 'k0', 'Kc', 'dstB', 'dstA', 'dbias'];
  const f = new Fn('packDw', [['tid', 'i32'], ['nth', 'i32'], ...names.map((n): [string, 'i32'] => [n, 'i32'])]);
  const p = (n: string): Code => get(f.p[n]!);
  const t = [p('tid'), p('nth')];
  f.body = [
    call(callOf('packRows8'), ...t, p('inp'), I.shl(p('C'), 2), p('C'), p('k0'), p('Kc'), p('dstB'), I.c(0)),
    call(callOf('packRows4'), ...t, p('dout'), I.shl(p('OC'), 2), p('OC'), p('k0'), p('Kc'), p('dstA'), p('dbias')),
  ];
  return f;
}

/** dbias (OC) += column sums of dout (BT, OC); threads split the columns. */
export function colsum(relaxed: boolean): Fn {
  const f = new Fn('colsum', [['tid', 'i32'], ['nth', 'i32'], ['dbias', 'i32'], ['dout', 'i32'], ['BT', 'i32'], ['OC', 'i32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('OC'), 4);
  const [i, pp] = [f.i32(), f.i32()];
  f.body = [
    s.code,
    elementwise(f, get(s.lo), get(s.hi), relaxed, (L, off) => {
      const a = f.local(L.type);
      const d = I.add(p('dbias'), get(off));
      return [
        set(a, L.c(0)),
        set(pp, I.add(p('dout'), get(off))),
        set(i, I.c(0)),
        [0x02, 0x40, 0x03, 0x40],
        [I.ge_s(get(i), p('BT')), 0x0d, 1],
        set(a, L.add(get(a), L.load(get(pp)))),
        set(pp, I.add(get(pp), I.shl(p('OC'), 2))),
        set(i, I.add(get(i), I.c(1))),
        [0x0c, 0, 0x0b, 0x0b],
        L.store(d, L.add(L.load(d), get(a))),
      ];
    }),
  ];
  return f;
}

/**
 * The three backward products in one dispatch: they write disjoint buffers, so no barrier. dweight
 * here covers the first Kc rows of the batch, whose inp rows packRows has already packed. The wasm
 * kernels pass dinp = 0 (they run it first, on W packed by packRows8) and dbias = 0 when packDw
 * already summed it.
 */
export function matmulBackward(callOf: (name: string) => number): Fn {
  const names = ['dinp', 'dweight', 'dbias', 'dout', 'packB', 'packA', 'Kc', 'weight', 'BT', 'C', 'OC'];
  const f = new Fn('matmulBackward', [['tid', 'i32'], ['nth', 'i32'], ...names.map((n): [string, 'i32'] => [n, 'i32'])]);
  const p = (n: string): Code => get(f.p[n]!);
  const t = [p('tid'), p('nth')];
  const OC4 = I.shl(p('OC'), 2);
  const C4 = I.shl(p('C'), 2);
  f.body = [
    ifThen(p('dinp'), call(callOf('gemmDinp'), ...t, p('BT'), p('C'), p('OC'), p('dout'), OC4, I.c(4), p('weight'), C4, I.c(32), p('dinp'), C4, I.c(0), I.c(1))),
    ifThen(p('dweight'), call(callOf('gemmDw'), ...t, p('OC'), p('C'), p('Kc'), p('packA'), I.shl(p('Kc'), 2), I.c(16), p('packB'), I.c(32), I.mul(p('Kc'), I.c(32)), p('dweight'), C4, I.c(0), I.c(1))),
    ifThen(p('dbias'), call(callOf('colsum'), ...t, p('dbias'), p('dout'), p('BT'), p('OC'))),
  ];
  return f;
}
