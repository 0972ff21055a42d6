/**
 * Runs in the browser (loaded by test/browser.test.ts from a cross-origin-isolated page): the wasm
 * backend, with 1 thread and with Web Workers, against the reference on a small GPT's forward,
 * backward and AdamW steps, and on direct matmul kernels. Imports browser-safe modules only (not
 * src/index.js, which re-exports the Node-only io/ modules). Returns plain numbers for Node to check.
 */
import { Rng } from '../../src/core/rng.js';
import { createBackend } from '../../src/kernels/create.js';
import { refBackend } from '../../src/kernels/ref/index.js';
import type { Backend } from '../../src/kernels/types.js';
import type { WasmBackend } from '../../src/kernels/wasm/backend.js';
import { GPT } from '../../src/model/gpt.js';
import { AdamW } from '../../src/train/adamw.js';
import { trainStep } from '../../src/train/step.js';

/** Largest |a - b|, and largest |a - b| - rel·|b| (for "abs + rel" tolerances). */
function diff(a: ArrayLike<number>, b: ArrayLike<number>, rel = 0): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) - rel * Math.abs(b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export interface ModelCase {
  name: string;
  config: { vocabSize: number; blockSize: number; nLayer: number; nHead: number; nEmbd: number };
  B: number;
  T: number;
}

interface ModelRun {
  logits: Float32Array;
  loss: number;
  grads: Float32Array;
  stepLosses: number[];
  params: Float32Array;
}

function runModel(be: Backend, c: ModelCase, steps: number): ModelRun {
  const { B, T } = c;
  const rng = new Rng(7);
  const model = new GPT(c.config, { backend: be, rng: new Rng(1) });
  // token ids, like every kernel buffer, live in the backend's memory
  const idx = be.allocI32(B * T);
  const targets = be.allocI32(B * T);
  for (let i = 0; i < B * T; i++) idx[i] = rng.int(c.config.vocabSize);
  for (let i = 0; i < B * T; i++) targets[i] = rng.int(c.config.vocabSize);
  model.params.zeroGrad();
  const { logits, loss } = be.scope(() => {
    const out = model.forward(idx, B, T, { targets });
    out.loss!.backward();
    return { logits: Float32Array.from(out.logits.data), loss: out.loss!.item() };
  });
  const grads = Float32Array.from(model.params.grads);
  const opt = new AdamW(model.params.groups, be, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  const stepLosses: number[] = [];
  for (let s = 0; s < steps; s++) stepLosses.push(trainStep(model, opt, [{ idx, targets }], B, T, 1e-3, 1).loss);
  return { logits, loss, grads, stepLosses, params: Float32Array.from(model.params.data) };
}

export interface MatmulCase {
  BT: number;
  C: number;
  OC: number;
}

function runMatmul(be: Backend, s: MatmulCase): Float32Array[] {
  const { BT, C, OC } = s;
  const rng = new Rng(3);
  return be.scope(() => {
    const rand = (n: number) => {
      const x = be.allocF32(n);
      for (let i = 0; i < n; i++) x[i] = rng.normal();
      return x;
    };
    const out = rand(BT * OC), inp = rand(BT * C), weight = rand(OC * C), bias = rand(OC);
    be.kernels.matmulForward({ out, inp, weight, bias, BT, C, OC });
    const dinp = rand(BT * C), dweight = rand(OC * C), dbias = rand(OC), dout = rand(BT * OC);
    be.kernels.matmulBackward({ dinp, dweight, dbias, dout, inp, weight, BT, C, OC });
    return [out, dinp, dweight, dbias].map((x) => Float32Array.from(x));
  });
}

export interface ThreadResult {
  threadsAsked: number;
  name: string;
  threads: number;
  relaxedSimd: boolean;
  stats: ReturnType<WasmBackend['threadStats']>;
  models: { name: string; logits: number; loss: number; grads: number; stepLosses: number; params: number }[];
  matmuls: { shape: MatmulCase; out: number; dinp: number; dweight: number; dbias: number }[];
}

export interface PageResult {
  crossOriginIsolated: boolean;
  userAgent: string;
  runs: ThreadResult[];
  ms: number;
}

export async function runBrowserChecks(models: ModelCase[], matmuls: MatmulCase[], threadCounts: number[], steps: number): Promise<PageResult> {
  const t0 = performance.now();
  const runs: ThreadResult[] = [];
  const refModels = models.map((c) => runModel(refBackend, c, steps));
  const refMatmuls = matmuls.map((s) => runMatmul(refBackend, s));
  for (const threads of threadCounts) {
    const be = (await createBackend({ kernels: 'wasm', threads })) as WasmBackend;
    try {
      const r: ThreadResult = { threadsAsked: threads, name: be.name, threads: be.threads, relaxedSimd: be.relaxedSimd, stats: be.threadStats(), models: [], matmuls: [] };
      models.forEach((c, i) => {
        const got = runModel(be, c, steps);
        const want = refModels[i]!;
        r.models.push({
          name: c.name,
          logits: diff(got.logits, want.logits),
          loss: Math.abs(got.loss - want.loss),
          grads: diff(got.grads, want.grads, 1e-3),
          stepLosses: diff(got.stepLosses, want.stepLosses),
          params: diff(got.params, want.params),
        });
      });
      matmuls.forEach((s, i) => {
        const [out, dinp, dweight, dbias] = runMatmul(be, s).map((x, k) => diff(x, refMatmuls[i]![k]!, 1e-5)) as [number, number, number, number];
        r.matmuls.push({ shape: s, out, dinp, dweight, dbias });
      });
      r.stats = be.threadStats();
      runs.push(r);
    } finally {
      be.close();
    }
  }
  return { crossOriginIsolated: globalThis.crossOriginIsolated === true, userAgent: navigator.userAgent, runs, ms: performance.now() - t0 };
}

/**
 * On a page that is not cross-origin-isolated: 'wasm' and 'auto' give the one-thread wasm backend
 * on a plain memory (checked against the reference on the models), more threads a clear error.
 */
export async function probeNotIsolated(models: ModelCase[], steps: number): Promise<{ crossOriginIsolated: boolean; wasmName: string; wasmThreads: number; autoName: string; threadsError: string; models: { name: string; logits: number; grads: number; params: number }[] }> {
  const message = (p: Promise<unknown>) => p.then(() => '', (e: Error) => e.message);
  const be = (await createBackend({ kernels: 'wasm' })) as WasmBackend;
  const out = models.map((c) => {
    const got = runModel(be, c, steps);
    const want = runModel(refBackend, c, steps);
    return { name: c.name, logits: diff(got.logits, want.logits), grads: diff(got.grads, want.grads, 1e-3), params: diff(got.params, want.params) };
  });
  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    wasmName: be.name,
    wasmThreads: be.threads,
    autoName: (await createBackend({})).name,
    threadsError: await message(createBackend({ kernels: 'auto', threads: 2 })),
    models: out,
  };
}
