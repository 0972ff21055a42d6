/**
 * GPT-2, the whole model in one readable file (nanoGPT's model.py as coarse autograd ops).
 *
 *   idx (B, T) → token + position embedding (B, T, C) → dropout
 *   nLayer × [ x + dropout(proj(attention(c_attn(ln_1(x))))) with dropout inside on the attention
 *              probabilities  ;  x + dropout(mlp(ln_2(x))) ]
 *   ln_f → LM head tied to the token embedding (B, T, V) → mean cross-entropy
 *
 * Dropout, in training mode, applies where nanoGPT's does: to the embeddings, to the attention
 * probabilities and to both residual branches.
 */
import type { Rng } from '../core/rng.js';
import { refBackend } from '../kernels/ref/index.js';
import type { Backend, Buf } from '../kernels/types.js';
import { add, attention, crossEntropy, dropout, embedding, gelu, layerNorm, linear, rows } from '../tensor/ops.js';
import type { Tensor } from '../tensor/tensor.js';
import { gptConfig, type GPTConfig } from './config.js';
import { ParamStore, paramSpecs } from './params.js';

export interface GPTOptions {
  backend?: Backend;
  /** Float64 parameters and activations on the reference kernels (gradient checks). */
  f64?: boolean;
  /** Draws GPT-2's initialisation; without it every parameter starts at zero (to be loaded). */
  rng?: Rng;
  /** LayerNorm epsilon (GPT-2: 1e-5). */
  layerNormEps?: number;
}

export interface ForwardOptions {
  /** Targets (B, T); negative ids are ignored. With them, `loss` is the mean cross-entropy. */
  targets?: Int32Array;
  /** Compute logits only at the last position of each row (generation). */
  lastOnly?: boolean;
  /** Observers of the inner activations (inspection): they read, and must not keep or change, what they get. */
  trace?: ForwardTrace;
}

/** What `forward` shows an observer: the residual stream between blocks and each block's attention. */
export interface ForwardTrace {
  /** The residual stream (B, T, C): layer 0 after the embedding, layer l + 1 after block l. */
  residual?(layer: number, x: Tensor): void;
  /** Block l's attention probabilities (B, NH, T, T), rows summing to 1, zero above the diagonal. */
  attention?(layer: number, probs: Buf): void;
}

export class GPT {
  readonly config: GPTConfig;
  readonly params: ParamStore;
  readonly backend: Backend;
  readonly eps: number;
  /** Training mode turns dropout on; it draws from this generator. */
  private dropoutRng: Rng | null = null;

  constructor(config: GPTConfig | Record<string, unknown>, opts: GPTOptions = {}) {
    this.config = gptConfig(config);
    this.backend = opts.f64 ? refBackend : (opts.backend ?? refBackend);
    this.eps = opts.layerNormEps ?? 1e-5;
    const specs = paramSpecs(this.config);
    this.params = new ParamStore(specs, this.backend, opts.f64);
    if (opts.rng) {
      const rng = opts.rng;
      for (const s of specs) {
        const d = this.params.get(s.name).data;
        if (s.init === 'ones') d.fill(1);
        else if (s.init !== 'zeros') for (let i = 0; i < d.length; i++) d[i] = rng.normal() * s.init.normal;
      }
    }
  }

  /** Training mode (dropout on, drawing from rng) or evaluation mode (rng null). */
  train(rng: Rng | null): void {
    this.dropoutRng = rng;
  }

  get training(): boolean {
    return this.dropoutRng !== null;
  }

  forward(idx: Int32Array, B: number, T: number, opts: ForwardOptions = {}): { logits: Tensor; loss: Tensor | null } {
    const { nLayer, nHead, dropout: p } = this.config;
    const P = (n: string) => this.params.get(n);
    const O = (n: string) => (this.params.has(n) ? this.params.get(n) : null);
    const drop = (t: Tensor) => (this.dropoutRng && p > 0 ? dropout(t, p, this.dropoutRng) : t);
    const eps = this.eps;

    const trace = opts.trace;
    let x = drop(embedding(idx, P('wte.weight'), P('wpe.weight'), B, T)); // (B, T, C)
    trace?.residual?.(0, x);
    for (let l = 0; l < nLayer; l++) {
      const h = `h.${l}`;
      const ln1 = layerNorm(x, P(`${h}.ln_1.weight`), O(`${h}.ln_1.bias`), eps); // (B, T, C)
      const qkv = linear(ln1, P(`${h}.attn.c_attn.weight`), O(`${h}.attn.c_attn.bias`)); // (B, T, 3C)
      const onProbs = trace?.attention ? (probs: Buf) => trace.attention!(l, probs) : undefined;
      const att = attention(qkv, nHead, this.dropoutRng && p > 0 ? { p, rng: this.dropoutRng } : undefined, onProbs); // (B, T, C)
      const proj = linear(att, P(`${h}.attn.c_proj.weight`), O(`${h}.attn.c_proj.bias`)); // (B, T, C)
      x = add(x, drop(proj));
      const ln2 = layerNorm(x, P(`${h}.ln_2.weight`), O(`${h}.ln_2.bias`), eps); // (B, T, C)
      const fc = gelu(linear(ln2, P(`${h}.mlp.c_fc.weight`), O(`${h}.mlp.c_fc.bias`))); // (B, T, 4C)
      const mlp = linear(fc, P(`${h}.mlp.c_proj.weight`), O(`${h}.mlp.c_proj.bias`)); // (B, T, C)
      x = add(x, drop(mlp));
      trace?.residual?.(l + 1, x);
    }
    if (opts.lastOnly) {
      const last = Array.from({ length: B }, (_, b) => b * T + T - 1);
      x = rows(x, last); // (B, C)
    }
    const logits = this.unembed(x); // (B, T, V) or (B, V)
    const loss = opts.targets ? crossEntropy(logits, opts.targets) : null;
    return { logits, loss };
  }

  /**
   * The residual stream (..., C) → logits (..., V): the final norm, then the LM head tied to the
   * token embedding. The logit lens reads every layer through this same map.
   */
  unembed(x: Tensor): Tensor {
    const P = (n: string) => this.params.get(n);
    const O = (n: string) => (this.params.has(n) ? this.params.get(n) : null);
    const ln = layerNorm(x, P('ln_f.weight'), O('ln_f.bias'), this.eps); // (..., C)
    return linear(ln, P('wte.weight'), null); // (..., V)
  }
}
