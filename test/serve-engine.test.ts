/** The server's engines agree: batched (KV cache, one forward per step) = recompute, whoever shares the steps. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchedEngine, RecomputeEngine, type DecodeEngine, type SamplingSettings } from '../server/index.js';
import { tinyModel } from './serve-helpers.js';

const greedy: SamplingSettings = { temperature: 0, topK: 0, topP: 1, minP: 0, presencePenalty: 0, frequencyPenalty: 0, repetitionPenalty: 1, seed: 0, logprobs: 2 };

/** Runs sequences that join at different steps; returns each one's tokens and logprobs. */
function run(e: DecodeEngine, specs: { prompt: number[]; at: number; n: number; s: SamplingSettings }[]) {
  const out = specs.map(() => ({ ids: [] as number[], lps: [] as number[] }));
  const live: { i: number; h: ReturnType<DecodeEngine['add']> }[] = [];
  for (let step = 0; live.length || specs.some((x) => x.at >= step); step++) {
    specs.forEach((x, i) => x.at === step && live.push({ i, h: e.add(x.prompt, x.s, x.n) }));
    if (!live.length) continue;
    const toks = e.step(live.map((l) => l.h));
    toks.forEach((t, k) => {
      out[live[k].i].ids.push(t.id);
      out[live[k].i].lps.push(t.logprob);
    });
    for (let k = live.length - 1; k >= 0; k--) {
      if (out[live[k].i].ids.length >= specs[live[k].i].n) {
        e.remove(live[k].h);
        live.splice(k, 1);
      }
    }
  }
  return out;
}

test('batched engine: greedy tokens equal recomputation, sequences joining and leaving at different steps, past the block size', () => {
  const { model } = tinyModel(3, 12);
  const specs = [
    { prompt: [1, 2, 3], at: 0, n: 20, s: greedy },
    { prompt: [4], at: 0, n: 5, s: greedy },
    { prompt: [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], at: 2, n: 9, s: greedy },
    { prompt: [1, 2, 3], at: 3, n: 7, s: greedy },
    { prompt: [20, 21], at: 6, n: 3, s: { ...greedy, repetitionPenalty: 1.3, presencePenalty: 0.5, frequencyPenalty: 0.5 } },
  ];
  const a = run(new BatchedEngine(model, 8), specs);
  const b = run(new RecomputeEngine(model), specs);
  a.forEach((x, i) => {
    assert.deepEqual(x.ids, b[i].ids, `sequence ${i}`);
    x.lps.forEach((lp, k) => assert.ok(Math.abs(lp - b[i].lps[k]) < 1e-4, `sequence ${i} token ${k}: ${lp} vs ${b[i].lps[k]}`));
  });
});

test('batched engine: a seeded sample is the same alone and in company', () => {
  const { model } = tinyModel(4);
  const s = (seed: number): SamplingSettings => ({ ...greedy, temperature: 0.9, topK: 10, topP: 0.95, minP: 0.01, seed, logprobs: -1 });
  const alone = run(new BatchedEngine(model, 8), [{ prompt: [3, 4], at: 0, n: 15, s: s(11) }])[0].ids;
  const crowd = run(new BatchedEngine(model, 8), [
    { prompt: [9], at: 0, n: 30, s: s(1) },
    { prompt: [3, 4], at: 4, n: 15, s: s(11) },
    { prompt: [3, 4], at: 5, n: 15, s: s(12) },
  ]);
  assert.deepEqual(crowd[1].ids, alone);
  assert.notDeepEqual(crowd[2].ids, alone);
});
