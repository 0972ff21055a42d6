/** Training pieces without the CLI: config and presets, schedule, token files, prepare, batches, memory, curve. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PRESETS, ScratchError, TokenFile, TokenFileWriter, batchPieces, checkMemory, estimateMemory, memoryBudget, evalRng, flagName, getBatch, keyFromFlag, learningRate,
  lossCurveSvg, openDataFolder, parseSetting, prepareData, resolveRunConfig, Rng, stripBrownTags,
} from '../src/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'scratchlm-train-'));

test('presets: baby is nanoGPT\'s CPU run, shakespeare is shakespeare_char', () => {
  const b = resolveRunConfig({ preset: 'baby', vocabSize: 65 });
  // the recipe's keys (issue 13) at GPT-2's defaults
  const gpt2 = { positions: 'learned', ropeBase: 10000, norm: 'layernorm', qkNorm: false, mlp: 'gelu', mlpHidden: 0, tieEmbeddings: true, zeroInitProj: false, logitSoftcap: 0 };
  assert.deepEqual({ ...b.model }, { vocabSize: 65, blockSize: 64, nLayer: 4, nHead: 4, nEmbd: 128, bias: false, dropout: 0, ...gpt2 });
  const t = b.train;
  assert.deepEqual([t.batchSize, t.lr, t.minLr, t.lrDecayIters, t.warmupIters, t.beta1, t.beta2, t.weightDecay, t.gradClip, t.evalInterval, t.evalIters, t.maxIters], [12, 1e-3, 1e-4, 2000, 100, 0.9, 0.99, 0.1, 1, 250, 20, 2000]);
  const s = resolveRunConfig({ preset: 'shakespeare', vocabSize: 65 });
  assert.deepEqual([s.model.nLayer, s.model.nHead, s.model.nEmbd, s.model.blockSize, s.model.dropout, s.train.batchSize, s.train.maxIters], [6, 6, 384, 256, 0.2, 64, 5000]);
  assert.ok(Object.isFrozen(b) && Object.isFrozen(b.train) && Object.isFrozen(b.model));
  assert.ok(PRESETS.brown);
  const f = resolveRunConfig({ preset: 'baby-fast', vocabSize: 65 });
  assert.deepEqual([f.model.nLayer, f.model.nEmbd, f.model.blockSize, f.train.batchSize, f.train.evalInterval, f.train.evalIters], [4, 128, 64, 12, 250, 20]); // baby's shape, batch, evaluation
  assert.deepEqual([f.model.positions, f.model.norm, f.model.mlp, f.train.optimizer, f.train.schedule], ['rope', 'rmsnorm', 'relu2', 'muon', 'wsd']);
});

test('config: file and flags override the preset; unknown keys and wrong types are one-line errors', () => {
  const c = resolveRunConfig({ preset: 'baby', file: { model: { nLayer: 2 }, train: { lr: 3e-4 } }, overrides: { batchSize: 4 }, vocabSize: 10 });
  assert.equal(c.model.nLayer, 2);
  assert.equal(c.train.lr, 3e-4);
  assert.equal(c.train.batchSize, 4);
  assert.throws(() => resolveRunConfig({ file: { learningRate: 1 }, vocabSize: 10 }), /unknown setting 'learningRate'/);
  assert.throws(() => resolveRunConfig({ overrides: { batchSize: 'x' }, vocabSize: 10 }), (e: Error) => e instanceof ScratchError && /'batchSize' must be an integer/.test(e.message));
  assert.throws(() => resolveRunConfig({ preset: 'huge', vocabSize: 10 }), /unknown preset 'huge'/);
  assert.throws(() => parseSetting('lr', 'fast'), /'lr' must be a number/);
  assert.throws(() => resolveRunConfig({ overrides: { nEmbd: 10, nHead: 3 }, vocabSize: 5 }), /divisible/);
  assert.equal(parseSetting('bias', 'true'), true);
  assert.equal(flagName('batchSize'), 'batch-size');
  assert.equal(keyFromFlag('lr-decay-iters'), 'lrDecayIters');
  assert.equal(keyFromFlag('nope'), undefined);
});

test('learning rate: linear warm-up, cosine decay to minLr, then minLr (nanoGPT get_lr)', () => {
  const t = resolveRunConfig({ vocabSize: 5 }).train;
  assert.equal(learningRate(0, t), 1e-3 / 101);
  assert.equal(learningRate(99, t), (1e-3 * 100) / 101);
  assert.ok(Math.abs(learningRate(100, t) - 1e-3) < 1e-15);
  assert.ok(Math.abs(learningRate(1050, t) - (1e-4 + 0.5 * 9e-4)) < 1e-12);
  assert.ok(Math.abs(learningRate(2000, t) - 1e-4) < 1e-15);
  assert.equal(learningRate(3000, t), 1e-4);
  const flat = resolveRunConfig({ overrides: { decayLr: false }, vocabSize: 5 }).train;
  assert.equal(learningRate(7, flat), 1e-3);
});

test('learning rate, warmup-stable-decay: warm-up, flat at lr, linear cool-down over the last cooldownFrac to minLr', () => {
  const t = resolveRunConfig({ overrides: { schedule: 'wsd', cooldownFrac: 0.25, lrDecayIters: 1000, warmupIters: 50 }, vocabSize: 5 }).train;
  assert.equal(learningRate(0, t), 1e-3 / 51);
  assert.equal(learningRate(50, t), 1e-3);
  assert.equal(learningRate(750, t), 1e-3);
  assert.ok(Math.abs(learningRate(875, t) - (1e-3 + 0.5 * (1e-4 - 1e-3))) < 1e-15);
  assert.ok(Math.abs(learningRate(1000, t) - 1e-4) < 1e-15);
  assert.equal(learningRate(1200, t), 1e-4);
});

test('token files: uint16 and uint32 round trips, versioned header, corruption caught', () => {
  const dir = tmp();
  for (const V of [65, 70000]) {
    const p = join(dir, `t${V}.bin`);
    const w = new TokenFileWriter(p, V);
    const ids = Array.from({ length: 1000 }, (_, i) => (i * 7919) % V);
    w.append(ids.slice(0, 400));
    w.append(ids.slice(400));
    w.finish();
    const f = TokenFile.open(p);
    assert.equal(f.count, 1000);
    assert.equal(f.vocabSize, V);
    assert.equal(readFileSync(p).length, 32 + 1000 * (V <= 65536 ? 2 : 4));
    const out = new Int32Array(10);
    f.read(500, 10, out);
    assert.deepEqual([...out], ids.slice(500, 510));
  }
  const p = join(dir, 't65.bin');
  const bytes = readFileSync(p);
  writeFileSync(join(dir, 'cut.bin'), bytes.subarray(0, bytes.length - 3));
  assert.throws(() => TokenFile.open(join(dir, 'cut.bin')), /truncated or corrupt/);
  const bad = Buffer.from(bytes);
  bad[0] = 0x58;
  writeFileSync(join(dir, 'magic.bin'), bad);
  assert.throws(() => TokenFile.open(join(dir, 'magic.bin')), /not a usable token file/);
  assert.throws(() => new TokenFileWriter(join(dir, 'x.bin'), 5).append([5]), /outside the vocabulary/);
});

test('prepare: char tokenizer, nanoGPT split (first 90 %), tokenizer beside the data; batches are T+1 windows', () => {
  const dir = tmp();
  const text = 'hello world, this is a small corpus.\n'.repeat(50);
  writeFileSync(join(dir, 'a.txt'), text);
  const meta = prepareData([join(dir, 'a.txt')], join(dir, 'data'), { tokenizer: 'char' });
  assert.equal(meta.train + meta.val, text.length);
  assert.equal(meta.train, Math.floor(text.length * 0.9));
  const d = openDataFolder(join(dir, 'data'));
  assert.equal(d.tokenizer.kind, 'char');
  const all = new Int32Array(d.train.count);
  d.train.read(0, d.train.count, all);
  assert.equal(d.tokenizer.decode(all), text.slice(0, meta.train));
  const b = getBatch(d.val, 3, 8, new Rng(1));
  for (let i = 0; i < 3; i++) assert.deepEqual([...b.idx.subarray(i * 8 + 1, i * 8 + 8)], [...b.targets.subarray(i * 8, i * 8 + 7)]);
  const again = getBatch(d.val, 3, 8, new Rng(1));
  assert.deepEqual(again.idx, b.idx);
  assert.notDeepEqual(getBatch(d.val, 3, 8, evalRng(1, 0, 'val')).idx, getBatch(d.val, 3, 8, evalRng(1, 250, 'val')).idx);
  assert.throws(() => openDataFolder(join(dir, 'nope')), /not a prepared data folder/);
  writeFileSync(join(dir, 'latin1.txt'), Buffer.from([0x68, 0xe9, 0x0a]));
  assert.throws(() => prepareData([join(dir, 'latin1.txt')], join(dir, 'd2'), { tokenizer: 'char' }), /not valid UTF-8/);
});

test('prepare streams: small chunks (UTF-8 characters cut between reads, BPE cut between words) give the same ids as the whole text', () => {
  const dir = tmp();
  let text = '';
  for (let i = 0; text.length < 30000; i++) text += ['Café', 'naïve €5', '😀 emoji', 'ROMEO:\nWhat,  ho!', "it's\n\n  spaced", '\tx  \n y'][i % 6] + (i % 5 === 4 ? '\n' : ' ');
  writeFileSync(join(dir, 'a.txt'), text);
  writeFileSync(join(dir, 'b.txt'), 'second file\n');
  for (const tokenizer of ['char', 'gpt2']) {
    const out = join(dir, tokenizer);
    const meta = prepareData([join(dir, 'a.txt'), join(dir, 'b.txt')], out, { tokenizer, chunkBytes: 777 });
    const d = openDataFolder(out);
    const ids = new Int32Array(meta.train + meta.val);
    d.train.read(0, meta.train, ids);
    d.val.read(0, meta.val, ids, meta.train);
    const want = d.tokenizer.encode(text + 'second file\n', { allowedSpecial: 'none' });
    assert.equal(ids.length, want.length, tokenizer);
    assert.deepEqual([...ids], want, tokenizer);
  }
});

test('memory estimate: counts parameters, gradients, moments and activations; refuses with GiB in the message', () => {
  const c = resolveRunConfig({ vocabSize: 65 }).model;
  const e = estimateMemory(c, 12, 64);
  assert.equal(e.params, e.grads);
  assert.equal(e.optimizer, 2 * e.params);
  assert.ok(e.activations > 0 && e.workspace > 0 && e.total === e.params + e.grads + e.optimizer + e.activations + e.workspace);
  assert.throws(() => checkMemory(e, 1024, 'this run'), /this run needs about 0\.\d+ GiB .* only 0\.000 GiB is available/);
  checkMemory(e, 1 << 30, 'this run');
});

test('batch pieces: the fewest equal pieces that fit; null when one sequence does not', () => {
  const c = resolveRunConfig({ vocabSize: 65 }).model;
  const est = (b: number) => estimateMemory(c, b, 64).total;
  assert.equal(batchPieces(c, 12, 64, est(12)), 1);
  assert.equal(batchPieces(c, 12, 64, est(12) - 1), 2);
  assert.equal(batchPieces(c, 12, 64, est(4) + 1), 3); // 5 does not divide 12
  assert.equal(batchPieces(c, 7, 64, est(6)), 7); // a prime batch splits into single sequences
  assert.equal(batchPieces(c, 12, 64, est(1) - 1), null);
});

test('memory budget: --max-memory or what is available, never past what the kernels address', () => {
  const G = 1024 ** 3;
  assert.deepEqual(memoryBudget(16, 8 * G, 4 * G), { bytes: 4 * G, capped: true });
  assert.deepEqual(memoryBudget(0, 8 * G, 4 * G), { bytes: 4 * G, capped: true });
  assert.deepEqual(memoryBudget(0, 2 * G, 4 * G), { bytes: 2 * G, capped: false });
  assert.deepEqual(memoryBudget(1, 8 * G, 4 * G), { bytes: G, capped: false });
  assert.deepEqual(memoryBudget(64, 8 * G), { bytes: 64 * G, capped: false });
});

test('prepare names the exact offset of the first bad UTF-8 byte, across chunk boundaries and at the end', () => {
  const dir = tmp();
  const b = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  const cases: [Buffer, number, number][] = [
    [b('abc', [0xe2]), 3, 4096], // cut at the end of the file
    [b('hello world', [0xe2, 0x82]), 11, 4096],
    [b('abcd', [0x80], 'efgh'), 4, 4], // a stray continuation byte at a chunk start
    [b('abc', [0xe2], 'efgh'), 3, 4], // a lead byte at a chunk end, then no continuation
    [b('ab', [0xf0, 0x9f, 0x98], 'x'), 2, 1], // one-byte chunks, a 4-byte character cut short
    [b('ab', [0xf0, 0x9f, 0x98, 0x80], 'x', [0xff]), 7, 1],
    [b('x'.repeat(120), [0xe9], 'abc'), 120, 7],
  ];
  cases.forEach(([bytes, at, chunkBytes], i) => {
    writeFileSync(join(dir, `${i}.txt`), bytes);
    assert.throws(() => prepareData([join(dir, `${i}.txt`)], join(dir, `out${i}`), { tokenizer: 'char', chunkBytes }), new RegExp(`first bad byte at offset ${at}\\)`), `case ${i}`);
  });
});

test('Brown corpus: part-of-speech tags stripped, words joined back into text', () => {
  assert.equal(stripBrownTags("\tThe/at jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, Atlanta's/np$ 1/2/cd ./."), 'The jury said "no evidence", Atlanta\'s 1/2.');
});

test('loss curve: an SVG with train and val polylines, axes and labels', () => {
  const svg = lossCurveSvg([{ iter: 0, loss: 4.2 }, { iter: 10, loss: 3.1 }], [{ iter: 0, loss: 4.1 }, { iter: 10, loss: 3.3 }]);
  assert.match(svg, /^<svg /);
  assert.equal(svg.match(/<polyline/g)?.length, 2);
  assert.match(svg, />step</);
  assert.match(svg, />val</);
});
