/**
 * GPT-2, the whole model in one readable file (nanoGPT's model.py as coarse autograd ops).
 *
 *   idx (B, T) → token + position embedding (B, T, C) → dropout
 *   nLayer × [ x + dropout(proj(attention(qk(c_attn(ln_1(x)))))) with dropout inside on the
 *              attention probabilities  ;  x + dropout(c_proj(act(c_fc(ln_2(x))))) ]
 *   ln_f → LM head (B, T, V) → soft-cap → mean cross-entropy
 *
 * Dropout, in training mode, applies where nanoGPT's does: to the embeddings, to the attention
 * probabilities and to both residual branches.
 *
 * The modern recipe's options (config.ts) change pieces, not the shape of the loop: rotary
 * positions drop the position table and turn q and k in `qk` (which also applies QK-norm);
 * `norm` is LayerNorm or RMSNorm; `act` is GELU, ReLU² or SwiGLU; the head is the token
 * embedding or its own matrix; the soft-cap is off at 0. GPT-2's defaults skip `qk` and the cap.
 */
import type { Rng } from '../core/rng.js';
import { refBackend } from '../kernels/ref/index.js';
import type { Backend, Buf } from '../kernels/types.js';
import { add, attention, crossEntropy, dropout, embedding, gelu, layerNorm, linear, qkTransform, relu2, rmsNorm, rotaryTables, rows, softcap, swiglu } from '../tensor/ops.js';
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

/** A norm layer by parameter prefix: LayerNorm or RMSNorm, by the config. */
type NormFn = (x: Tensor, prefix: string) => Tensor;

export class GPT {
  readonly config: GPTConfig;
  readonly params: ParamStore;
  readonly backend: Backend;
  readonly eps: number;
  /** Training mode turns dropout on; it draws from this generator. */
  private dropoutRng: Rng | null = null;
  /** Rotary cos/sin tables (blockSize, headSize / 2), or null for learned positions. */
  readonly rotary: { cos: Buf; sin: Buf } | null;

  constructor(config: GPTConfig | Record<string, unknown>, opts: GPTOptions = {}) {
    this.config = gptConfig(config);
    this.backend = opts.f64 ? refBackend : (opts.backend ?? refBackend);
    this.eps = opts.layerNormEps ?? 1e-5;
    const specs = paramSpecs(this.config);
    this.params = new ParamStore(specs, this.backend, opts.f64);
    const c = this.config;
    const alloc = (n: number) => (opts.f64 ? new Float64Array(n) : this.backend.allocF32(n));
    this.rotary = c.positions === 'rope' ? rotaryTables(c.blockSize, c.nEmbd / c.nHead, c.ropeBase, alloc) : null;
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

  /** The config's norm layer (the weights `${prefix}.weight`, and `.bias` when present). */
  norm: NormFn = (x, prefix) => {
    const w = this.params.get(`${prefix}.weight`);
    if (this.config.norm === 'rmsnorm') return rmsNorm(x, w, this.eps);
    const b = this.params.has(`${prefix}.bias`) ? this.params.get(`${prefix}.bias`) : null;
    return layerNorm(x, w, b, this.eps);
  };

  /** q and k ready for attention: QK-norm and rotary positions (from pos0), or qkv as is. */
  qk(qkv: Tensor, pos0 = 0): Tensor {
    const c = this.config;
    if (!c.qkNorm && !this.rotary) return qkv;
    return qkTransform(qkv, c.nHead, { norm: c.qkNorm, rotary: this.rotary, pos0, eps: this.eps });
  }

  /** The MLP's activation on c_fc's output: (..., H), or (..., 2H) → (..., H) for SwiGLU. */
  act(h: Tensor): Tensor {
    const m = this.config.mlp;
    return m === 'gelu' ? gelu(h) : m === 'relu2' ? relu2(h) : swiglu(h);
  }

  forward(idx: Int32Array, B: number, T: number, opts: ForwardOptions = {}): { logits: Tensor; loss: Tensor | null } {
    const { nLayer, nHead, dropout: p } = this.config;
    const P = (n: string) => this.params.get(n);
    const O = (n: string) => (this.params.has(n) ? this.params.get(n) : null);
    const drop = (t: Tensor) => (this.dropoutRng && p > 0 ? dropout(t, p, this.dropoutRng) : t);
    const norm = this.norm;

    const trace = opts.trace;
    let x = drop(embedding(idx, P('wte.weight'), O('wpe.weight'), B, T)); // (B, T, C)
    trace?.residual?.(0, x);
    for (let l = 0; l < nLayer; l++) {
      const h = `h.${l}`;
      const ln1 = norm(x, `${h}.ln_1`); // (B, T, C)
      const qkv = this.qk(linear(ln1, P(`${h}.attn.c_attn.weight`), O(`${h}.attn.c_attn.bias`))); // (B, T, 3C)
      const onProbs = trace?.attention ? (probs: Buf) => trace.attention!(l, probs) : undefined;
      const att = attention(qkv, nHead, this.dropoutRng && p > 0 ? { p, rng: this.dropoutRng } : undefined, onProbs); // (B, T, C)
      const proj = linear(att, P(`${h}.attn.c_proj.weight`), O(`${h}.attn.c_proj.bias`)); // (B, T, C)
      x = add(x, drop(proj));
      const ln2 = norm(x, `${h}.ln_2`); // (B, T, C)
      const fc = this.act(linear(ln2, P(`${h}.mlp.c_fc.weight`), O(`${h}.mlp.c_fc.bias`))); // (B, T, H)
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
   * The residual stream (..., C) → logits (..., V): the final norm, then the LM head (tied to the
   * token embedding, or its own), then the soft-cap when on. The logit lens reads every layer
   * through this same map.
   */
  unembed(x: Tensor): Tensor {
    const c = this.config;
    const ln = this.norm(x, 'ln_f'); // (..., C)
    const logits = linear(ln, this.params.get(c.tieEmbeddings ? 'wte.weight' : 'lm_head.weight'), null); // (..., V)
    return c.logitSoftcap > 0 ? softcap(logits, c.logitSoftcap) : logits;
  }
}
