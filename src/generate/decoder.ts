/**
 * The token-level batched decoder: sequences with their own KV cache, sampler and generator;
 * `step(seqs)` gives each sequence it is handed one new token, in one forward pass over all of
 * them (plus a prefill for each that has not run its prompt yet). Which sequences step together
 * never changes a sequence's tokens. `DecodeEngine` (engine.ts) adds a queue, stop conditions and
 * text on top; a server that schedules sequences itself can use this directly.
 */
import { check } from '../core/errors.js';
import type { GPT } from '../model/gpt.js';
import { noGrad } from '../tensor/tensor.js';
import type { PackedWeights } from '../tensor/ops.js';
import { type KVCache, acquireCache, decodeStep, prefill, prefillBatch, releaseCache } from './decode.js';
import { packDecodeWeights } from './packed.js';
import { type DrawKernels, Sampler, type SamplingOptions, type TokenLogprob, logprobsOf, validateSampling } from './sampler.js';

/** One sequence of a BatchDecoder (opaque). */
export interface DecoderSeq {
  readonly id: number;
  /** Prompt (cropped to the block size) and the tokens generated so far. */
  readonly ctx: readonly number[];
  /** Tokens generated so far. */
  readonly generated: number;
}

/** What one step chose for one sequence. */
export interface TokenChoice {
  token: number;
  /** log p(token) under the model's raw logits (before penalties and temperature); NaN unless asked for. */
  logprob: number;
  /** The `logprobs` most likely tokens, most likely first ([] unless asked for). */
  top: TokenLogprob[];
}

/**
 * Sampling options of one sequence in a BatchDecoder, and how many log-probability alternatives to
 * report.
 */
export interface DecoderSeqOptions extends SamplingOptions {
  /** Log-probabilities of each token with this many alternatives (absent: none; 0: the token's only). */
  logprobs?: number;
}

/** Options of a BatchDecoder. */
export interface BatchDecoderOptions {
  /**
   * Decode steps and prefills read a copy of the linear weights packed for the backend
   * (packed.ts), made when the decoder is: faster steps and prefills for a long-lived decoder (a
   * server), at the cost of one pass over the weights and, on the native kernels, a second copy
   * of them. The weights must not change while the decoder runs. Default false.
   */
  packWeights?: boolean;
}

/**
 * Positions one batched prefill stacks at most: 16 prompts of gpt2's 1024 would be 16 K rows, and
 * their MLP activations alone 200 MB; 2048 rows keep a prefill's scratch near a full window's.
 */
const PREFILL_ROWS = 2048;

/**
 * A decode step's logits (reused from step to step, see decodeStep's `out`) and the samplers'
 * weights row, in the backend's memory so that its sampleRow kernel reads them in place. One pair
 * per model, shared by all its decoders: a backend's buffers outside a scope are never freed, and
 * every generateText call makes a decoder; they are used only inside a synchronous step(), so
 * decoders cannot get in each other's way. The logits grow by doubling.
 */
interface StepBuffers {
  weights: Float32Array;
  logits: Float32Array | null;
}
const stepBufs = new WeakMap<GPT, StepBuffers>();
function stepBuffers(model: GPT): StepBuffers {
  let b = stepBufs.get(model);
  if (!b) {
    b = { weights: model.backend.allocF32(model.config.vocabSize), logits: null };
    stepBufs.set(model, b);
  }
  return b;
}

interface Seq extends DecoderSeq {
  id: number;
  ctx: number[];
  generated: number;
  cache: KVCache | null;
  sampler: Sampler;
  logprobs: number | undefined;
  removed: boolean;
}

/**
 * Decodes several sequences together: one batched forward per step over every live sequence, each with
 * its own KV cache and sampler. Make it and step it outside any backend.scope: its caches and step
 * buffers are the backend's persistent memory.
 */
export class BatchDecoder {
  private nextId = 0;
  private readonly live = new Set<Seq>();
  /** The samplers' draws run on the model's backend (see Sampler's DrawKernels). */
  private readonly draw: DrawKernels;
  private readonly bufs: StepBuffers;
  /** The packed weights decode steps read (null: the weights as they are). */
  private readonly packed: PackedWeights | null;

  constructor(
    readonly model: GPT,
    opts: BatchDecoderOptions = {},
  ) {
    check(!model.training, 'decoding runs in evaluation mode: call model.train(null) first');
    this.bufs = stepBuffers(model);
    this.packed = opts.packWeights ? packDecodeWeights(model) : null;
    this.draw = { kernels: model.backend.kernels, weights: this.bufs.weights };
  }

  /** Sequences added and not removed. */
  get size(): number {
    return this.live.size;
  }

  /**
   * A new sequence continuing `prompt` (token ids; longer than the block size: the last blockSize).
   * Cheap: its prefill runs in its first step. Bad settings throw a one-line ScratchError.
   */
  add(prompt: readonly number[], opts: DecoderSeqOptions = {}): DecoderSeq {
    const V = this.model.config.vocabSize;
    check(prompt.length >= 1, 'generation needs a prompt of at least one token');
    for (const id of prompt) check(Number.isInteger(id) && id >= 0 && id < V, `prompt token id ${id} is outside the vocabulary (0..${V - 1})`);
    validateSampling(opts);
    if (opts.logprobs !== undefined) check(Number.isInteger(opts.logprobs) && opts.logprobs >= 0, `logprobs must be a whole number ≥ 0, got ${opts.logprobs}`);
    const ctx = Array.from(prompt.slice(-this.model.config.blockSize));
    const sampler = new Sampler(opts, V, this.draw);
    sampler.addPrompt(ctx);
    const s: Seq = { id: this.nextId++, ctx, generated: 0, cache: null, sampler, logprobs: opts.logprobs, removed: false };
    this.live.add(s);
    return s;
  }

  /** Frees a sequence's cache (finished, or its client went away); it must not be stepped again. */
  remove(seq: DecoderSeq): void {
    const s = seq as Seq;
    if (!this.live.delete(s)) return;
    s.removed = true;
    if (s.cache) releaseCache(s.cache);
    s.cache = null;
  }

  /**
   * One new token for each of `seqs`, in their order: a prefill for each that has not run yet
   * (sequences with the same prompt share one; different prompts run in one batched forward), one batched decode over those whose cache has
   * room, and a rebuild from the last blockSize tokens for those past the block size.
   * Do not call inside a backend.scope (caches are allocated outside scopes).
   */
  step(seqs: readonly DecoderSeq[]): TokenChoice[] {
    const list = seqs as readonly Seq[];
    for (const s of list) check(this.live.has(s), `sequence ${s.id} is not running here (removed, or from another decoder)`);
    check(new Set(list).size === list.length, 'a sequence appears twice in one step');
    const { blockSize, vocabSize: V } = this.model.config;
    const rows = new Map<Seq, { logits: Float32Array; off: number }>();
    const fresh = list.filter((s) => !s.cache);
    const batch = list.filter((s) => s.cache && s.cache.length < blockSize);
    const full = list.filter((s) => s.cache && s.cache.length >= blockSize);
    if (batch.length > 0) {
      const b = this.bufs;
      if (!b.logits || b.logits.length < batch.length * V) b.logits = this.model.backend.allocF32(Math.max(batch.length, 2 * (b.logits?.length ?? 0) / V) * V);
      const logits = decodeStep(this.model, batch.map((s) => s.cache!), batch.map((s) => s.ctx[s.ctx.length - 1]!), b.logits, this.packed);
      batch.forEach((s, i) => rows.set(s, { logits, off: i * V }));
    }
    // past the block size the window slides: every position moves, so the cache is rebuilt
    for (const s of full) rows.set(s, { logits: prefill(this.model, s.cache!, s.ctx.slice(-blockSize), this.packed), off: 0 });
    // fresh sequences: one prefill per distinct prompt, all of them in batched forward passes
    // (at most PREFILL_ROWS positions each); a twin of a prompt copies its cache
    const firsts = new Map<string, Seq>();
    const twins: Seq[] = [];
    for (const s of fresh) {
      s.cache = acquireCache(this.model);
      const key = s.ctx.join(',');
      if (firsts.has(key)) twins.push(s);
      else firsts.set(key, s);
    }
    const heads = [...firsts.values()];
    for (let i = 0; i < heads.length; ) {
      let j = i + 1;
      for (let rowsN = heads[i]!.ctx.length; j < heads.length && rowsN + heads[j]!.ctx.length <= PREFILL_ROWS; j++) rowsN += heads[j]!.ctx.length;
      const group = heads.slice(i, j);
      const logits = prefillBatch(this.model, group.map((s) => s.cache!), group.map((s) => s.ctx), this.packed);
      group.forEach((s, g) => rows.set(s, { logits, off: g * V }));
      i = j;
    }
    for (const s of twins) {
      const first = firsts.get(s.ctx.join(','))!;
      s.cache!.copyFrom(first.cache!);
      rows.set(s, rows.get(first)!);
    }
    return list.map((s) => {
      const { logits, off } = rows.get(s)!;
      const token = s.sampler.pick(logits, off);
      const lp = s.logprobs !== undefined ? logprobsOf(logits, token, s.logprobs, V, off) : { logprob: NaN, top: [] };
      s.ctx.push(token);
      s.generated++;
      return { token, logprob: lp.logprob, top: lp.top };
    });
  }

  /**
   * Teacher-forced scores of a prompt (at most blockSize tokens): for each token after the first,
   * its log-probability given those before it, with `topN` alternatives (null for the first).
   */
  scorePrompt(prompt: readonly number[], topN: number): (TokenChoice | null)[] {
    const { blockSize, vocabSize: V } = this.model.config;
    const T = prompt.length;
    check(T >= 1 && T <= blockSize, `a prompt to score needs 1 to ${blockSize} tokens, got ${T}`);
    const be = this.model.backend;
    const all = be.scope(() =>
      noGrad(() => {
        const idx = be.allocI32(T);
        idx.set(prompt);
        return Float32Array.from(this.model.forward(idx, 1, T).logits.data);
      }),
    );
    return Array.from(prompt, (id, t) => {
      if (t === 0) return null;
      const lp = logprobsOf(all, id, topN, V, (t - 1) * V);
      return { token: id, logprob: lp.logprob, top: lp.top };
    });
  }
}
