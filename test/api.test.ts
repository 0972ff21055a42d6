/** The high-level API a user reaches first (src/api/gpt.ts) and the low-level pieces' plain-array boundary. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADAMW_DEFAULTS, AdamW, createBackend, GPT, GPTNetwork, refBackend, Rng, trainStep } from '../src/index.js';
import { SHARED } from './paths.js';

const TEXT = readFileSync(join(SHARED, 'data', 'tinyshakespeare.txt'), 'utf8').slice(0, 20000);
const SMALL = { nLayer: 1, nHead: 2, nEmbd: 16, blockSize: 16, batchSize: 4, evalInterval: 3, evalIters: 1 } as const;
const dir = mkdtempSync(join(tmpdir(), 'scratchlm-api-'));

test('GPT.create → fit → generate on the fastest backend; fit reports steps; same seed, same text', async () => {
  const model = await GPT.create({ text: TEXT, ...SMALL });
  assert.match(model.backend.name, /^(native|wasm)/); // the fastest this Node has: native when the addon built
  assert.equal(model.tokenizer?.kind, 'char');
  const seen: number[] = [];
  const r = await model.fit(TEXT, { steps: 6, onStep: (s) => seen.push(s.step) });
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
  assert.equal(r.steps, 6);
  assert.equal(r.status, 'done');
  assert.ok(Number.isFinite(r.loss) && Number.isFinite(r.valLoss!));
  const a = await model.generate('ROMEO:', { maxTokens: 20, seed: 3 });
  assert.equal(a, await model.generate('ROMEO:', { maxTokens: 20, seed: 3 }));
  assert.ok(a.length > 0);
  let streamed = '';
  for await (const piece of model.stream('ROMEO:', { maxTokens: 20, seed: 3 })) streamed += piece;
  assert.equal(streamed, a);
  const n = model.next('ROMEO', { top: 3 });
  assert.equal(n.top.length, 3);
  assert.ok(Math.abs(n.top.reduce((s, t) => s + t.prob, 0)) <= 1 + 1e-6);
  await assert.rejects(model.fit(TEXT, { nLayer: 2 } as never), /nLayer' is a model setting/);
  await assert.rejects(model.fit(TEXT, { stepz: 1 } as never), /unknown option 'stepz'/);
  await assert.rejects(GPT.create({ vocabSize: 10, bogus: 1 } as never), /unknown option 'bogus'/);
});

test('save → load → fit continues exactly: 3 + 3 steps give the losses of 6 straight', async () => {
  const losses = async (m: GPT, steps: number) => {
    const out: number[] = [];
    await m.fit(TEXT, { steps, lrDecayIters: 6, warmupIters: 1, onStep: (s) => out.push(s.loss) });
    return out;
  };
  const straight = await losses(await GPT.create({ text: TEXT, ...SMALL, dropout: 0.1 }), 6);
  const first = await GPT.create({ text: TEXT, ...SMALL, dropout: 0.1 });
  const a = await losses(first, 3);
  await first.save(join(dir, 'half'));
  const again = await GPT.load(join(dir, 'half'));
  assert.equal(again.step, 3);
  const b = await losses(again, 3);
  assert.deepEqual([...a, ...b], straight);
});

test('toFiles({ checkpoint: true }) → fromFiles → fit continues exactly (3 + 3 = 6 straight), also from a run folder loaded and not yet fit; wrong files fail in one line', async () => {
  const losses = async (m: GPT, steps: number) => {
    const out: number[] = [];
    await m.fit(TEXT, { steps, lrDecayIters: 6, warmupIters: 1, onStep: (s) => out.push(s.loss) });
    return out;
  };
  const straight = await losses(await GPT.create({ text: TEXT, ...SMALL, dropout: 0.1 }), 6);
  const first = await GPT.create({ text: TEXT, ...SMALL, dropout: 0.1 });
  const a = await losses(first, 3);
  // as a page keeps them: bytes copied out (IndexedDB, a download) and handed back
  const stored = Object.fromEntries(Object.entries(first.toFiles({ checkpoint: true })).map(([k, v]) => [k, Uint8Array.from(v)]));
  assert.deepEqual(Object.keys(stored).sort(), ['checkpoint.json', 'config.json', 'model.safetensors', 'optimizer.safetensors', 'settings.json', 'tokenizer.json']);
  const again = await GPT.fromFiles(stored);
  assert.equal(again.step, 3);
  assert.deepEqual([...a, ...(await losses(again, 3))], straight);

  // a run folder loaded but not fit yet: its checkpoint bytes continue it just the same
  await first.save(join(dir, 'bytes-run'));
  const fromDir = (await GPT.load(join(dir, 'bytes-run'))).toFiles({ checkpoint: true });
  assert.ok(fromDir['optimizer.safetensors']);
  assert.deepEqual([...a, ...(await losses(await GPT.fromFiles(fromDir), 3))], straight);

  const { 'optimizer.safetensors': _o, ...noMoments } = stored;
  void _o;
  await assert.rejects(GPT.fromFiles(noMoments), /'optimizer.safetensors' is missing/);
  await assert.rejects(GPT.fromFiles({ ...stored, 'checkpoint.json': new TextEncoder().encode('{"step": 3}') }), /checkpoint.json: not a scratchlm checkpoint \(format is not scratchlm-checkpoint-bytes\)/);
  const other = (await GPT.create({ text: TEXT, ...SMALL, nEmbd: 32 })).toFiles();
  await assert.rejects(GPT.fromFiles({ ...other, 'checkpoint.json': stored['checkpoint.json']!, 'optimizer.safetensors': stored['optimizer.safetensors']! }), /checkpoint.json is of a model with nEmbd 16, config.json says 32/);
  // a fresh model's checkpoint: step 0, no moments to keep
  const fresh = (await GPT.create({ text: TEXT, ...SMALL })).toFiles({ checkpoint: true });
  assert.equal(fresh['optimizer.safetensors'], undefined);
  assert.equal((await GPT.fromFiles(fresh)).step, 0);
});

test('toFiles of a modern-recipe model (rotary, RMSNorm, untied head, Muon): no config.json, checkpoint.json holds the config; same logits; fit continues exactly', async () => {
  const opts = { preset: 'baby-fast', text: TEXT, ...SMALL, dropout: 0 } as const;
  const losses = async (m: GPT, steps: number) => {
    const out: number[] = [];
    await m.fit(TEXT, { steps, lrDecayIters: 6, warmupIters: 1, onStep: (s) => out.push(s.loss) });
    return out;
  };
  const straight = await losses(await GPT.create(opts), 4);
  const model = await GPT.create(opts);
  const a = await losses(model, 2);
  const files = model.toFiles();
  assert.deepEqual(Object.keys(files).sort(), ['checkpoint.json', 'model.safetensors', 'optimizer.safetensors', 'settings.json', 'tokenizer.json']);
  const back = await GPT.fromFiles(files, { backend: model.backend });
  assert.deepEqual({ ...back.config }, { ...model.config });
  const idx = Int32Array.from(model.tokenizer!.encode('ROMEO: hello'));
  const l1 = model.backend.scope(() => Array.from(model.forward(idx, 1, idx.length).logits.data));
  const l2 = back.backend.scope(() => Array.from(back.forward(idx, 1, idx.length).logits.data));
  assert.deepEqual(l2, l1);
  assert.deepEqual([...a, ...(await losses(back, 2))], straight);
  const { 'checkpoint.json': _c, ...weightsOnly } = files;
  void _c;
  await assert.rejects(GPT.fromFiles(weightsOnly), /'config.json' is missing/);
});

test('toFiles / fromFiles: the same logits; files are a Hugging Face GPT-2 folder', async () => {
  const model = await GPT.create({ text: TEXT, ...SMALL, seed: 5 });
  const files = model.toFiles();
  assert.deepEqual(Object.keys(files).sort(), ['config.json', 'model.safetensors', 'settings.json', 'tokenizer.json']);
  const back = await GPT.fromFiles(files, { backend: model.backend });
  const idx = Int32Array.from(model.tokenizer!.encode('ROMEO: hello'));
  const l1 = model.backend.scope(() => Array.from(model.forward(idx, 1, idx.length).logits.data));
  const l2 = back.backend.scope(() => Array.from(back.forward(idx, 1, idx.length).logits.data));
  assert.deepEqual(l2, l1);
  assert.equal(back.tokenizer!.decode(idx as unknown as number[]), 'ROMEO: hello');
});

test('low level: plain Int32Arrays on the wasm kernels, trainStep options, AdamW defaults, new GPT warns once without a backend', async () => {
  const be = await createBackend({ kernels: 'wasm', threads: 1 });
  const cfg = { vocabSize: 11, blockSize: 8, nLayer: 1, nHead: 2, nEmbd: 8 };
  const m = new GPT(cfg, { backend: be, rng: new Rng(1) });
  const r = new GPTNetwork(cfg, { backend: refBackend, rng: new Rng(1) });
  const idx = Int32Array.from({ length: 16 }, (_, i) => (i * 7) % 11); // plain memory, not the backend's
  const targets = Int32Array.from({ length: 16 }, (_, i) => (i * 5 + 1) % 11);
  const lw = be.scope(() => m.forward(idx, 2, 8, { targets }).loss!.item());
  const lr = r.forward(idx, 2, 8, { targets }).loss!.item();
  assert.ok(Math.abs(lw - lr) < 1e-5, `${lw} vs ${lr}`);
  assert.throws(() => m.forward(idx, 3, 8), /idx holds 16 ids, expected B × T = 3 × 8 = 24/);
  const opt = new AdamW(m);
  assert.deepEqual({ ...opt.settings }, { ...ADAMW_DEFAULTS });
  assert.deepEqual({ ...ADAMW_DEFAULTS }, { lr: 6e-4, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  assert.throws(() => new AdamW(m, { beta3: 1 } as never), /unknown setting 'beta3'/);
  const first = trainStep(m, opt, { idx, targets, T: 8 }).loss;
  for (let i = 0; i < 20; i++) trainStep(m, new AdamW(m, { lr: 0 }), { idx, targets, T: 8 }); // lr 0: nothing moves
  const again = trainStep(m, opt, { idx, targets, T: 8, lr: 1e-2 }).loss;
  assert.ok(again < first, `${again} < ${first}`);
  assert.throws(() => trainStep(m, opt, { idx, targets, T: 5 }), /not a multiple of T = 5/);
  // a fresh process: new GPT without a backend says once that it runs the reference kernels
  const src = `import { GPT, Rng } from ${JSON.stringify(new URL('../src/index.js', import.meta.url).href)};
    const cfg = ${JSON.stringify(cfg)};
    const a = new GPT(cfg, { rng: new Rng(1) }); new GPT(cfg, { rng: new Rng(1) });
    console.log(a.backend.name);`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', src], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'ref');
  assert.equal(child.stderr.trim().split('\n').length, 1, child.stderr);
  assert.match(child.stderr, /new GPT\(config\) without a backend runs the reference kernels.*await GPT\.create/);
});
