/**
 * Kernel micro-benchmark: GFLOP/s of matmul forward and backward on the model's shapes, with 1 and
 * 2 threads (wasm relaxed and plain SIMD, and the native kernels when built), then the time of
 * every kernel at the baby config.
 * Run: npm run build && node dist/bench/kernels.js [--quick]
 *      node dist/bench/kernels.js --kernels native --threads 1 --json   (one backend, one JSON object)
 * Times are medians of repeated runs after a warm-up, so V8's tiers have settled.
 */
import { parseArgs } from 'node:util';
import { type Backend, type KernelKind, type Kernels, createBackend, refBackend } from '../src/index.js';

const { values: flags } = parseArgs({ options: { quick: { type: 'boolean' }, json: { type: 'boolean' }, kernels: { type: 'string' }, threads: { type: 'string' }, help: { type: 'boolean' } } });
// --help runs nothing, after parseArgs has refused any unknown flag (test/readme-shell.test.ts checks the README's lines so)
if (flags.help) {
  console.log('usage: node dist/bench/kernels.js [--quick] [--kernels ref|wasm|native|...] [--threads N] [--json]');
  process.exit(0);
}
const quick = flags.quick === true;

/** Median seconds per call of fn, measured over about `budget` seconds after a warm-up. */
function time(fn: () => void, budget = quick ? 0.05 : 0.25): number {
  for (let i = 0; i < 3; i++) fn();
  const samples: number[] = [];
  const end = performance.now() + budget * 1000;
  while (performance.now() < end || samples.length < 5) {
    const t0 = performance.now();
    fn();
    samples.push((performance.now() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

function fill(a: Float32Array, s = 1): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = s * Math.sin(i * 0.7 + 1);
  return a;
}

const SHAPES: [string, number, number, number][] = [
  ['baby qkv', 768, 128, 384],
  ['baby attproj', 768, 128, 128],
  ['baby fc', 768, 128, 512],
  ['baby fcproj', 768, 512, 128],
  ['baby lm head', 768, 128, 65],
  ['shakespeare qkv', 3072, 384, 1152],
  ['shakespeare fc', 3072, 384, 1536],
  ['shakespeare fcproj', 3072, 1536, 384],
  ['shakespeare lm head', 3072, 384, 65],
];

interface MatmulResult {
  name: string;
  shape: string;
  gflops_fwd: number;
  gflops_bwd: number;
  ms_fwd: number;
  ms_bwd: number;
}

function matmulRow(be: Backend, [name, BT, C, OC]: (typeof SHAPES)[number]): MatmulResult {
  const k = be.kernels;
  const inp = fill(be.allocF32(BT * C));
  const weight = fill(be.allocF32(OC * C), 0.1);
  const bias = fill(be.allocF32(OC));
  const out = be.allocF32(BT * OC);
  const dinp = be.allocF32(BT * C);
  const dweight = be.allocF32(OC * C);
  const dbias = be.allocF32(OC);
  const flops = 2 * BT * C * OC;
  const fwd = time(() => k.matmulForward({ out, inp, weight, bias, BT, C, OC }));
  const bwd = time(() => k.matmulBackward({ dinp, dweight, dbias, dout: out, inp, weight, BT, C, OC }));
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return { name, shape: `${BT}x${C}x${OC}`, gflops_fwd: r1(flops / fwd / 1e9), gflops_bwd: r1((2 * flops) / bwd / 1e9), ms_fwd: fwd * 1e3, ms_bwd: bwd * 1e3 };
}

function matmulLine(r: MatmulResult): string {
  return `${r.name.padEnd(20)} ${r.shape.padEnd(15)} fwd ${r.gflops_fwd.toFixed(1).padStart(6)}  bwd ${r.gflops_bwd.toFixed(1).padStart(6)} GFLOP/s   (${r.ms_fwd.toFixed(3)} / ${r.ms_bwd.toFixed(3)} ms)`;
}

/** Every kernel at the baby config: 4 layers, 4 heads, C 128, batch 12 x 64 tokens, vocab 65. */
function perKernel(be: Backend): Record<string, number> {
  const B = 12, T = 64, C = 128, NH = 4, V = 65, N = B * T, P = 4 * 12 * C * C + V * C + T * C;
  const k: Kernels = be.kernels;
  const f = (n: number, s = 1) => fill(be.allocF32(n), s);
  const ids = be.allocI32(N);
  for (let i = 0; i < N; i++) ids[i] = (i * 7) % V;
  const x = f(N * C), y = f(N * C), w = f(C), b = f(C), mean = f(N), rstd = f(N, 0.1);
  const qkv = f(N * 3 * C, 0.3), att = be.allocF32(B * NH * T * T), scratch = be.allocF32(B * NH * T * T), dqkv = f(N * 3 * C);
  const h = f(N * 4 * C), dh = f(N * 4 * C), logits = f(N * V), probs = be.allocF32(N * V), losses = f(N);
  const wte = f(V * C), wpe = f(T * C), params = f(P), grads = f(P, 0.01), m = be.allocF32(P), v = be.allocF32(P);
  k.attentionForward({ out: x, att, inp: qkv, B, T, C, NH });
  k.crossEntropyForward({ losses, probs, logits, targets: ids, BT: N, V });
  const ms = (fn: () => void) => time(fn, quick ? 0.03 : 0.1) * 1e3;
  return {
    encoderForward: ms(() => k.encoderForward({ out: x, inp: ids, wte, wpe, B, T, C })),
    encoderBackward: ms(() => k.encoderBackward({ dwte: wte, dwpe: wpe, dout: y, inp: ids, B, T, C })),
    layernormForward: ms(() => k.layernormForward({ out: y, mean, rstd, inp: x, weight: w, bias: b, N, C, eps: 1e-5 })),
    layernormBackward: ms(() => k.layernormBackward({ dinp: x, dweight: w, dbias: b, dout: y, inp: x, weight: w, mean, rstd, N, C })),
    attentionForward: ms(() => k.attentionForward({ out: x, att, inp: qkv, B, T, C, NH })),
    attentionBackward: ms(() => k.attentionBackward({ dinp: dqkv, scratch, dout: y, inp: qkv, att, B, T, C, NH })),
    geluForward: ms(() => k.geluForward({ out: dh, inp: h, N: N * 4 * C })),
    geluBackward: ms(() => k.geluBackward({ dinp: dh, inp: h, dout: h, N: N * 4 * C })),
    residualForward: ms(() => k.residualForward({ out: x, inp1: y, inp2: y, N: N * C })),
    residualBackward: ms(() => k.residualBackward({ dinp1: x, dinp2: y, dout: y, N: N * C })),
    crossEntropyForward: ms(() => k.crossEntropyForward({ losses, probs, logits, targets: ids, BT: N, V })),
    crossEntropyBackward: ms(() => k.crossEntropyBackward({ dlogits: logits, probs, targets: ids, scale: 1 / N, BT: N, V })),
    adamw: ms(() => k.adamw({ params, grads, m, v, N: P, lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, t: 5 })),
    sumSquares: ms(() => void k.sumSquares({ inp: grads, N: P })),
    scale: ms(() => k.scale({ inout: grads, N: P, s: 1 })),
  };
}

/**
 * A whole training step of the baby config made of kernel calls only (llm.c's order: forward,
 * cross-entropy, backward, gradient norm, AdamW), to see what the kernels leave for the model layer.
 */
function babyStep(be: Backend): number {
  const B = 12, T = 64, C = 128, NH = 4, V = 65, L = 4, N = B * T;
  const k = be.kernels;
  const f = (n: number, s = 0.02) => fill(be.allocF32(n), s);
  const ids = be.allocI32(N);
  for (let i = 0; i < N; i++) ids[i] = (i * 7) % V;
  const P = { wte: f(V * C), wpe: f(T * C), lnw: f(C, 1), lnb: f(C), wqkv: f(3 * C * C), bqkv: f(3 * C), wo: f(C * C), bo: f(C), wfc: f(4 * C * C), bfc: f(4 * C), wp: f(4 * C * C), bp: f(C) };
  const G = Object.fromEntries(Object.entries(P).map(([n, a]) => [n, be.allocF32(a.length)])) as typeof P;
  const all = 3 * C + 3 * C * C + C * C + 4 * C * C + 4 * C * C + 6 * C;
  const params = f(L * all), grads = f(L * all, 0.001), m = be.allocF32(L * all), v = be.allocF32(L * all);
  const acts = Array.from({ length: L }, () => ({
    res: f(N * C), ln: f(N * C), mean: f(N), rstd: f(N, 1), qkv: f(N * 3 * C), att: be.allocF32(B * NH * T * T),
    ao: f(N * C), fch: f(N * 4 * C), gel: f(N * 4 * C),
  }));
  const x = f(N * C), dx = f(N * C), dy = f(N * C), d4 = f(N * 4 * C), d3 = f(N * 3 * C), scratch = be.allocF32(B * NH * T * T);
  const logits = f(N * V), probs = be.allocF32(N * V), losses = f(N), meanF = f(N), rstdF = f(N, 1), lnf = f(N * C);
  const step = (): void => {
    k.encoderForward({ out: x, inp: ids, wte: P.wte, wpe: P.wpe, B, T, C });
    for (const a of acts) {
      k.layernormForward({ out: a.ln, mean: a.mean, rstd: a.rstd, inp: x, weight: P.lnw, bias: P.lnb, N, C, eps: 1e-5 });
      k.matmulForward({ out: a.qkv, inp: a.ln, weight: P.wqkv, bias: P.bqkv, BT: N, C, OC: 3 * C });
      k.attentionForward({ out: a.ao, att: a.att, inp: a.qkv, B, T, C, NH });
      k.matmulForward({ out: a.res, inp: a.ao, weight: P.wo, bias: P.bo, BT: N, C, OC: C });
      k.residualForward({ out: x, inp1: x, inp2: a.res, N: N * C });
      k.layernormForward({ out: a.ln, mean: a.mean, rstd: a.rstd, inp: x, weight: P.lnw, bias: P.lnb, N, C, eps: 1e-5 });
      k.matmulForward({ out: a.fch, inp: a.ln, weight: P.wfc, bias: P.bfc, BT: N, C, OC: 4 * C });
      k.geluForward({ out: a.gel, inp: a.fch, N: N * 4 * C });
      k.matmulForward({ out: a.res, inp: a.gel, weight: P.wp, bias: P.bp, BT: N, C: 4 * C, OC: C });
      k.residualForward({ out: x, inp1: x, inp2: a.res, N: N * C });
    }
    k.layernormForward({ out: lnf, mean: meanF, rstd: rstdF, inp: x, weight: P.lnw, bias: P.lnb, N, C, eps: 1e-5 });
    k.matmulForward({ out: logits, inp: lnf, weight: P.wte, bias: null, BT: N, C, OC: V });
    k.crossEntropyForward({ losses, probs, logits, targets: ids, BT: N, V });
    logits.fill(0);
    k.crossEntropyBackward({ dlogits: logits, probs, targets: ids, scale: 1 / N, BT: N, V });
    k.matmulBackward({ dinp: dx, dweight: G.wte, dbias: null, dout: logits, inp: lnf, weight: P.wte, BT: N, C, OC: V });
    k.layernormBackward({ dinp: dy, dweight: G.lnw, dbias: G.lnb, dout: dx, inp: x, weight: P.lnw, mean: meanF, rstd: rstdF, N, C });
    for (const a of acts.slice().reverse()) {
      k.residualBackward({ dinp1: dx, dinp2: dy, dout: dy, N: N * C });
      k.matmulBackward({ dinp: d4, dweight: G.wp, dbias: G.bp, dout: dy, inp: a.gel, weight: P.wp, BT: N, C: 4 * C, OC: C });
      k.geluBackward({ dinp: d4, inp: a.fch, dout: d4, N: N * 4 * C });
      k.matmulBackward({ dinp: dx, dweight: G.wfc, dbias: G.bfc, dout: d4, inp: a.ln, weight: P.wfc, BT: N, C, OC: 4 * C });
      k.layernormBackward({ dinp: dy, dweight: G.lnw, dbias: G.lnb, dout: dx, inp: x, weight: P.lnw, mean: a.mean, rstd: a.rstd, N, C });
      k.residualBackward({ dinp1: dx, dinp2: dy, dout: dy, N: N * C });
      k.matmulBackward({ dinp: dx, dweight: G.wo, dbias: G.bo, dout: dy, inp: a.ao, weight: P.wo, BT: N, C, OC: C });
      k.attentionBackward({ dinp: d3, scratch, dout: dx, inp: a.qkv, att: a.att, B, T, C, NH });
      k.matmulBackward({ dinp: dx, dweight: G.wqkv, dbias: G.bqkv, dout: d3, inp: a.ln, weight: P.wqkv, BT: N, C, OC: 3 * C });
      k.layernormBackward({ dinp: dy, dweight: G.lnw, dbias: G.lnb, dout: dx, inp: x, weight: P.lnw, mean: a.mean, rstd: a.rstd, N, C });
    }
    k.encoderBackward({ dwte: G.wte, dwpe: G.wpe, dout: dy, inp: ids, B, T, C });
    const norm = Math.sqrt(k.sumSquares({ inp: grads, N: grads.length }));
    k.scale({ inout: grads, N: grads.length, s: Math.min(1, 1 / (norm + 1e-6)) });
    k.adamw({ params, grads, m, v, N: params.length, lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, t: 1 });
    for (const g of [dx, dy, d3, d4]) g.fill(0);
  };
  return time(step, quick ? 0.3 : 1) * 1e3;
}

const close = (be: Backend) => (be as { close?: () => void }).close?.();

/** One backend, one JSON object: {kernels, threads, matmul: [{name, gflops_fwd, gflops_bwd, ...}], kernels_ms, baby_step_ms}. */
async function oneBackend(kind: string, threads: number): Promise<void> {
  const be = await createBackend({ kernels: kind as KernelKind, threads });
  const matmul = (quick ? SHAPES.slice(0, 5) : SHAPES).map((s) => be.scope(() => matmulRow(be, s)));
  const perKernelMs = be.scope(() => perKernel(be));
  const step = be.scope(() => babyStep(be));
  if (flags.json) console.log(JSON.stringify({ kernels: be.name, threads: be.threads, node: process.version, matmul, kernels_ms: perKernelMs, baby_step_ms: step }));
  else {
    console.log(`== ${be.name}, ${be.threads} thread(s)`);
    for (const r of matmul) console.log(matmulLine(r));
    for (const [op, ms] of Object.entries(perKernelMs)) console.log(`${op.padEnd(22)}${ms.toFixed(3).padStart(10)} ms`);
    console.log(`baby step (kernel calls only) ${step.toFixed(1)} ms`);
  }
  close(be);
}

async function main(): Promise<void> {
  console.log(`scratchlm kernel benchmark, Node ${process.version}${quick ? ' (quick)' : ''}`);
  const configs: { label: string; be: Backend }[] = [];
  for (const threads of [1, 2]) configs.push({ label: `wasm relaxed-SIMD, ${threads} thread${threads > 1 ? 's' : ''}`, be: await createBackend({ kernels: 'wasm', threads }) });
  configs.push({ label: 'wasm plain SIMD, 1 thread', be: await createBackend({ kernels: 'wasm', threads: 1, relaxedSimd: false }) });
  for (const threads of [1, 2]) {
    try {
      configs.push({ label: `native, ${threads} thread${threads > 1 ? 's' : ''}`, be: await createBackend({ kernels: 'native', threads }) });
    } catch (e) {
      console.log(`(no native column: ${(e as Error).message})`);
      break;
    }
  }
  for (const { label, be } of configs) {
    console.log(`\n== matmul, ${label} (${be.name})`);
    for (const s of quick ? SHAPES.slice(0, 5) : SHAPES) be.scope(() => console.log(matmulLine(matmulRow(be, s))));
  }
  console.log('\n== every kernel at the baby config (ms per call)');
  const cols = [...configs.filter((c) => !c.label.includes('plain')), { label: 'ref', be: refBackend }];
  const rows = cols.map((c) => c.be.scope(() => perKernel(c.be)));
  console.log(`${'kernel'.padEnd(22)}${cols.map((c) => c.label.replace('wasm relaxed-SIMD, ', 'wasm ').replace('native, ', 'native ').padStart(16)).join('')}`);
  for (const op of Object.keys(rows[0]!)) console.log(`${op.padEnd(22)}${rows.map((r) => r[op]!.toFixed(3).padStart(16)).join('')}`);
  console.log('\n== a baby-config training step made of kernel calls only (ms)');
  for (const { label, be } of configs.filter((c) => !c.label.includes('plain'))) console.log(`${label.padEnd(30)} ${be.scope(() => babyStep(be)).toFixed(1)}`);
  for (const { be } of configs) close(be);
}

if (flags.kernels !== undefined || flags.json) await oneBackend(flags.kernels ?? 'auto', Number(flags.threads ?? 1));
else await main();
