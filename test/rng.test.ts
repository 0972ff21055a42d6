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
