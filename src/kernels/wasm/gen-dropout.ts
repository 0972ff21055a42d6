import { type Code, Fn, F, I, V, get, select, set } from './asm.js';
import { type Lanes, elementwise, split } from './lanes.js';

/**
 * Dropout: the mask from the reference's counter-based hash (ref/dropout.ts), bit for bit, four
 * lanes at a time, each thread filling its own share; then out = inp * mask. `withOut` false makes
 * the mask-only kernel (attention's multipliers).
 */

/** lowbias32 on the i32 (or i32x4) local x, in place. */
function lowbias32(L: Lanes, x: number, k1: Code, k2: Code): Code {
  const v = L.w === 4;
  const xorShr = (n: number): Code => set(x, v ? V.ixor(get(x), V.ishrU(get(x), n)) : I.xor(get(x), I.shrU(get(x), n)));
  const mul = (k: Code): Code => set(x, v ? V.imul(get(x), k) : I.mul(get(x), k));
  return [xorShr(16), mul(k1), xorShr(15), mul(k2), xorShr(16)];
}

export function dropoutForward(withOut: boolean): Fn {
  const params: [string, 'i32' | 'f32'][] = [['tid', 'i32'], ['nth', 'i32'], ['mask', 'i32'], ['out', 'i32'], ['inp', 'i32'], ['N', 'i32'], ['seed', 'i32'], ['threshold', 'i32'], ['keep', 'f32']];
  const f = new Fn(withOut ? 'dropoutForward' : 'dropoutMask', params);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('N'), 4);
  const [hv, seedV, thrV, keepV, k1V, k2V] = Array.from({ length: 6 }, () => f.v128());
  const hs = f.i32();
  const m = f.local('f32');
  const mv = f.v128();
  const K1 = 0x7feb352d;
  const K2 = 0x846ca68b | 0;
  f.body = [
    s.code,
    set(seedV, V.isplat(p('seed'))),
    set(thrV, V.isplat(p('threshold'))),
    set(keepV, V.splat(p('keep'))),
    set(k1V, V.isplat(I.c(K1))),
    set(k2V, V.isplat(I.c(K2))),
    elementwise(f, get(s.lo), get(s.hi), false, (L, off) => {
      const v = L.w === 4;
      const x = v ? hv : hs;
      const at = (name: string): Code => I.add(p(name), get(off));
      const index = I.shrU(get(off), 2);
      const k1 = v ? get(k1V) : I.c(K1);
      const k2 = v ? get(k2V) : I.c(K2);
      const mask = v ? mv : m;
      return [
        set(x, v ? V.iadd(V.isplat(index), V.iconst(0, 1, 2, 3)) : index),
        lowbias32(L, x, k1, k2),
        set(x, v ? V.ixor(get(x), get(seedV)) : I.xor(get(x), p('seed'))),
        lowbias32(L, x, k1, k2),
        set(mask, v ? V.and(V.igeU(get(x), get(thrV)), get(keepV)) : select(p('keep'), F.c(0), I.ge_u(get(x), p('threshold')))),
        L.store(at('mask'), get(mask)),
        withOut ? L.store(at('out'), L.mul(L.load(at('inp')), get(mask))) : [],
      ];
    }),
  ];
  return f;
}

export function dropoutBackward(relaxed: boolean): Fn {
  const f = new Fn('dropoutBackward', [['tid', 'i32'], ['nth', 'i32'], ['dinp', 'i32'], ['dout', 'i32'], ['mask', 'i32'], ['N', 'i32']]);
  const p = (n: string): Code => get(f.p[n]!);
  const s = split(f, p('N'), 4);
  f.body = [
    s.code,
    elementwise(f, get(s.lo), get(s.hi), relaxed, (L, off) => {
      const at = (name: string): Code => I.add(p(name), get(off));
      return L.store(at('dinp'), L.fma(L.load(at('dout')), L.load(at('mask')), L.load(at('dinp'))));
    }),
  ];
  return f;
}
