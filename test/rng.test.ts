import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../src/index.js';

test('rng: same seed, same stream; state round-trips', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  for (let i = 0; i < 100; i++) assert.equal(a.nextU32(), b.nextU32());
  const s = a.getState();
  const x = [a.random(), a.normal(), a.int(10)];
  const c = Rng.fromState(s);
  assert.deepEqual([c.random(), c.normal(), c.int(10)], x);
  assert.notEqual(new Rng(1).nextU32(), new Rng(2).nextU32());
});

test('rng: uniform and normal moments are right', () => {
  const r = new Rng(7);
  let s = 0, s2 = 0, n = 200000;
  for (let i = 0; i < n; i++) { const x = r.normal(); s += x; s2 += x * x; }
  assert.ok(Math.abs(s / n) < 0.01);
  assert.ok(Math.abs(s2 / n - 1) < 0.02);
  let u = 0;
  for (let i = 0; i < n; i++) { const x = r.random(); assert.ok(x >= 0 && x < 1); u += x; }
  assert.ok(Math.abs(u / n - 0.5) < 0.005);
});

test('dropout hash: drops a fraction p, adjacent elements and neighbouring seeds independent', async () => {
  const { dropoutHash } = await import('../src/index.js');
  const N = 1 << 20;
  for (const [p, seed] of [[0.1, 7], [0.5, 123456789], [0.8, 0xfffffff0]] as const) {
    const thr = Math.floor(p * 2 ** 32);
    const dropped = (s: number, i: number) => dropoutHash(s >>> 0, i) < thr;
    let n = 0, pairs = 0, agree = 0;
    let prev = dropped(seed, 0);
    for (let i = 0; i < N; i++) {
      const d = i === 0 ? prev : dropped(seed, i);
      if (d) n++;
      if (i > 0 && d && prev) pairs++;
      if (d === dropped(seed + 1, i)) agree++;
      prev = d;
    }
    const near = (got: number, want: number, what: string) => {
      const sigma = Math.sqrt((want * (1 - want)) / N);
      assert.ok(Math.abs(got / N - want) < 5 * sigma, `p=${p} seed ${seed}: ${what} ${(got / N).toFixed(5)}, expected ${want.toFixed(5)}`);
    };
    near(n, p, 'dropped fraction');
    near(pairs, p * p, 'adjacent pairs both dropped');
    near(agree, p * p + (1 - p) * (1 - p), 'agreement with seed + 1');
  }
});

test('expNonPositive: within 5e-16 of Math.exp on [-708, 0], exact at 0, 0 below -745, NaN stays NaN', async () => {
  const { expNonPositive } = await import('../src/core/exp.js');
  const r = new Rng(11);
  let worst = 0;
  for (let i = 0; i < 200000; i++) {
    const x = i % 2 ? -r.random() * 708 : -r.random() * 3; // the samplers' arguments are mostly near 0
    worst = Math.max(worst, Math.abs(expNonPositive(x) - Math.exp(x)) / Math.exp(x));
  }
  assert.ok(worst < 5e-16, `worst relative error ${worst}`);
  // the range reduction's seams: multiples of ln2/64 and their neighbours
  for (let k = 0; k < 64 * 40; k++) {
    for (const x of [-k * (Math.LN2 / 64), -(k + 0.5) * (Math.LN2 / 64)]) assert.ok(Math.abs(expNonPositive(x) - Math.exp(x)) <= 5e-16 * Math.exp(x), `x = ${x}`);
  }
  assert.equal(expNonPositive(0), 1);
  assert.equal(expNonPositive(-0), 1);
  assert.ok(Math.abs(expNonPositive(-740) - Math.exp(-740)) < 1e-323); // subnormal: the absolute error is what is left
  assert.equal(expNonPositive(-746), 0);
  assert.equal(expNonPositive(-Infinity), 0);
  assert.ok(Number.isNaN(expNonPositive(NaN)));
});
