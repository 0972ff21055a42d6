/**
 * The acceptance test against PyTorch: load a fixture folder (see ../shared/fixtures/README.md),
 * run forward, backward, AdamW steps and greedy decoding, and compare every quantity.
 */
import { join } from 'node:path';
import { ScratchError } from '../core/errors.js';
import { refBackend } from '../kernels/ref/index.js';
import type { Backend } from '../kernels/types.js';
import { isFolder, readJson } from '../io/files.js';
import { transpose } from '../io/gpt2-weights.js';
import { loadHfGpt2, readSafetensorsFile } from '../io/hf-folder.js';
import type { SafeTensor } from '../io/safetensors.js';
import { generate } from '../generate/sample.js';
import type { GPT } from '../model/gpt.js';
import { AdamW } from '../train/adamw.js';
import { MuonAdamW, NS_COEFFS, NS_STEPS } from '../train/muon.js';

/** One compared quantity of a fixture check, with its largest error and tolerance. */
export interface CheckRow {
  /** What was compared: 'logits', 'grad.h.0.ln_1.weight', 'greedy', ... */
  name: string;
  /** Largest absolute difference (for greedy: number of differing tokens). */
  maxError: number;
  /** Largest error divided by what the tolerance allows there (≤ 1 passes). */
  ratio: number;
  ok: boolean;
}

/** The result of `runFixtureCheck`: one row per quantity, and whether all are within tolerance. */
export interface CheckReport {
  rows: CheckRow[];
  ok: boolean;
}

interface FixtureJson {
  loss: number;
  adamw: { lr: number; beta1: number; beta2: number; eps: number; weight_decay: number; steps: number; grad_clip: number | null };
  losses: number[];
  greedy_prompt_len: number;
  /** Muon for the blocks' 2-D weights (AdamW, as above, for the rest). */
  muon?: { lr: number; momentum: number; ns_steps: number; coefficients: number[] };
}

const TOL = { logits: 1e-4, loss: 1e-4, gradAbs: 1e-5, gradRel: 1e-3, after: 1e-4 };

function compare(name: string, got: ArrayLike<number>, want: ArrayLike<number>, abs: number, rel = 0, skip?: (i: number) => boolean): CheckRow {
  if (got.length !== want.length) throw new ScratchError(`${name}: ${got.length} values computed, the fixture has ${want.length}`);
  let maxError = 0;
  let ratio = 0;
  for (let i = 0; i < got.length; i++) {
    if (skip?.(i)) continue;
    const e = Math.abs(got[i] - want[i]);
    const r = e / (abs + rel * Math.abs(want[i]));
    if (!(e <= maxError)) maxError = e; // NaN propagates as a failure
    if (!(r <= ratio)) ratio = r;
  }
  return { name, maxError, ratio, ok: ratio <= 1 };
}

/** HF Conv1D (in, out) → our (out, in), as the model stores it. */
function toModelLayout(model: GPT, name: string, t: SafeTensor): ArrayLike<number> {
  const spec = model.params.specs.find((s) => s.name === name)!;
  if (!spec.conv1d) return t.data;
  const [oc, ic] = spec.shape;
  const out = new Float64Array(t.data.length);
  transpose(t.data, ic, oc, out);
  return out;
}

/**
 * Runs forward, backward, the AdamW steps and greedy decoding that a PyTorch fixture folder describes
 * (`npx scratchlm check`) and compares each with the recorded values.
 */
export function runFixtureCheck(dir: string, opts: { backend?: Backend } = {}): CheckReport {
  const backend = opts.backend ?? refBackend;
  if (!isFolder(dir)) throw new ScratchError(`${dir}: no such folder; expected a fixture folder with config.json, model.safetensors, expected.safetensors and expected.json`);
  const expPath = join(dir, 'expected.safetensors');
  const jsonPath = join(dir, 'expected.json');
  const fx = readJson(jsonPath, 'fixture description') as FixtureJson;
  if (typeof fx?.loss !== 'number' || !fx.adamw || !Array.isArray(fx.losses) || !Number.isInteger(fx.greedy_prompt_len)) {
    throw new ScratchError(`${jsonPath}: expected 'loss', 'adamw', 'losses' and 'greedy_prompt_len'`);
  }
  const exp = readSafetensorsFile(expPath);
  const need = (name: string): SafeTensor => {
    const t = exp.get(name);
    if (!t) throw new ScratchError(`${expPath}: tensor '${name}' is missing`);
    return t;
  };
  const model = loadHfGpt2(dir, { backend });
  const initial = Float32Array.from(model.params.data);
  const inputs = need('inputs');
  const targets = need('targets');
  if (inputs.dtype !== 'I32' || targets.dtype !== 'I32' || inputs.shape.length !== 2) throw new ScratchError(`${expPath}: 'inputs' and 'targets' must be I32 of shape (B, T)`);
  const [B, T] = inputs.shape;
  // fast kernels read only their own memory
  const idx = backend.allocI32(B * T); // (B, T)
  const tgt = backend.allocI32(B * T); // (B, T)
  idx.set(inputs.data);
  tgt.set(targets.data);
  const rows: CheckRow[] = [];
  const C = model.config.nEmbd;
  // the key third of c_attn.bias has a true gradient of 0; its AdamW steps are noise (fixture README)
  const plainKeys = model.config.positions === 'learned' && !model.config.qkNorm; // else the key bias matters
  const isKeyBias = (name: string) => plainKeys && /\.attn\.c_attn\.bias$/.test(name);
  const keyBiasSkip = (i: number) => i >= C && i < 2 * C;

  backend.scope(() => {
    model.params.zeroGrad();
    const { logits, loss } = model.forward(idx, B, T, { targets: tgt });
    rows.push(compare('logits', logits.data, need('logits').data, TOL.logits));
    rows.push(compare('loss', [loss!.item()], [fx.loss], TOL.loss));
    loss!.backward();
    for (const spec of model.params.specs) {
      const g = `grad.${spec.name}`;
      rows.push(compare(g, model.params.get(spec.name).grad!, toModelLayout(model, spec.name, need(g)), TOL.gradAbs, TOL.gradRel));
    }
  });

  // AdamW: `steps` steps on the same batch from the initial weights, constant lr, no clipping
  model.params.data.set(initial);
  const a = fx.adamw;
  const adam = { lr: a.lr, beta1: a.beta1, beta2: a.beta2, eps: a.eps, weightDecay: a.weight_decay };
  const mu = fx.muon;
  if (mu && (mu.ns_steps !== NS_STEPS || mu.coefficients?.length !== 3 || mu.coefficients.some((c, i) => c !== NS_COEFFS[i]))) {
    throw new ScratchError(`${jsonPath}: muon needs ${NS_STEPS} Newton-Schulz steps with coefficients ${NS_COEFFS.join(', ')}`);
  }
  const p = model.params;
  const opt = mu
    ? new MuonAdamW({ data: p.data, grads: p.grads, groups: p.groups, matrices: p.hiddenMatrices() }, backend, adam, { lrRatio: mu.lr / a.lr, momentum: mu.momentum })
    : new AdamW(p.groups, backend, adam);
  const losses: number[] = [];
  for (let s = 0; s < a.steps; s++) {
    backend.scope(() => {
      model.params.zeroGrad();
      const { loss } = model.forward(idx, B, T, { targets: tgt });
      losses.push(loss!.item());
      loss!.backward();
      opt.step(a.lr);
    });
  }
  rows.push(compare(mu ? 'muon.losses' : 'adamw.losses', losses, fx.losses, TOL.after));
  for (const spec of model.params.specs) {
    const n = `after.${spec.name}`;
    const skip = isKeyBias(spec.name) ? keyBiasSkip : undefined;
    rows.push(compare(n, model.params.get(spec.name).data, toModelLayout(model, spec.name, need(n)), TOL.after, 0, skip));
  }

  // greedy decoding with the weights after the steps, context cropped to the block size
  const greedy = need('greedy').data;
  const prompt = Array.from(idx.subarray(0, fx.greedy_prompt_len));
  const got = [...prompt, ...generate(model, prompt, greedy.length - prompt.length, { temperature: 0 })];
  let diff = 0;
  for (let i = 0; i < greedy.length; i++) if (got[i] !== greedy[i]) diff++;
  rows.push({ name: 'greedy', maxError: diff, ratio: diff, ok: diff === 0 });

  return { rows, ok: rows.every((r) => r.ok) };
}

