/**
 * GPT-2's parameters, laid out once (llm.c): one flat buffer for the weights, one for their
 * gradients. Tensors of 2+ dimensions (weight-decayed, nanoGPT's groups) come first, then the
 * 1-D gains and biases, so the optimizer updates each group with one kernel call.
 *
 * Names are Hugging Face GPT-2's; linear weights are stored (OC, C) like nn.Linear, the transpose
 * of GPT-2's Conv1D files, which io/ converts on load and save.
 */
import type { Backend, Buf } from '../kernels/types.js';
import { Tensor } from '../tensor/tensor.js';
import { mlpWidth, type GPTConfig } from './config.js';

/** One parameter tensor of a GPT: name, shape and initialisation. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** How it starts: normal(0, std), zeros, or ones. */
  init: { normal: number } | 'zeros' | 'ones';
  /** Linear weights stored (OC, C) here, (C, OC) in GPT-2's Conv1D files. */
  conv1d: boolean;
}

/** The parameters of a GPT of config `c`, in storage order (GPT-2's names). */
export function paramSpecs(c: GPTConfig): ParamSpec[] {
  const C = c.nEmbd;
  const H = mlpWidth(c);
  const std = 0.02;
  const projStd = c.zeroInitProj ? 0 : 0.02 / Math.sqrt(2 * c.nLayer);
  // embeddings and head first: with the hidden matrices after them, both are contiguous
  const specs: ParamSpec[] = [{ name: 'wte.weight', shape: [c.vocabSize, C], init: { normal: std }, conv1d: false }];
  if (c.positions === 'learned') specs.push({ name: 'wpe.weight', shape: [c.blockSize, C], init: { normal: std }, conv1d: false });
  if (!c.tieEmbeddings) specs.push({ name: 'lm_head.weight', shape: [c.vocabSize, C], init: c.zeroInitProj ? 'zeros' : { normal: std }, conv1d: false });
  const lin = (name: string, oc: number, ic: number, s: number) => {
    specs.push({ name: `${name}.weight`, shape: [oc, ic], init: s > 0 ? { normal: s } : 'zeros', conv1d: true });
    if (c.bias) specs.push({ name: `${name}.bias`, shape: [oc], init: 'zeros', conv1d: false });
  };
  const ln = (name: string) => {
    specs.push({ name: `${name}.weight`, shape: [C], init: 'ones', conv1d: false });
    if (c.bias && c.norm === 'layernorm') specs.push({ name: `${name}.bias`, shape: [C], init: 'zeros', conv1d: false });
  };
  for (let l = 0; l < c.nLayer; l++) {
    ln(`h.${l}.ln_1`);
    lin(`h.${l}.attn.c_attn`, 3 * C, C, std);
    lin(`h.${l}.attn.c_proj`, C, C, projStd);
    ln(`h.${l}.ln_2`);
    // SwiGLU: one matrix for [gate | up], so one matmul makes both halves
    lin(`h.${l}.mlp.c_fc`, c.mlp === 'swiglu' ? 2 * H : H, C, std);
    lin(`h.${l}.mlp.c_proj`, C, H, projStd);
  }
  ln('ln_f');
  return specs;
}

/** A transformer block's 2-D weight (Muon's share), as opposed to the embeddings and the head. */
export function isHiddenMatrix(s: ParamSpec): boolean {
  return s.shape.length === 2 && s.name.startsWith('h.');
}

/** One group of parameters that share an optimizer setting, contiguous in memory. */
export interface ParamGroup {
  readonly params: Buf;
  readonly grads: Buf;
  readonly weightDecay: boolean;
}

/** All parameters of a model in one buffer, and their gradients in another of the same layout. */
export class ParamStore {
  /** The parameters' names, shapes and initialisation, in storage order. */
  readonly specs: ParamSpec[];
  /** Each parameter as a Tensor viewing its range of `data`. */
  readonly tensors: Map<string, Tensor> = new Map();
  /** All parameters in one buffer. */
  readonly data: Buf; // all parameters
  /** Their gradients, in the same layout. */
  readonly grads: Buf; // their gradients, same layout
  /** Contiguous ranges with and without weight decay (matrices / the rest), for the optimizer. */
  readonly groups: ParamGroup[];
  /** Each parameter's offset into `data`. */
  readonly offsets: Map<string, number> = new Map();

  /** `withGrads` false: no gradient buffers (an inference-only model; `grads` is then empty). */
  constructor(specs: ParamSpec[], backend: Backend, f64 = false, withGrads = true) {
    // decayed (2+ dims) first, then the rest; order within a group as listed
    const decay = specs.filter((s) => s.shape.length >= 2);
    const rest = specs.filter((s) => s.shape.length < 2);
    this.specs = [...decay, ...rest];
    const size = (s: ParamSpec) => s.shape.reduce((a, b) => a * b, 1);
    const total = this.specs.reduce((a, s) => a + size(s), 0);
    const nDecay = decay.reduce((a, s) => a + size(s), 0);
    this.data = f64 ? new Float64Array(total) : backend.allocF32(total);
    const gTotal = withGrads ? total : 0;
    this.grads = f64 ? new Float64Array(gTotal) : backend.allocF32(gTotal);
    let off = 0;
    for (const s of this.specs) {
      const n = size(s);
      const t = withGrads
        ? new Tensor(this.data.subarray(off, off + n), s.shape, backend, true, this.grads.subarray(off, off + n))
        : new Tensor(this.data.subarray(off, off + n), s.shape, backend, false);
      this.tensors.set(s.name, t);
      this.offsets.set(s.name, off);
      off += n;
    }
    this.groups = !withGrads ? [] : [
      { params: this.data.subarray(0, nDecay), grads: this.grads.subarray(0, nDecay), weightDecay: true },
      { params: this.data.subarray(nDecay), grads: this.grads.subarray(nDecay), weightDecay: false },
    ].filter((g) => g.params.length > 0);
  }

  /**
   * The parameter called `name` (GPT-2's names: "wte", "h.0.attn.c_attn.weight", ...); throws for an
   * unknown name.
   */
  get(name: string): Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`no parameter named ${name}`);
    return t;
  }

  /** Whether the model has a parameter called `name`. */
  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** Number of parameters (floats). */
  get count(): number {
    return this.data.length;
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    this.grads.fill(0);
  }

  /** The blocks' 2-D weights (Muon's share): name, (rows, cols) as stored, offset in the flat buffers. */
  hiddenMatrices(): { name: string; rows: number; cols: number; offset: number }[] {
    return this.specs.filter(isHiddenMatrix).map((s) => ({ name: s.name, rows: s.shape[0], cols: s.shape[1], offset: this.offsets.get(s.name)! }));
  }
}
