/** safetensors and Hugging Face GPT-2 folders: round trips and corrupt files. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT, Rng, ScratchError, learningCurves, loadHfGpt2, noGrad, parseMetrics, parseSafetensors, saveHfGpt2, serializeSafetensors } from '../src/index.js';

test('safetensors: F32, I32 and F64 round trip, 8-byte aligned data', () => {
  const f = Float32Array.from([1.5, -2, 3e-38, Infinity]);
  const i = Int32Array.from([-1, 0, 2147483647]);
  const d = Float64Array.from([Math.PI]);
  const bytes = serializeSafetensors([['a', { shape: [2, 2], data: f }], ['b', { shape: [3], data: i }], ['c', { shape: [], data: d }]], { k: 'v' });
  const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal((8 + headerLen) % 8, 0);
  const { tensors, metadata } = parseSafetensors(bytes, 'x');
  assert.deepEqual(metadata, { k: 'v' });
  assert.deepEqual(tensors.get('a'), { dtype: 'F32', shape: [2, 2], data: f });
  assert.deepEqual(tensors.get('b'), { dtype: 'I32', shape: [3], data: i });
  assert.deepEqual(tensors.get('c'), { dtype: 'F64', shape: [], data: d });
});

test('safetensors: truncated, oversized header, bad JSON, wrong sizes all fail with the source named', () => {
  const good = serializeSafetensors([['w', { shape: [4], data: new Float32Array(4) }]]);
  const big = new Uint8Array(16);
  new DataView(big.buffer).setBigUint64(0, 1n << 40n, true);
  const badJson = new Uint8Array(12);
  new DataView(badJson.buffer).setBigUint64(0, 4n, true);
  badJson.set([123, 34, 120, 120], 8); // '{"xx'
  const wrongSize = serializeSafetensors([['w', { shape: [4], data: new Float32Array(4) }]]);
  const json = new TextDecoder().decode(wrongSize.subarray(8, 8 + Number(new DataView(wrongSize.buffer).getBigUint64(0, true))));
  const patched = new TextEncoder().encode(json.replace('[4]', '[5]'));
  const ws = new Uint8Array(wrongSize);
  ws.set(patched, 8);
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, 4), /only 4 bytes/],
    [good.subarray(0, 20), /truncated/],
    [good.subarray(0, good.length - 1), /truncated/],
    [big, /larger than the .* limit/],
    [badJson, /not valid JSON/],
    [ws, /has 16 bytes for shape \[5\]/],
  ];
  for (const [bytes, msg] of cases) {
    assert.throws(() => parseSafetensors(bytes, 'weights.safetensors'), (e: Error) => e instanceof ScratchError && /^weights\.safetensors: /.test(e.message) && msg.test(e.message));
  }
});

test('Hugging Face folder: save then load gives an identical forward pass; no temp files left', () => {
  const cfg = { vocabSize: 11, blockSize: 7, nLayer: 2, nHead: 2, nEmbd: 6, bias: true };
  const m = new GPT(cfg, { rng: new Rng(3) });
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-hf-'));
  saveHfGpt2(m, dir);
  assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors']);
  const conf = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(conf.n_embd, 6);
  assert.equal(conf.activation_function, 'gelu_new');
  // Conv1D layout on disk: c_attn is (in, out) = (6, 18)
  const { tensors } = parseSafetensors(readFileSync(join(dir, 'model.safetensors')), 'm');
  assert.deepEqual(tensors.get('h.0.attn.c_attn.weight')!.shape, [6, 18]);
  const back = loadHfGpt2(dir);
  assert.deepEqual(back.params.data, m.params.data);
  const idx = Int32Array.from([1, 5, 10, 0, 3]);
  const a = noGrad(() => m.forward(idx, 1, 5).logits.data);
  const b = noGrad(() => back.forward(idx, 1, 5).logits.data);
  assert.deepEqual(b, a);
});

test('Hugging Face folder: a model without biases exports zeros and loads back equal', () => {
  const m = new GPT({ vocabSize: 5, blockSize: 4, nLayer: 1, nHead: 1, nEmbd: 4, bias: false }, { rng: new Rng(4) });
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-hf-'));
  saveHfGpt2(m, dir);
  const back = loadHfGpt2(dir);
  const idx = Int32Array.from([1, 2, 3]);
  assert.deepEqual(noGrad(() => back.forward(idx, 1, 3).logits.data), noGrad(() => m.forward(idx, 1, 3).logits.data));
});

test('Hugging Face folder: transformer. prefix, causal-mask buffers and lm_head.weight are accepted', async () => {
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const m = new GPT({ vocabSize: 6, blockSize: 4, nLayer: 1, nHead: 2, nEmbd: 4 }, { rng: new Rng(5) });
  const dir = mkdtempSync(join(tmpdir(), 'scratchlm-hf-'));
  saveHfGpt2(m, dir);
  const p = join(dir, 'model.safetensors');
  const { tensors } = parseSafetensors(readFileSync(p), p);
  const entries: [string, { shape: number[]; data: Float32Array }][] = [...tensors].map(([k, t]) => [`transformer.${k}`, { shape: t.shape, data: t.data as Float32Array }]);
  entries.push(['transformer.h.0.attn.bias', { shape: [1, 1, 4, 4], data: new Float32Array(16).fill(1) }]);
  entries.push(['lm_head.weight', { shape: [6, 4], data: Float32Array.from(m.params.get('wte.weight').data) }]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(p, serializeSafetensors(entries));
  assert.deepEqual(loadHfGpt2(dir).params.data, m.params.data);
});

test('learningCurves reads a metrics.jsonl text: logged steps, evaluations and probes; a cut line is skipped', () => {
  const text = [
    '{"iter":0,"eval":true,"train_loss":4.2,"val_loss":4.25,"probes":[{"prompt":"The k","candidates":[{"text":"i","prob":0.01},{"text":"z","prob":0.02}]}]}',
    '{"iter":0,"train_loss":4.1,"lr":0.001}',
    '{"iter":10,"train_loss":3.0}',
    '{"iter":20,"eval":true,"train_loss":2.5,"val_loss":2.75,"probes":[{"prompt":"The k","candidates":[{"text":"i","prob":0.5}]}]}',
    '{"iter":20,"train_lo', // cut by a crash
    '[1,2]',
    '',
  ].join('\n');
  const records = parseMetrics(text);
  assert.equal(records.length, 4);
  const c = learningCurves(records);
  assert.deepEqual(c.train, [[0, 4.1], [10, 3.0]]);
  assert.deepEqual(c.evals, [{ iter: 0, train: 4.2, val: 4.25 }, { iter: 20, train: 2.5, val: 2.75 }]);
  assert.deepEqual(c.probes, [{ prompt: 'The k', candidates: ['i', 'z'] }]);
  assert.deepEqual(c.probePoints, [{ step: 0, values: [[0.01, 0.02]] }, { step: 20, values: [[0.5, NaN]] }]);
});
