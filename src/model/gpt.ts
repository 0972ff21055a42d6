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
import { ScratchError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';
import { refBackend } from '../kernels/ref/index.js';
import type { Backend, Buf } from '../kernels/types.js';
import { type PackedWeights, add, attention, crossEntropy, dropout, embedding, gelu, layerNorm, linear, linearPacked, qkTransform, relu2, rmsNorm, rotaryTables, rows, softcap, swiglu } from '../tensor/ops.js';
import { Tensor } from '../tensor/tensor.js';
import { gptConfig, type GPTConfig } from './config.js';
import { ParamStore, isHiddenMatrix, paramSpecs } from './params.js';

/** Options of the GPT network's constructor. */
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

/** Options of `model.forward`. */
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

/**
 * The GPT network (exported as GPTNetwork): parameters in one block, forward with autograd on a
 * backend's kernels.
 */
export class GPT {
  /** The validated, frozen model config. */
  readonly config: GPTConfig;
  /** Every parameter, in one buffer, by GPT-2's names. */
  readonly params: ParamStore;
  /** The backend the model computes on. */
  readonly backend: Backend;
  /** The norm layers' epsilon (1e-5 as GPT-2). */
  readonly eps: number;
  /** Training mode turns dropout on; it draws from this generator. */
  private dropoutRng: Rng | null = null;
  /** Packed copies of linear weights, by parameter name, while `withPacked` runs (else null). */
  private packed: PackedWeights | null = null;
  /** Rotary cos/sin tables (blockSize, headSize / 2), or null for learned positions. */
  readonly rotary: { cos: Buf; sin: Buf } | null;

  constructor(config: GPTConfig | Record<string, unknown>, opts: GPTOptions = {}) {
    this.config = gptConfig(config);
    this.backend = opts.f64 ? refBackend : (opts.backend ?? refBackend);
    this.eps = opts.layerNormEps ?? 1e-5;
    const specs = paramSpecs(this.config);
    this.params = new ParamStore(specs, this.backend, opts.f64, !opts.inference);
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

  /** Whether dropout is on (train mode); `train(null)` turns it off. */
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
    if (idx.length !== B * T) throw new ScratchError(`forward: idx holds ${idx.length} ids, expected B × T = ${B} × ${T} = ${B * T}`);
    if (opts.targets && opts.targets.length !== B * T) throw new ScratchError(`forward: targets hold ${opts.targets.length} ids, expected B × T = ${B * T}`);
    idx = this.inBackend(idx);
    const targets = opts.targets && this.inBackend(opts.targets);
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
    const loss = targets ? crossEntropy(logits, targets) : null;
    return { logits, loss };
  }

  /**
   * Ids the caller made as a plain Int32Array are copied into the backend's memory (fast kernels
   * read only their own buffers); inside backend.scope the copy is reclaimed with the step.
   */
  private inBackend(a: Int32Array): Int32Array {
    if (!this.backend.owns || this.backend.owns(a)) return a;
    const c = this.backend.allocI32(a.length);
    c.set(a);
    return c;
  }

  // ---- the layers, one method each (positions are explicit where a layer could depend on them) ----

  private P(n: string): Tensor {
    return this.params.get(n);
  }

  private O(n: string): Tensor | null {
    return this.params.has(n) ? this.params.get(n) : null;
  }

  /**
   * Runs fn with the linear layers multiplying by `packed` copies of their weights where it has
   * one (Kernels.packWeight's layout, for decode steps). The copies must hold the current weights.
   */
  withPacked<T>(packed: PackedWeights | null, fn: () => T): T {
    const prev = this.packed;
    this.packed = packed;
    try {
      return fn();
    } finally {
      this.packed = prev;
    }
  }

  /** The weights the linear layers multiply by, (OC, C) each: every block's 2-D weights, then the head. */
  linearWeights(): string[] {
    return [...this.params.specs.filter(isHiddenMatrix).map((s) => s.name), this.config.tieEmbeddings ? 'wte.weight' : 'lm_head.weight'];
  }

  /** x @ W^T + b for the weight named w (its packed copy inside withPacked) and the bias named b, if any. */
  private lin(x: Tensor, w: string, b: string | null): Tensor {
    const bias = b ? this.O(b) : null;
    const p = this.packed?.get(w);
    return p ? linearPacked(x, p, bias) : linear(x, this.P(w), bias);
  }

  private drop(t: Tensor): Tensor {
    const p = this.config.dropout;
    return this.dropoutRng && p > 0 ? dropout(t, p, this.dropoutRng) : t;
  }

  /** The config's norm: LayerNorm (weight, and bias when present) or RMSNorm, of `${prefix}.*`. */
  norm(x: Tensor, prefix: string): Tensor {
    const w = this.P(`${prefix}.weight`);
    if (this.config.norm === 'rmsnorm') return rmsNorm(x, w, this.eps);
    return layerNorm(x, w, this.O(`${prefix}.bias`), this.eps);
  }

  /** Token + position embeddings of idx (B, T), row t at position t, then dropout: (B, T, C). */
  embed(idx: Int32Array, B: number, T: number): Tensor {
    if (T > this.config.blockSize) throw new ScratchError(`sequence of ${T} tokens is longer than the block size ${this.config.blockSize}`);
    return this.drop(embedding(idx, this.P('wte.weight'), this.O('wpe.weight'), B, T));
  }

  /**
   * Embeddings of single tokens at explicit positions (decoding: each row is the next token of
   * its own sequence): ids (N) in the backend's memory, positions (N) → (N, C). No gradient.
   */
  embedAt(ids: Int32Array, positions: ArrayLike<number>): Tensor {
    const wte = this.P('wte.weight');
    const wpe = this.O('wpe.weight'); // none with rotary positions: they enter in qkv
    const [V, C] = wte.shape;
    const N = ids.length;
    const out = wte.alloc(N * C); // (N, C)
    for (let i = 0; i < N; i++) {
      const id = ids[i];
      const pos = positions[i];
      if (!(id >= 0 && id < V && Number.isInteger(id))) throw new ScratchError(`token id ${id} is outside the vocabulary (0..${V - 1})`);
      if (!(pos >= 0 && pos < this.config.blockSize)) throw new ScratchError(`position ${pos} is outside the block size ${this.config.blockSize}`);
      const row = out.subarray(i * C, i * C + C);
      wte.kernels.encoderForward({ out: row, inp: ids.subarray(i, i + 1), wte: wte.data, wpe: wpe ? wpe.data.subarray(pos * C, pos * C + C) : null, B: 1, T: 1, C });
    }
    return this.drop(new Tensor(out, [N, C], this.backend));
  }

  /**
   * Block l's attention input: ln_1, c_attn, then `qk`: the packed q, k, v (..., 3C). `positions`
   * holds each row's absolute position, or null for rows t = 0..T-1 of a (B, T) batch; learned
   * positions entered at the embedding and ignore it, rotary ones turn q and k by it here.
   */
  qkv(l: number, x: Tensor, positions: Int32Array | null): Tensor {
    const h = `h.${l}`;
    const ln1 = this.norm(x, `${h}.ln_1`); // (..., C)
    return this.qk(this.lin(ln1, `${h}.attn.c_attn.weight`, `${h}.attn.c_attn.bias`), positions); // (..., 3C)
  }

  /** q and k made ready for attention: QK-norm, then rotary positions; qkv as is for GPT-2. */
  qk(qkv: Tensor, positions: Int32Array | null): Tensor {
    const c = this.config;
    if (!c.qkNorm && !this.rotary) return qkv;
    return qkTransform(qkv, c.nHead, { norm: c.qkNorm, rotary: this.rotary, positions, eps: this.eps });
  }

  /** x + dropout(c_proj(att)): block l's attention output back into the residual stream. */
  attnOut(l: number, x: Tensor, att: Tensor): Tensor {
    const h = `h.${l}`;
    return add(x, this.drop(this.lin(att, `${h}.attn.c_proj.weight`, `${h}.attn.c_proj.bias`)));
  }

  /** x + dropout(c_proj(act(c_fc(ln_2(x))))): block l's MLP (H wide; GELU, ReLU² or SwiGLU). */
  mlp(l: number, x: Tensor): Tensor {
    const h = `h.${l}`;
    const ln2 = this.norm(x, `${h}.ln_2`); // (..., C)
    const fc = this.act(this.lin(ln2, `${h}.mlp.c_fc.weight`, `${h}.mlp.c_fc.bias`)); // (..., H)
    return add(x, this.drop(this.lin(fc, `${h}.mlp.c_proj.weight`, `${h}.mlp.c_proj.bias`))); // (..., C)
  }

  /** The MLP's activation on c_fc's output: (..., H), or (..., 2H) → (..., H) for SwiGLU. */
  act(h: Tensor): Tensor {
    const m = this.config.mlp;
    return m === 'gelu' ? gelu(h) : m === 'relu2' ? relu2(h) : swiglu(h);
  }

  /**
   * The residual stream (..., C) → logits (..., V): the final norm, then the LM head (tied to the
   * token embedding, or its own), then the soft-cap when on. The logit lens reads every layer
   * through this same map.
   */
  unembed(x: Tensor): Tensor {
    const c = this.config;
    const ln = this.norm(x, 'ln_f'); // (..., C)
    const logits = this.lin(ln, c.tieEmbeddings ? 'wte.weight' : 'lm_head.weight', null); // (..., V)
    return c.logitSoftcap > 0 ? softcap(logits, c.logitSoftcap) : logits;
  }
}
