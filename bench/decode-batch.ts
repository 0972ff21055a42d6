/**
 * Batched decoding without the server around it: one decode step (one new token for each of N
 * sequences, each with a 16-token KV cache) on the `gpt2` shape, N = 1, 4, 8, 16, alternating
 * round by round so every N sees the same load. Prints the median step and the tokens/s of N
 * against N = 1: what `scratchlm serve` can reach at N streams once the prompts are prefilled;
 * also the best round of each N, the least disturbed on a shared machine. Each step runs with the
 * weights as they are and packed for decoding (packDecodeWeights, what the server decodes from),
 * alternating, unless --packed says one.
 *
 *   node dist/bench/decode-batch.js [--preset gpt2|baby] [--threads 1] [--rounds 7] [--kernels auto] [--packed both|on|off]
 */
import { parseArgs } from 'node:util';
import { acquireCache, createBackend, decodeStep, GENERATE_BENCH_SHAPES, GPT, packDecodeWeights, prefill, Rng, type KernelKind } from '../src/index.js';

const { values } = parseArgs({ options: { preset: { type: 'string', default: 'gpt2' }, threads: { type: 'string', default: '1' }, rounds: { type: 'string', default: '7' }, kernels: { type: 'string', default: 'auto' }, packed: { type: 'string', default: 'both' } } });
const shape = GENERATE_BENCH_SHAPES[values.preset as keyof typeof GENERATE_BENCH_SHAPES];
if (!shape) throw new Error(`--preset must be one of ${Object.keys(GENERATE_BENCH_SHAPES).join(', ')}`);
const backend = await createBackend({ kernels: values.kernels as KernelKind, threads: Number(values.threads) });
const model = new GPT({ ...shape }, { backend, rng: new Rng(1), inference: true });
const V = shape.vocabSize;
const NS = [1, 4, 8, 16];
const caches = Array.from({ length: 16 }, (_, k) => {
  const c = acquireCache(model);
  prefill(model, c, Array.from({ length: 16 }, (_, i) => (i * 37 + k * 101) % V));
  return c;
});
if (!['both', 'on', 'off'].includes(values.packed!)) throw new Error('--packed must be both, on or off');
const layouts = values.packed === 'both' ? ['weights as they are', 'packed'] : values.packed === 'on' ? ['packed'] : ['weights as they are'];
const packs = layouts.includes('packed') ? packDecodeWeights(model) : null;
const times = new Map<string, number[]>();
for (const l of layouts) for (const n of NS) times.set(`${l} ${n}`, []);
const out = new Float32Array(16 * V); // the logits, reused across steps as the server's decoder does
for (let r = 0; r < Number(values.rounds); r++) {
  for (const n of NS) {
    for (const l of layouts) {
      const cs = caches.slice(0, n);
      const t = performance.now();
      decodeStep(model, cs, cs.map((_, i) => (i * 7 + 5) % V), out, l === 'packed' ? packs : null);
      times.get(`${l} ${n}`)!.push(performance.now() - t);
      for (const c of cs) c.length = 16; // the same positions every round
    }
  }
}
const median = (a: number[]) => a.slice().sort((x, y) => x - y)[a.length >> 1]!;
console.log(`${values.preset}, ${backend.name}, ${values.threads} thread(s), ${values.rounds} rounds`);
for (const l of layouts) {
  const one = median(times.get(`${l} 1`)!);
  const best1 = Math.min(...times.get(`${l} 1`)!);
  for (const n of NS) {
    const ts = times.get(`${l} ${n}`)!;
    const m = median(ts);
    const b = Math.min(...ts); // on a shared machine the best round is the least disturbed one
    console.log(`${l}, N=${String(n).padStart(2)}: median step ${m.toFixed(1)} ms, ${((n * 1000) / m).toFixed(1)} tok/s, ${((n * one) / m).toFixed(2)}x one sequence; best ${b.toFixed(1)} ms, ${((n * best1) / b).toFixed(2)}x`);
  }
}
