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
import { ScratchError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { refBackend } from '../kernels/ref/index.js';
import type { Backend, Buf } from '../kernels/types.js';
import { add, attention, crossEntropy, dropout, embedding, gelu, layerNorm, linear, rows } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
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
  /**
   * Inference only: no gradient buffers (half the memory of a trainable model). Generation and
   * evaluation work; backward passes and optimizers need a model made without it.
   */
  inference?: boolean;
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
    this.params = new ParamStore(specs, this.backend, opts.f64, !opts.inference);
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

  /**
   * The whole model on idx (B, T): logits (B, T, V), or (B, V) with `lastOnly`, and the mean
   * cross-entropy against `targets`. Built from the layer methods below, which the KV-cache
   * decoder (src/generate/decode.ts) calls too, so both paths compute the same layers.
   */
  forward(idx: Int32Array, B: number, T: number, opts: ForwardOptions = {}): { logits: Tensor; loss: Tensor | null } {
    const p = this.config.dropout;
    const trace = opts.trace;
    let x = this.embed(idx, B, T); // (B, T, C)
    trace?.residual?.(0, x);
    for (let l = 0; l < this.config.nLayer; l++) {
      const qkv = this.qkv(l, x, null); // (B, T, 3C)
      const onProbs = trace?.attention ? (probs: Buf) => trace.attention!(l, probs) : undefined;
      const att = attention(qkv, this.config.nHead, this.dropoutRng && p > 0 ? { p, rng: this.dropoutRng } : undefined, onProbs); // (B, T, C)
      x = this.attnOut(l, x, att); // (B, T, C)
      x = this.mlp(l, x); // (B, T, C)
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

  // ---- the layers, one method each (positions are explicit where a layer could depend on them) ----

  private P(n: string): Tensor {
    return this.params.get(n);
  }

  private O(n: string): Tensor | null {
    return this.params.has(n) ? this.params.get(n) : null;
  }

  private drop(t: Tensor): Tensor {
    const p = this.config.dropout;
    return this.dropoutRng && p > 0 ? dropout(t, p, this.dropoutRng) : t;
  }

  /** Token + position embeddings of idx (B, T), row t at position t, then dropout: (B, T, C). */
  embed(idx: Int32Array, B: number, T: number): Tensor {
    return this.drop(embedding(idx, this.P('wte.weight'), this.P('wpe.weight'), B, T));
  }

  /**
   * Embeddings of single tokens at explicit positions (decoding: each row is the next token of
   * its own sequence): ids (N) in the backend's memory, positions (N) → (N, C). No gradient.
   */
  embedAt(ids: Int32Array, positions: ArrayLike<number>): Tensor {
    const wte = this.P('wte.weight');
    const wpe = this.P('wpe.weight');
    const [V, C] = wte.shape;
    const N = ids.length;
    const out = wte.alloc(N * C); // (N, C)
    for (let i = 0; i < N; i++) {
      const id = ids[i];
      const pos = positions[i];
      if (!(id >= 0 && id < V && Number.isInteger(id))) throw new ScratchError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
      if (!(pos >= 0 && pos < this.config.blockSize)) throw new ScratchError(`position ${pos} is outside the block size ${this.config.blockSize}`);
      const row = out.subarray(i * C, i * C + C);
      wte.kernels.encoderForward({ out: row, inp: ids.subarray(i, i + 1), wte: wte.data, wpe: wpe.data.subarray(pos * C, pos * C + C), B: 1, T: 1, C });
    }
    return this.drop(new Tensor(out, [N, C], this.backend));
  }

  /**
   * Block l's attention input: ln_1 then c_attn, the packed q, k, v (..., 3C). `positions` holds
   * each row's absolute position, or null for rows t = 0..T-1 of a (B, T) batch; GPT-2's learned
   * positions enter at the embedding and ignore it, a rotary variant would rotate q and k here.
   */
  qkv(l: number, x: Tensor, positions: Int32Array | null): Tensor {
    void positions;
    const h = `h.${l}`;
    const ln1 = layerNorm(x, this.P(`${h}.ln_1.weight`), this.O(`${h}.ln_1.bias`), this.eps); // (..., C)
    return linear(ln1, this.P(`${h}.attn.c_attn.weight`), this.O(`${h}.attn.c_attn.bias`)); // (..., 3C)
  }

  /** x + dropout(c_proj(att)): block l's attention output back into the residual stream. */
  attnOut(l: number, x: Tensor, att: Tensor): Tensor {
    const h = `h.${l}`;
    return add(x, this.drop(linear(att, this.P(`${h}.attn.c_proj.weight`), this.O(`${h}.attn.c_proj.bias`))));
  }

  /** x + dropout(mlp(ln_2(x))): block l's MLP (4C wide, GELU). */
  mlp(l: number, x: Tensor): Tensor {
    const h = `h.${l}`;
    const ln2 = layerNorm(x, this.P(`${h}.ln_2.weight`), this.O(`${h}.ln_2.bias`), this.eps); // (..., C)
    const fc = gelu(linear(ln2, this.P(`${h}.mlp.c_fc.weight`), this.O(`${h}.mlp.c_fc.bias`))); // (..., 4C)
    return add(x, this.drop(linear(fc, this.P(`${h}.mlp.c_proj.weight`), this.O(`${h}.mlp.c_proj.bias`)))); // (..., C)
  }

  /**
   * The residual stream (..., C) → logits (..., V): the final norm, then the LM head tied to the
   * token embedding. The logit lens reads every layer through this same map.
   */
  unembed(x: Tensor): Tensor {
    const ln = layerNorm(x, this.P('ln_f.weight'), this.O('ln_f.bias'), this.eps); // (..., C)
    return linear(ln, this.P('wte.weight'), null); // (..., V)
  }
}
