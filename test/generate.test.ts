/**
 * Generation through the KV cache against full recomputation (the whole window through
 * GPT.forward at every step): greedy and seeded tokens equal exactly, also past the block size;
 * log-probabilities within 1e-5; batched sequences equal the same sequences run alone; sequences
 * join, leave and are cancelled between steps.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Backend, BatchDecoder, CharTokenizer, DecodeEngine, GPT, Rng, Sampler, type SamplingOptions, type TokenEvent, createBackend, generate, generateText, generateTexts,
  Tensor, logprobsOf, noGrad, ops, packDecodeWeights, refBackend, topIndices,
} from '../src/index.js';
import { acquireCache, prefill, prefillBatch, releaseCache } from '../src/generate/decode.js';
import { NATIVE_BUILT } from './native-helpers.js';

const SCALE = Number(process.env.GEN_SCALE ?? 5);
const CFG = { vocabSize: 37, blockSize: 12, nLayer: 2, nHead: 3, nEmbd: 15, bias: true };

/** A random model with weights large enough that its logits are far from ties. */
function model(backend: Backend, seed = 1, cfg: Record<string, unknown> = CFG): GPT {
  const m = new GPT(cfg, { backend, rng: new Rng(seed), inference: true });
  const d = m.params.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! * SCALE;
  return m;
}

/** The reference: the whole (cropped) window through forward() at every step, same sampler. */
function recompute(m: GPT, prompt: number[], n: number, sampling: SamplingOptions): { tokens: number[]; logprobs: Float64Array[] } {
  const { blockSize, vocabSize: V } = m.config;
  const ctx = [...prompt];
  const s = new Sampler(sampling, V);
  s.addPrompt(ctx.slice(-blockSize));
  const tokens: number[] = [];
  const logprobs: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const w = ctx.slice(-blockSize);
    const logits = m.backend.scope(() =>
      noGrad(() => {
        const idx = m.backend.allocI32(w.length);
        idx.set(w);
        return Float64Array.from(m.forward(idx, 1, w.length, { lastOnly: true }).logits.data);
      }),
    );
    let max = -Infinity;
    for (const x of logits) max = Math.max(max, x);
    let sum = 0;
    for (const x of logits) sum += Math.exp(x - max);
    logprobs.push(logits.map((x) => x - max - Math.log(sum)));
    const t = s.pick(logits);
    tokens.push(t);
    ctx.push(t);
  }
  return { tokens, logprobs };
}

/** Runs requests through one engine; tokens and full log-probability rows per sequence. */
function viaEngine(m: GPT, reqs: { prompt: number[]; n: number; sampling: SamplingOptions; joinAt?: number }[], maxSequences = 8, packWeights = false) {
  const e = new DecodeEngine(m, { maxSequences, packWeights });
  const V = m.config.vocabSize;
  const out = reqs.map(() => ({ tokens: [] as number[], logprobs: [] as Float64Array[], finish: '' }));
  const ids = new Map<number, number>();
  let step = 0;
  const pending = reqs.map((r, i) => ({ r, i }));
  while (pending.length > 0 || e.size > 0) {
    for (let j = pending.length - 1; j >= 0; j--) {
      const { r, i } = pending[j]!;
      if ((r.joinAt ?? 0) <= step) {
        ids.set(e.add({ prompt: r.prompt, maxTokens: r.n, sampling: r.sampling, logprobs: V }), i);
        pending.splice(j, 1);
      }
    }
    for (const ev of e.step()) {
      const o = out[ids.get(ev.seq)!]!;
      o.tokens.push(ev.token);
      const row = new Float64Array(V);
      for (const t of ev.top!) row[t.token] = t.logprob;
      o.logprobs.push(row);
      if (ev.finishReason) o.finish = ev.finishReason;
    }
    step++;
  }
  return out;
}

function closeRows(got: Float64Array[], want: Float64Array[], tol: number, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    for (let v = 0; v < want[i]!.length; v++) {
      const d = Math.abs(got[i]![v]! - want[i]![v]!);
      assert.ok(d <= tol, `${what}: step ${i}, token ${v}: ${got[i]![v]} vs ${want[i]![v]} (|diff| ${d})`);
    }
  }
}

const backends: [string, Promise<Backend>][] = [
  ['ref', Promise.resolve(refBackend)],
  ['wasm, 1 thread', createBackend({ kernels: 'wasm', threads: 1 })],
  ['wasm, 2 threads', createBackend({ kernels: 'wasm', threads: 2 })],
];
if (NATIVE_BUILT) backends.push(['native, 1 thread', createBackend({ kernels: 'native', threads: 1 })], ['native, 2 threads', createBackend({ kernels: 'native', threads: 2 })]);
after(async () => {
  for (const [, p] of backends) ((await p) as { close?: () => void }).close?.();
});

const SAMPLINGS: [string, SamplingOptions][] = [
  ['greedy', { temperature: 0 }],
  ['temperature 0.9, seed 5', { temperature: 0.9, seed: 5 }],
  ['top-k 5, top-p 0.8, min-p 0.05', { temperature: 1.2, topK: 5, topP: 0.8, minP: 0.05, seed: 7 }],
  ['penalties', { temperature: 0.7, repetitionPenalty: 1.3, presencePenalty: 0.5, frequencyPenalty: 0.4, seed: 9 }],
];

for (const [label, p] of backends) {
  test(`KV cache equals recomputation (${label}): tokens exactly, log-probabilities within 1e-5, past the block size`, async () => {
    const m = model(await p);
    for (const [name, sampling] of SAMPLINGS) {
      for (const prompt of [[3], [1, 2, 3, 4, 5], Array.from({ length: 15 }, (_, i) => (i * 7) % 37)]) {
        const n = 20; // prompt + 20 passes the block of 12 every time
        const want = recompute(m, prompt, n, sampling);
        const [got] = viaEngine(m, [{ prompt, n, sampling }]);
        assert.deepEqual(got!.tokens, want.tokens, `${name}, prompt of ${prompt.length}`);
        closeRows(got!.logprobs, want.logprobs, 1e-5, `${name}, prompt of ${prompt.length}`);
        assert.equal(got!.finish, 'length');
      }
    }
  });

  test(`batched prefill (${label}): prompts of different lengths in one pass give each prompt's own logits and cache`, async () => {
    for (const [kind, cfg] of [['learned', { ...CFG, blockSize: 40 }], ['rope, qk-norm', { ...CFG, blockSize: 40, nEmbd: 18, positions: 'rope', qkNorm: true }]] as const) {
      const m = model(await p, 3, cfg);
      const { vocabSize: V, nLayer, nEmbd: C } = m.config;
      // 40 + 33 + 1 rows: more than the small-row limit together, not alone
      const prompts = [Array.from({ length: 40 }, (_, i) => (i * 5) % V), Array.from({ length: 33 }, (_, i) => (i * 3 + 1) % V), [7]];
      const batch = prompts.map(() => acquireCache(m));
      const alone = prompts.map(() => acquireCache(m));
      const got = prefillBatch(m, batch, prompts);
      assert.equal(got.length, prompts.length * V);
      prompts.forEach((pr, i) => {
        const want = prefill(m, alone[i]!, pr);
        for (let v = 0; v < V; v++) assert.ok(Math.abs(got[i * V + v]! - want[v]!) <= 1e-4 * SCALE, `${kind}, prompt ${i}, logit ${v}: ${got[i * V + v]} vs ${want[v]}`);
        assert.equal(batch[i]!.length, pr.length);
        for (let l = 0; l < nLayer; l++)
          for (let j = 0; j < pr.length * C; j++) {
            assert.ok(Math.abs(batch[i]!.k[l]![j]! - alone[i]!.k[l]![j]!) <= 1e-4 * SCALE, `${kind}, prompt ${i}, layer ${l}, key ${j}`);
            assert.ok(Math.abs(batch[i]!.v[l]![j]! - alone[i]!.v[l]![j]!) <= 1e-4 * SCALE, `${kind}, prompt ${i}, layer ${l}, value ${j}`);
          }
      });
      for (const c of [...batch, ...alone]) releaseCache(c);
    }
  });

  test(`packed weights (${label}): 17 sequences decoded from the packed copy equal recomputation; a re-pack follows new weights`, async () => {
    // widths that are not multiples of any panel (12, 24, 48): 48 x 144, 48 x 192, 192 x 48, 48 x 101
    const m = model(await p, 4, { vocabSize: 101, blockSize: 24, nLayer: 2, nHead: 4, nEmbd: 48, bias: true });
    const reqs = Array.from({ length: 17 }, (_, i) => ({ prompt: [i % 101, (i * 7 + 3) % 101], n: 6, sampling: i % 2 ? { temperature: 0.9, seed: i } : { temperature: 0 } }));
    for (const round of [0, 1]) {
      if (round === 1) for (let i = 0; i < m.params.data.length; i += 3) m.params.data[i] = -m.params.data[i]!; // new weights: a new engine packs them again
      const got = viaEngine(m, reqs, 17, true);
      reqs.forEach((r, i) => {
        const want = recompute(m, r.prompt, r.n, r.sampling);
        assert.deepEqual(got[i]!.tokens, want.tokens, `round ${round}, sequence ${i}`);
        // 2e-4: this wider model's float32 rounding between the decode and forward paths reaches
        // 5.3e-5 on wasm too, whose panel is 1 (no packing); a wrong packing is off by whole units
        closeRows(got[i]!.logprobs, want.logprobs, 2e-4, `round ${round}, sequence ${i}`);
      });
    }
    const packed = packDecodeWeights(m)!;
    assert.equal(packed.size, 2 * 4 + 1);
    const w = packed.get('h.0.mlp.c_fc.weight')!;
    assert.deepEqual([w.C, w.OC, w.P], [48, 192, m.backend.kernels.packPanel]);
    if (w.P === 1) assert.equal(w.data, m.params.get('h.0.mlp.c_fc.weight').data, 'panel 1: the weight itself, no copy');
    // a gradient cannot flow through the snapshot
    const x = new Tensor(m.backend.allocF32(48), [1, 48], m.backend, true);
    assert.throws(() => ops.linearPacked(x, w, null), /no backward pass: call it inside noGrad/);
  });

  test(`batched sequences (${label}): joining, leaving and queued ones equal each run alone`, async () => {
    const m = model(await p, 2);
    const reqs = [
      { prompt: [1, 2, 3], n: 9, sampling: { temperature: 0 } },
      { prompt: [4], n: 17, sampling: { temperature: 0.8, seed: 1 }, joinAt: 2 },
      { prompt: [1, 2, 3], n: 5, sampling: { temperature: 0.8, seed: 2 } }, // shares the first one's prefill
      { prompt: Array.from({ length: 11 }, (_, i) => i), n: 6, sampling: { temperature: 1, topK: 3, seed: 3 }, joinAt: 4 },
      { prompt: [9, 9], n: 7, sampling: { temperature: 0.5, seed: 4 }, joinAt: 4 },
    ];
    const together = viaEngine(m, reqs, 3); // three at a time: the others wait in the queue
    for (let i = 0; i < reqs.length; i++) {
      const alone = recompute(m, reqs[i]!.prompt, reqs[i]!.n, reqs[i]!.sampling);
      assert.deepEqual(together[i]!.tokens, alone.tokens, `sequence ${i}`);
      closeRows(together[i]!.logprobs, alone.logprobs, 1e-5, `sequence ${i}`);
    }
  });
}

test('a cancelled sequence leaves at the next step; the others go on unchanged', () => {
  const m = model(refBackend, 3);
  const e = new DecodeEngine(m);
  const a = e.add({ prompt: [1, 2], maxTokens: 10, sampling: { temperature: 0 } });
  const b = e.add({ prompt: [5], maxTokens: 10, sampling: { temperature: 0 } });
  const got: TokenEvent[] = [];
  got.push(...e.step(), ...e.step());
  e.cancel(a);
  assert.equal(e.has(a), false);
  const next = e.step();
  assert.deepEqual(next.find((ev) => ev.seq === a), { seq: a, token: -1, index: 2, text: '', finishReason: 'cancelled' });
  got.push(...next);
  while (e.size > 0) got.push(...e.step());
  const bTokens = got.filter((ev) => ev.seq === b).map((ev) => ev.token);
  assert.deepEqual(bTokens, recompute(m, [5], 10, { temperature: 0 }).tokens);
  assert.equal(got.filter((ev) => ev.seq === a && ev.token >= 0).length, 2);
});

test('generate streams the cached path; stopping early hands the cache back', () => {
  const m = model(refBackend, 4);
  const a = [...generate(m, [1, 2], 20, { temperature: 0.8, rng: new Rng(9) })];
  assert.deepEqual(a, recompute(m, [1, 2], 20, { temperature: 0.8, rng: new Rng(9) }).tokens);
  const it = generate(m, [1], 50, { temperature: 0 });
  it.next();
  it.return(undefined);
  // the cache went back to the pool: the next run reuses it and is still right
  assert.deepEqual([...generate(m, [3, 4], 5, { temperature: 0 })], recompute(m, [3, 4], 5, { temperature: 0 }).tokens);
});

test('an inference model has no gradient buffers and generates the same as a trainable one', () => {
  const inf = new GPT(CFG, { rng: new Rng(5), inference: true });
  const full = new GPT(CFG, { rng: new Rng(5) });
  assert.equal(inf.params.grads.length, 0);
  assert.equal(full.params.grads.length, full.params.count);
  assert.deepEqual([...generate(inf, [1, 2], 15, { temperature: 0 })], [...generate(full, [1, 2], 15, { temperature: 0 })]);
});

test('repeated generation on one model takes no new backend memory (decoders share their step buffers)', async () => {
  const be = (await createBackend({ kernels: 'wasm', threads: 1 })) as Backend & { memoryBytes(): number; close?: () => void };
  try {
    const tok = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .,!?');
    const m = model(be, 6, { ...CFG, vocabSize: tok.vocabSize });
    const once = () => generateTexts(m, tok, { prompts: ['ab', 'cd', 'ef'], maxTokens: 8, temperature: 0.8, seed: 2 }).map((x) => x.text);
    const first = once();
    const peak = be.memoryBytes();
    for (let i = 0; i < 5; i++) assert.deepEqual(once(), first);
    assert.equal(be.memoryBytes(), peak, 'each call allocated persistent buffers');
  } finally {
    be.close?.();
  }
});

test('text: stop strings end the text before them, across tokens; several prompts and samples batched', () => {
  const tok = CharTokenizer.fromText('abcdefghijklmnopqrstuvwxyz .,!?\nABCD');
  const m = model(refBackend, 6, { ...CFG, vocabSize: tok.vocabSize });
  const full = [...generateText(m, tok, { prompt: 'ab', maxTokens: 30, temperature: 0 })].join('');
  assert.equal(full.length, 30);
  // a stop string taken from the middle of the greedy text: the text ends right before it
  const stop = full.slice(10, 13);
  const cut = [...generateText(m, tok, { prompt: 'ab', maxTokens: 30, temperature: 0, stop: [stop, 'never'] })].join('');
  assert.equal(cut, full.slice(0, full.indexOf(stop)));
  const batch = generateTexts(m, tok, { prompts: ['ab', 'cd'], n: 2, maxTokens: 12, temperature: 0.9, seed: 3, logprobs: 2 });
  assert.equal(batch.length, 4);
  const single = generateTexts(m, tok, { prompts: ['cd'], n: 2, maxTokens: 12, temperature: 0.9, seed: 3 });
  assert.deepEqual(batch.filter((s) => s.prompt === 1).map((s) => s.text), single.map((s) => s.text));
  assert.notEqual(batch[0]!.text, batch[1]!.text); // different seeds per sample
  for (const s of batch) {
    assert.equal(s.tokens.length, 12);
    assert.equal(s.logprobs!.length, 12);
    for (const lp of s.logprobs!) {
      assert.equal(lp.top.length, 2);
      assert.ok(lp.top[0]!.logprob >= lp.top[1]!.logprob && lp.logprob <= 0);
    }
  }
});

test('bad requests: one-line errors', () => {
  const m = model(refBackend);
  const e = new DecodeEngine(m);
  const bad: [object, RegExp][] = [
    [{ prompt: [], maxTokens: 3 }, /at least one token/],
    [{ prompt: [99], maxTokens: 3 }, /outside the vocabulary \(0\.\.36\)/],
    [{ prompt: [1], maxTokens: 0 }, /whole number ≥ 1/],
    [{ prompt: [1], maxTokens: 3, sampling: { topP: 0 } }, /top-p must be in \(0, 1\]/],
    [{ prompt: [1], maxTokens: 3, sampling: { minP: 2 } }, /min-p must be in \[0, 1\]/],
    [{ prompt: [1], maxTokens: 3, sampling: { repetitionPenalty: 0 } }, /repetition penalty must be a number > 0/],
    [{ prompt: [1], maxTokens: 3, sampling: { presencePenalty: 3 } }, /presence penalty must be in \[-2, 2\]/],
    [{ prompt: [1], maxTokens: 3, stop: ['x'] }, /need the engine to have a tokenizer/],
    [{ prompt: [1], maxTokens: 3, logprobs: -1 }, /logprobs must be a whole number/],
  ];
  for (const [req, msg] of bad) assert.throws(() => e.add(req as never), (err: Error) => msg.test(err.message) && !err.message.includes('\n'), String(msg));
  assert.equal(e.size, 0);
});

// issue 13's options in the cached path: rotary positions turn each cached key at its own position,
// QK-norm, RMSNorm, ReLU²/SwiGLU, an untied head and the soft-cap run through the same layer methods
const RECIPES: Record<string, unknown>[] = [
  { positions: 'rope', norm: 'rmsnorm', qkNorm: true, mlp: 'relu2', tieEmbeddings: false, logitSoftcap: 8 },
  { positions: 'rope', mlp: 'swiglu', mlpHidden: 20, bias: false },
  { qkNorm: true, norm: 'rmsnorm', tieEmbeddings: false },
];
for (const [label, p] of backends) {
  test(`KV cache equals recomputation with the recipe options (${label}): tokens exactly, log-probabilities within 3e-5, past the block size`, async () => {
    for (const recipe of RECIPES) {
      const m = model(await p, 4, { ...CFG, nEmbd: 18, ...recipe });
      for (const [name, sampling] of SAMPLINGS.slice(0, 2)) {
        for (const prompt of [[3], Array.from({ length: 15 }, (_, i) => (i * 7) % 37)]) {
          const want = recompute(m, prompt, 16, sampling);
          const [got] = viaEngine(m, [{ prompt, n: 16, sampling }]);
          assert.deepEqual(got!.tokens, want.tokens, `${JSON.stringify(recipe)} ${name}, prompt of ${prompt.length}`);
          // 3e-5: SwiGLU's products of scaled-up weights make larger activations, so float32
          // rounding of the decode kernels' other summation order reaches 1.1e-5 on the wasm kernels
          closeRows(got!.logprobs, want.logprobs, 3e-5, `${JSON.stringify(recipe)} ${name}`);
        }
      }
    }
  });
}

test('a held sequence sits out steps and then goes on with the same tokens', () => {
  const m = model(refBackend, 7);
  const e = new DecodeEngine(m);
  const a = e.add({ prompt: [1, 2], maxTokens: 8, sampling: { temperature: 0.9, seed: 1 } });
  const b = e.add({ prompt: [3], maxTokens: 8, sampling: { temperature: 0.9, seed: 2 } });
  const toks = new Map<number, number[]>([[a, []], [b, []]]);
  for (let i = 0; e.size > 0; i++) {
    if (i === 2) e.hold(a);
    if (i === 6) e.hold(a, false);
    const evs = e.step();
    if (i >= 2 && i < 6) assert.ok(evs.every((ev) => ev.seq !== a), `step ${i}`);
    for (const ev of evs) toks.get(ev.seq)!.push(ev.token);
  }
  assert.deepEqual(toks.get(a), recompute(m, [1, 2], 8, { temperature: 0.9, seed: 1 }).tokens);
  assert.deepEqual(toks.get(b), recompute(m, [3], 8, { temperature: 0.9, seed: 2 }).tokens);
});

test('BatchDecoder: any subset per step gives each sequence its own tokens; scorePrompt is teacher forcing', async () => {
  const m = model(await backends[2]![1], 8);
  const d = new BatchDecoder(m);
  const reqs = [[1, 2, 3], [4], [5, 6]];
  const seqs = reqs.map((p, i) => d.add(p, { temperature: 0.8, seed: i, logprobs: 2 }));
  const got = reqs.map(() => [] as number[]);
  for (let step = 0; step < 9; step++) {
    const pick = seqs.filter((_, i) => (step + i) % 3 !== 0); // a different two every step
    d.step(pick).forEach((c, j) => {
      got[seqs.indexOf(pick[j]!)]!.push(c.token);
      assert.equal(c.top.length, 2);
    });
  }
  reqs.forEach((p, i) => assert.deepEqual(got[i], recompute(m, p, got[i]!.length, { temperature: 0.8, seed: i }).tokens));
  d.remove(seqs[0]!);
  assert.throws(() => d.step([seqs[0]!]), /not running here/);
  const prompt = [7, 8, 9, 10];
  const scores = d.scorePrompt(prompt, 3);
  assert.equal(scores[0], null);
  for (let t = 1; t < prompt.length; t++) {
    const want = recompute(m, prompt.slice(0, t), 1, { temperature: 0 }).logprobs[0]!;
    assert.ok(Math.abs(scores[t]!.logprob - want[prompt[t]!]!) < 1e-5);
    assert.equal(scores[t]!.top[0]!.logprob, Math.max(...scores[t]!.top.map((x) => x.logprob)));
  }
});

test('sampler: partial selection equals a sort, no sort of the vocabulary, penalties and filters as defined', () => {
  const r = new Rng(11);
  const vals = Float32Array.from({ length: 5000 }, () => Math.round(r.normal() * 20) / 4); // many ties
  const sorted = Array.from(vals.keys()).sort((a, b) => vals[b]! - vals[a]! || a - b); // the test's own oracle
  for (const k of [1, 7, 64, 5000]) assert.deepEqual(Array.from(topIndices(vals, k)), sorted.slice(0, k));
  // a 50,257-token row: top-k, top-p and plain draws never call a sort
  const V = 50257;
  const logits = Float32Array.from({ length: V }, () => r.normal() * 3);
  const sorts = [Array.prototype, Float32Array.prototype, Int32Array.prototype, Float64Array.prototype].map((p) => [p, p.sort] as const);
  for (const [p] of sorts) p.sort = () => assert.fail('sorted the vocabulary');
  try {
    for (const o of [{ topK: 40 }, { topP: 0.9 }, { topP: 0.999, minP: 0.001 }, {}]) new Sampler({ ...o, seed: 1 }, V).pick(logits);
  } finally {
    for (const [p, f] of sorts) p.sort = f as never;
  }
  // filters keep exactly the tokens they define
  const row = Float32Array.from([2, 1, 0, 3, -1]); // p ∝ e^x
  const support = (o: SamplingOptions) => {
    const s = new Sampler({ ...o, seed: 3 }, row.length);
    return [...new Set(Array.from({ length: 400 }, () => s.pick(row)))].sort();
  };
  assert.deepEqual(support({ topK: 2 }), [0, 3]);
  assert.deepEqual(support({ topP: 0.7 }), [0, 3]); // 0.64 after token 3, 0.88 with token 0
  assert.deepEqual(support({ minP: 0.3 }), [0, 3]); // e^-1 = 0.37 ≥ 0.3 > e^-2
  assert.deepEqual(support({ temperature: 0 }), [3]);
  // greedy with penalties: token 3 (logit 3) loses once generated, by the stated arithmetic
  const pen = (o: SamplingOptions, picks: number) => {
    const s = new Sampler({ temperature: 0, ...o }, row.length);
    return Array.from({ length: picks }, () => s.pick(row));
  };
  assert.deepEqual(pen({ repetitionPenalty: 2 }, 3), [3, 0, 3]); // seen: 3 → 1.5 < 2; then 2 → 1 < 1.5 (not cumulative)
  assert.deepEqual(pen({ presencePenalty: 1.5 }, 2), [3, 0]); // 3 - 1.5 < 2
  assert.deepEqual(pen({ frequencyPenalty: 0.6 }, 3), [3, 3, 0]); // 2.4, then 1.8 < 2
  const rp = new Sampler({ temperature: 0, repetitionPenalty: 4 }, row.length);
  rp.addPrompt([3]);
  assert.equal(rp.pick(row), 0); // the prompt counts for the repetition penalty
  // log-probabilities: the model's log-softmax, top-N most likely first
  const lp = logprobsOf(row, 1, 2);
  const lse = Math.log(Array.from(row).reduce((a, x) => a + Math.exp(x), 0));
  assert.ok(Math.abs(lp.logprob - (1 - lse)) < 1e-12);
  assert.deepEqual(lp.top.map((t) => t.token), [3, 0]);
});
