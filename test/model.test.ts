/** The GPT model: config validation, initialisation, dropout, optimizer groups, sampling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, GPT, Rng, ScratchError, clipGradNorm, countParams, generate, gptConfig, noGrad, refBackend, sampleFromLogits } from '../src/index.js';

const TINY = { vocabSize: 13, blockSize: 8, nLayer: 2, nHead: 2, nEmbd: 8 };

test('config: frozen, defaults filled, clear one-line errors', () => {
  const c = gptConfig(TINY);
  assert.ok(Object.isFrozen(c));
  assert.equal(c.bias, true);
  assert.equal(c.dropout, 0);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ ...TINY, nEmbd: 10, nHead: 3 }, /'nEmbd' \(10\) must be divisible by 'nHead' \(3\)/],
    [{ ...TINY, nLayer: 0 }, /'nLayer' must be ≥ 1, got 0/],
    [{ ...TINY, blockSize: 2.5 }, /'blockSize' must be an integer/],
    [{ ...TINY, dropout: 1 }, /'dropout' must be < 1/],
    [{ ...TINY, bias: 'yes' }, /'bias' must be true or false/],
    [{ ...TINY, nEmb: 8 }, /unknown model config key 'nEmb'/],
    [{ vocabSize: 5 }, /needs 'blockSize'/],
  ];
  for (const [raw, msg] of bad) assert.throws(() => gptConfig(raw), (e: Error) => e instanceof ScratchError && msg.test(e.message) && !e.message.includes('\n'));
});

test('init: GPT-2 statistics, seeded, and parameter count', () => {
  const c = { vocabSize: 50, blockSize: 32, nLayer: 4, nHead: 4, nEmbd: 64 };
  const m = new GPT(c, { rng: new Rng(1) });
  assert.equal(m.params.count, countParams(gptConfig(c)));
  const std = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0) / a.length);
  assert.ok(Math.abs(std(m.params.get('wte.weight').data) - 0.02) < 0.001);
  assert.ok(Math.abs(std(m.params.get('h.0.mlp.c_fc.weight').data) - 0.02) < 0.001);
  assert.ok(Math.abs(std(m.params.get('h.3.mlp.c_proj.weight').data) - 0.02 / Math.sqrt(8)) < 0.0005);
  assert.ok(m.params.get('h.1.ln_2.weight').data.every((x) => x === 1));
  assert.ok(m.params.get('h.1.attn.c_attn.bias').data.every((x) => x === 0));
  assert.deepEqual(new GPT(c, { rng: new Rng(1) }).params.data, m.params.data);
  assert.notDeepEqual(new GPT(c, { rng: new Rng(2) }).params.data, m.params.data);
});

test('optimizer groups: 2-D tensors decayed, gains and biases not', () => {
  const m = new GPT(TINY, { rng: new Rng(1) });
  const [decay, rest] = m.params.groups;
  assert.equal(decay.weightDecay, true);
  assert.equal(rest.weightDecay, false);
  const n2 = m.params.specs.filter((s) => s.shape.length >= 2).reduce((a, s) => a + s.shape[0] * s.shape[1], 0);
  assert.equal(decay.params.length, n2);
  // with zero gradients only decayed weights move
  const before = Float32Array.from(m.params.data);
  const opt = new AdamW(m.params.groups, refBackend, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.5 });
  opt.step(0.1);
  for (let i = 0; i < before.length; i++) {
    if (i < n2) assert.ok(Math.abs(m.params.data[i] - before[i] * 0.95) < 1e-7);
    else assert.equal(m.params.data[i], before[i]);
  }
});

test('gradient clipping scales to the max norm and reports the norm before', () => {
  const m = new GPT(TINY, { rng: new Rng(1) });
  m.params.grads.fill(0);
  m.params.grads[0] = 3;
  m.params.grads[m.params.grads.length - 1] = 4;
  assert.ok(Math.abs(clipGradNorm(m.params.groups, 1, refBackend) - 5) < 1e-9);
  assert.ok(Math.abs(Math.hypot(m.params.grads[0], m.params.grads[m.params.grads.length - 1]) - 1) < 1e-5);
  assert.ok(Math.abs(clipGradNorm(m.params.groups, 10, refBackend) - 1) < 1e-5); // under the bound: untouched
});

test('dropout: only in training mode, seeded, and the loss still learns', () => {
  const m = new GPT({ ...TINY, dropout: 0.2 }, { rng: new Rng(1) });
  const idx = Int32Array.from([1, 2, 3, 4, 5, 6]);
  const eval1 = noGrad(() => m.forward(idx, 1, 6).logits.data);
  const eval2 = noGrad(() => m.forward(idx, 1, 6).logits.data);
  assert.deepEqual(eval1, eval2);
  m.train(new Rng(5));
  const tr1 = noGrad(() => m.forward(idx, 1, 6).logits.data);
  m.train(new Rng(5));
  const tr2 = noGrad(() => m.forward(idx, 1, 6).logits.data);
  assert.deepEqual(tr1, tr2);
  assert.notDeepEqual(tr1, eval1);
});

test('dropout draws where nanoGPT drops: embeddings, attention probabilities, both residual branches', () => {
  class Counting extends Rng {
    draws = 0;
    override nextU32(): number {
      this.draws++;
      return super.nextU32();
    }
  }
  const cfg = { ...TINY, dropout: 0.3 };
  const m = new GPT(cfg, { rng: new Rng(1) });
  const rng = new Counting(5);
  m.train(rng);
  m.forward(Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 2, 5);
  // one seed per dropout: the embeddings, then per layer the attention probabilities and two branches
  assert.equal(rng.draws, 1 + 3 * cfg.nLayer);
});

test('dropout: wasm and reference kernels give the same training loss and gradients', async () => {
  const { createBackend } = await import('../src/index.js');
  const be = await createBackend({ kernels: 'wasm', threads: 2 });
  const cfg = { vocabSize: 13, blockSize: 16, nLayer: 2, nHead: 2, nEmbd: 16, dropout: 0.3 };
  const idx = be.allocI32(32);
  const tgt = be.allocI32(32);
  for (let i = 0; i < 32; i++) [idx[i], tgt[i]] = [(i * 5) % 13, (i * 7 + 1) % 13];
  const run = (backend: typeof be) => {
    const m = new GPT(cfg, { backend, rng: new Rng(1) });
    m.train(new Rng(3));
    m.params.zeroGrad();
    const loss = m.forward(idx, 2, 16, { targets: tgt }).loss!;
    loss.backward();
    return { loss: loss.item(), grads: Float64Array.from(m.params.grads) };
  };
  const a = run(refBackend);
  const b = run(be);
  (be as { close?: () => void }).close?.();
  assert.ok(Math.abs(a.loss - b.loss) < 1e-5, `loss ${a.loss} vs ${b.loss}`);
  let worst = 0;
  for (let i = 0; i < a.grads.length; i++) worst = Math.max(worst, Math.abs(a.grads[i]! - b.grads[i]!));
  assert.ok(worst < 1e-5, `gradients differ by ${worst}`);
});

test('training a tiny model overfits one batch', () => {
  const m = new GPT(TINY, { rng: new Rng(1) });
  const opt = new AdamW(m.params.groups, refBackend, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0 });
  const idx = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 3, 3, 1, 2, 12, 0, 0, 5]);
  const tgt = Int32Array.from([2, 3, 4, 5, 6, 7, 8, 9, 3, 1, 2, 12, 0, 0, 5, 7]);
  let first = 0, last = 0;
  for (let s = 0; s < 60; s++) {
    m.params.zeroGrad();
    const { loss } = m.forward(idx, 2, 8, { targets: tgt });
    if (s === 0) first = loss!.item();
    last = loss!.item();
    loss!.backward();
    opt.step(1e-2);
  }
  assert.ok(Math.abs(first - Math.log(13)) < 0.1, `initial loss ${first} should be near ln(13)`);
  assert.ok(last < 0.2, `loss after 60 steps is ${last}`);
});

test('bad ids: an out-of-range token or target is a clear error', () => {
  const m = new GPT(TINY, { rng: new Rng(1) });
  assert.throws(() => m.forward(Int32Array.from([1, 13]), 1, 2), /token id 13 is outside the vocabulary \(0\.\.12\)/);
  assert.throws(() => m.forward(Int32Array.from([1, 2]), 1, 2, { targets: Int32Array.from([0, 99]) }), /target id 99/);
  assert.throws(() => m.forward(new Int32Array(9), 1, 9), /longer than the block size 8/);
});

test('sampling: greedy, top-k 1 equals greedy, seeded draws repeat, top-p keeps the head', () => {
  const logits = Float32Array.from([0.1, 2, 1.9, -1, 2]);
  assert.equal(sampleFromLogits(logits, { temperature: 0 }), 1); // first of the tied maxima
  assert.equal(sampleFromLogits(logits, { topK: 1, rng: new Rng(1) }), 1);
  const draw = (seed: number, o = {}) => Array.from({ length: 50 }, ((r) => () => sampleFromLogits(logits, { rng: r, ...o }))(new Rng(seed)));
  assert.deepEqual(draw(3), draw(3));
  const counts = new Map<number, number>();
  for (const id of draw(4, { topP: 0.5 })) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.deepEqual([...counts.keys()].sort(), [1, 4]); // the two largest reach p = 0.5
  assert.throws(() => sampleFromLogits(logits, { temperature: 1 }), /needs a seeded random generator/);
});

test('generate: streams ids, crops the context past the block size, same seed same text', () => {
  const m = new GPT(TINY, { rng: new Rng(1) });
  const a = [...generate(m, [1, 2], 20, { temperature: 0.8, rng: new Rng(9) })];
  const b = [...generate(m, [1, 2], 20, { temperature: 0.8, rng: new Rng(9) })];
  assert.equal(a.length, 20);
  assert.deepEqual(a, b);
  assert.ok(a.every((id) => id >= 0 && id < 13));
});

test('wasm backend: steady-state training steps allocate nothing new', async () => {
  const { createBackend, trainStep } = await import('../src/index.js');
  const be = (await createBackend({ kernels: 'wasm', threads: 2 })) as import('../src/index.js').WasmBackend;
  const m = new GPT({ ...TINY, dropout: 0.1 }, { backend: be, rng: new Rng(1) });
  m.train(new Rng(2));
  const opt = new AdamW(m.params.groups, be, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  const idx = be.allocI32(16);
  const tgt = be.allocI32(16);
  idx.set([1, 2, 3, 4, 5, 6, 7, 8, 3, 3, 1, 2, 12, 0, 0, 5]);
  tgt.set([2, 3, 4, 5, 6, 7, 8, 9, 3, 1, 2, 12, 0, 0, 5, 7]);
  const step = () => trainStep(m, opt, [{ idx, targets: tgt }], 2, 8, 1e-2, 1.0).loss;
  const first = step();
  const peak = be.memoryBytes();
  let last = first;
  for (let i = 0; i < 5; i++) last = step();
  assert.equal(be.memoryBytes(), peak, 'the arena grew after the first step');
  assert.ok(last < first, `loss went from ${first} to ${last}`);
});
