/**
 * Where a batched decode step's time goes: every kernel call of `decodeStep` on the `gpt2` shape
 * (N sequences, 16 cached positions each) timed by kind (products by shape), over 15 steps; per
 * kind the best step's total, the least disturbed on a shared machine, and the step's median and
 * best wall time beside their sum (the rest is JavaScript).
 *
 * The products read the weights packed for decoding (packDecodeWeights, as the server does)
 * unless --packed off.
 *
 *   node dist/bench/decode-profile.js [--threads 1] [--n 16] [--preset gpt2|baby] [--packed on|off]
 */
import { parseArgs } from 'node:util';
import { acquireCache, createBackend, decodeStep, GENERATE_BENCH_SHAPES, GPT, packDecodeWeights, prefill, Rng, type Backend } from '../src/index.js';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'gpt2' }, threads: { type: 'string', default: '1' }, n: { type: 'string', default: '16' }, packed: { type: 'string', default: 'on' } } });
const shape = GENERATE_BENCH_SHAPES[values.preset as keyof typeof GENERATE_BENCH_SHAPES];
if (!shape) throw new Error(`--preset must be one of ${Object.keys(GENERATE_BENCH_SHAPES).join(', ')}`);
const N = Number(values.n);
const ROUNDS = 15;
const inner = await createBackend({ kernels: 'auto', threads: Number(values.threads) });
// the model sees a backend whose kernels are timed wrappers of the real ones (the backend is frozen)
const real = inner.kernels as unknown as Record<string, unknown>;
const timed: Record<string, unknown> = { ...real };
const acc = new Map<string, { ms: number[]; calls: number }>();
let round = 0;
for (const [name, f] of Object.entries(real)) {
  if (typeof f !== 'function') continue;
  timed[name] = (x: { C?: number; OC?: number }) => {
    const t = performance.now();
    const r = (f as (x: unknown) => unknown).call(real, x);
    const key = name === 'matmulForward' || name === 'matmulPacked' ? `${name} ${x.C}x${x.OC}` : name;
    const e = acc.get(key) ?? { ms: new Array<number>(ROUNDS).fill(0), calls: 0 };
    e.ms[round]! += performance.now() - t;
    e.calls++;
    acc.set(key, e);
    return r;
  };
}
const backend = Object.create(inner, { kernels: { value: timed } }) as Backend;
const model = new GPT({ ...shape }, { backend, rng: new Rng(1), inference: true });
const V = shape.vocabSize;
const caches = Array.from({ length: N }, (_, k) => {
  const c = acquireCache(model);
  prefill(model, c, Array.from({ length: 16 }, (_, i) => (i * 37 + k * 101) % V));
  return c;
});
const packs = values.packed === 'off' ? null : packDecodeWeights(model);
acc.clear();
const out = new Float32Array(N * V);
const steps: number[] = [];
for (round = 0; round < ROUNDS; round++) {
  const t = performance.now();
  decodeStep(model, caches, caches.map((_, i) => (i * 7 + 5) % V), out, packs);
  steps.push(performance.now() - t);
  for (const c of caches) c.length = 16;
}
let sum = 0;
console.log(`${values.preset}, ${inner.name}, ${values.threads} thread(s), N=${N}, ${ROUNDS} steps`);
for (const [k, e] of [...acc].sort((a, b) => Math.min(...b[1].ms) - Math.min(...a[1].ms))) {
  const best = Math.min(...e.ms);
  sum += best;
  console.log(`${k.padEnd(28)} best ${best.toFixed(2).padStart(6)} ms/step  ${e.calls / ROUNDS} calls`);
}
steps.sort((a, b) => a - b);
console.log(`step median ${steps[ROUNDS >> 1]!.toFixed(1)} ms, best ${steps[0]!.toFixed(1)} ms; kernels' best ${sum.toFixed(1)} ms`);
(inner as { close?: () => void }).close?.();
