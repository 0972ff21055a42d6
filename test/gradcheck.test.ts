/**
 * Every differentiable op against float64 central finite differences. Each case builds the op on
 * random float64 inputs, reduces the output to a scalar with fixed random weights, and compares
 * the analytic gradient of every input with (f(x + h) - f(x - h)) / 2h.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, Tensor, ops } from '../src/index.js';
import { makeResult } from '../src/tensor/tensor.js';

function randTensor(rng: Rng, shape: number[], scale = 1, offset = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = offset + rng.normal() * scale;
  return new Tensor(d, shape, undefined, true);
}

/** sum(out * w): a scalar whose gradient with respect to out is w. */
function weightedSum(out: Tensor, w: Float64Array): Tensor {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i] * w[i];
  return makeResult(Float64Array.of(s), [1], out, [out], (o) => {
    const g = out.ensureGrad();
    for (let i = 0; i < out.size; i++) g[i] += o.grad![0] * w[i];
  });
}

function gradcheck(name: string, inputs: Tensor[], f: () => Tensor, seed = 1): void {
  const rng = new Rng(seed);
  const probe = f();
  const w = new Float64Array(probe.size);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal();
  const loss = () => weightedSum(f(), w);
  for (const x of inputs) x.grad = null;
  loss().backward();
  const h = 1e-6;
  for (const [k, x] of inputs.entries()) {
    const analytic = Float64Array.from(x.grad!);
    let worst = 0;
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      x.data[i] = orig + h;
      const fp = loss().item();
      x.data[i] = orig - h;
      const fm = loss().item();
      x.data[i] = orig;
      const numeric = (fp - fm) / (2 * h);
      const err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric));
      worst = Math.max(worst, err);
    }
    assert.ok(worst < 1e-6, `${name}: input ${k} gradient differs from finite differences by ${worst}`);
  }
}

test('gradcheck: embedding (token + position)', () => {
  const rng = new Rng(1);
  const B = 2, T = 3, V = 5, C = 4;
  const wte = randTensor(rng, [V, C]);
  const wpe = randTensor(rng, [T + 1, C]);
  const idx = Int32Array.from([0, 4, 0, 2, 2, 3]); // repeated ids accumulate
  gradcheck('embedding', [wte, wpe], () => ops.embedding(idx, wte, wpe, B, T));
});

test('gradcheck: linear with and without bias, odd sizes', () => {
  const rng = new Rng(2);
  for (const [BT, C, OC] of [[1, 1, 1], [3, 5, 7], [4, 17, 3]]) {
    const x = randTensor(rng, [BT, C]);
    const w = randTensor(rng, [OC, C]);
    const b = randTensor(rng, [OC]);
    gradcheck(`linear ${BT}x${C}x${OC}`, [x, w, b], () => ops.linear(x, w, b));
    gradcheck(`linear no bias ${BT}x${C}x${OC}`, [x, w], () => ops.linear(x, w, null));
  }
});

test('gradcheck: layer norm', () => {
  const rng = new Rng(3);
  const x = randTensor(rng, [3, 7], 2, 0.5);
  const g = randTensor(rng, [7], 0.5, 1);
  const b = randTensor(rng, [7]);
  gradcheck('layerNorm', [x, g, b], () => ops.layerNorm(x, g, b));
  gradcheck('layerNorm no bias', [x, g], () => ops.layerNorm(x, g, null));
});

test('gradcheck: causal attention, head size 3 and 1', () => {
  const rng = new Rng(4);
  for (const [B, T, C, NH] of [[2, 3, 6, 2], [1, 5, 3, 3], [1, 1, 4, 1]]) {
    const qkv = randTensor(rng, [B, T, 3 * C]);
    gradcheck(`attention B${B} T${T} C${C} NH${NH}`, [qkv], () => ops.attention(qkv, NH));
  }
});

test('gradcheck: causal attention with dropout on its probabilities (fixed multipliers)', () => {
  const rng = new Rng(14);
  for (const [B, T, C, NH, p] of [[2, 4, 6, 2, 0.3], [1, 5, 3, 3, 0.5], [1, 1, 4, 1, 0.2]]) {
    const qkv = randTensor(rng, [B, T, 3 * C]);
    // a generator made anew for every evaluation draws the same multipliers each time
    gradcheck(`attention dropout ${p} B${B} T${T} C${C} NH${NH}`, [qkv], () => ops.attention(qkv, NH, { p, rng: new Rng(99) }));
  }
});

test('gradcheck: gelu, residual add', () => {
  const rng = new Rng(5);
  const x = randTensor(rng, [11], 2);
  gradcheck('gelu', [x], () => ops.gelu(x));
  const a = randTensor(rng, [2, 3]);
  const b = randTensor(rng, [2, 3]);
  gradcheck('add', [a, b], () => ops.add(a, b));
  gradcheck('add to itself', [a], () => ops.add(a, a));
});

test('gradcheck: cross-entropy with an ignored position', () => {
  const rng = new Rng(6);
  const logits = randTensor(rng, [4, 5], 3);
  const targets = Int32Array.from([1, 4, -1, 0]);
  gradcheck('crossEntropy', [logits], () => ops.crossEntropy(logits, targets));
});

test('gradcheck: dropout (fixed mask) and row picking', () => {
  const rng = new Rng(7);
  const x = randTensor(rng, [3, 4]);
  gradcheck('dropout', [x], () => ops.dropout(x, 0.3, new Rng(99)));
  gradcheck('rows', [x], () => ops.rows(x, [2, 0, 2]));
});

test('gradcheck: embedding without a position table (rotary positions)', () => {
  const rng = new Rng(21);
  const wte = randTensor(rng, [5, 4]);
  const idx = Int32Array.from([0, 4, 0, 2, 2, 3]);
  gradcheck('embedding, no wpe', [wte], () => ops.embedding(idx, wte, null, 2, 3));
});

test('gradcheck: RMSNorm', () => {
  const rng = new Rng(22);
  for (const [N, C] of [[1, 1], [3, 7], [2, 16]]) {
    const x = randTensor(rng, [N, C], 2, 0.3);
    const g = randTensor(rng, [C], 0.5, 1);
    gradcheck(`rmsNorm ${N}x${C}`, [x, g], () => ops.rmsNorm(x, g));
  }
});

test('gradcheck: QK-norm and rotary positions on q and k, each alone and together, rows at their own positions', () => {
  const rng = new Rng(23);
  for (const [B, T, C, NH, own] of [[2, 3, 8, 2, 0], [1, 5, 12, 3, 1], [1, 1, 2, 1, 1]]) {
    const qkv = randTensor(rng, [B, T, 3 * C]);
    const rotary = ops.rotaryTables(T + 7, C / NH, 100, (n) => new Float64Array(n));
    const positions = own ? Int32Array.from({ length: B * T }, (_, i) => (i * 5 + 2) % (T + 7)) : null;
    for (const [norm, rot] of [[true, false], [false, true], [true, true]] as const) {
      gradcheck(`qk norm=${norm} rope=${rot} B${B} T${T} C${C} NH${NH} positions ${own}`, [qkv], () => ops.qkTransform(qkv, NH, { norm, rotary: rot ? rotary : null, positions }));
    }
  }
});

test('gradcheck: ReLU², SwiGLU, logit soft-cap', () => {
  const rng = new Rng(24);
  const x = randTensor(rng, [13], 2);
  x.data[3] = 0.3; // a value near no kink
  gradcheck('relu2', [x], () => ops.relu2(x));
  const y = randTensor(rng, [3, 10], 2);
  gradcheck('swiglu', [y], () => ops.swiglu(y));
  const z = randTensor(rng, [4, 5], 20);
  gradcheck('softcap', [z], () => ops.softcap(z, 15));
});

test('gradcheck: a whole tiny GPT in float64 with every recipe option', async () => {
  const { GPT } = await import('../src/index.js');
  const variants = [
    { positions: 'rope', norm: 'rmsnorm', qkNorm: true, mlp: 'relu2', tieEmbeddings: false, logitSoftcap: 5 },
    { positions: 'rope', mlp: 'swiglu', mlpHidden: 5, bias: false },
    { qkNorm: true, mlp: 'gelu', tieEmbeddings: false },
  ];
  for (const v of variants) {
    const model = new GPT({ vocabSize: 7, blockSize: 5, nLayer: 2, nHead: 3, nEmbd: 6, bias: true, ...v }, { f64: true, rng: new Rng(8) });
    for (let i = 0; i < model.params.data.length; i++) model.params.data[i] += new Rng(i).normal() * 0.3;
    const idx = Int32Array.from([1, 2, 3, 6, 0, 5, 5, 4]);
    const tgt = Int32Array.from([2, 3, 6, 0, 5, 4, 1, 1]);
    const lossAt = () => model.forward(idx, 2, 4, { targets: tgt }).loss!;
    model.params.zeroGrad();
    lossAt().backward();
    const analytic = Float64Array.from(model.params.grads);
    const h = 1e-6;
    const d = model.params.data;
    let worst = 0;
    for (let i = 0; i < d.length; i += 2) {
      const o = d[i];
      d[i] = o + h;
      const fp = lossAt().item();
      d[i] = o - h;
      const fm = lossAt().item();
      d[i] = o;
      worst = Math.max(worst, Math.abs((fp - fm) / (2 * h) - analytic[i]));
    }
    assert.ok(worst < 1e-7, `${JSON.stringify(v)}: model gradient differs from finite differences by ${worst}`);
  }
});

test('gradcheck: a whole tiny GPT in float64', async () => {
  const { GPT } = await import('../src/index.js');
  const model = new GPT({ vocabSize: 7, blockSize: 5, nLayer: 2, nHead: 3, nEmbd: 6, bias: true }, { f64: true, rng: new Rng(8) });
  // larger weights than GPT-2's init so every path carries gradient
  for (let i = 0; i < model.params.data.length; i++) model.params.data[i] += new Rng(i).normal() * 0.3;
  const idx = Int32Array.from([1, 2, 3, 6, 0, 5, 5, 4]);
  const tgt = Int32Array.from([2, 3, 6, 0, 5, 4, 1, 1]);
  const lossAt = () => model.forward(idx, 2, 4, { targets: tgt }).loss!;
  model.params.zeroGrad();
  lossAt().backward();
  const analytic = Float64Array.from(model.params.grads);
  const h = 1e-6;
  const d = model.params.data;
  let worst = 0;
  for (let i = 0; i < d.length; i += 3) {
    const o = d[i];
    d[i] = o + h;
    const fp = lossAt().item();
    d[i] = o - h;
    const fm = lossAt().item();
    d[i] = o;
    worst = Math.max(worst, Math.abs((fp - fm) / (2 * h) - analytic[i]));
  }
  assert.ok(worst < 1e-7, `model gradient differs from finite differences by ${worst}`);
});
