/**
 * A plain engine: every step recomputes each sequence's window (no KV cache, no batching). It is
 * the correctness reference the batched engine is compared with, and the fallback for a library
 * without one.
 */
import { noGrad, Rng, type GPT } from '../src/index.js';
import type { DecodeEngine, EngineSeq, SamplingSettings, TokenOut } from './engine.js';
import { pickToken, topLogprobs, logSoftmaxAt } from './sampling.js';

interface Seq {
  ctx: number[];
  settings: SamplingSettings;
  rng: Rng;
  counts: Map<number, number>;
}

/**
 * A decoding engine that recomputes every window (no KV cache): the reference the batched engine is
 * tested against.
 */
export class RecomputeEngine implements DecodeEngine {
  /** The engine's name, as /v1/models and the logs show it. */
  readonly name = 'recompute';
  private readonly seqs = new Set<Seq>();
  constructor(private readonly model: GPT) {}

  add(prompt: readonly number[], settings: SamplingSettings): EngineSeq {
    const s: Seq = { ctx: [...prompt], settings, rng: new Rng(settings.seed), counts: new Map() };
    this.seqs.add(s);
    return s as unknown as EngineSeq;
  }

  remove(seq: EngineSeq): void {
    this.seqs.delete(seq as unknown as Seq);
  }

  private logits(window: readonly number[], all: boolean): Float32Array {
    const { model } = this;
    const T = window.length;
    return model.backend.scope(() =>
      noGrad(() => {
        const idx = model.backend.allocI32(T);
        idx.set(window);
        return Float32Array.from(model.forward(idx, 1, T, { lastOnly: !all }).logits.data as Float32Array);
      }),
    );
  }

  step(seqs: readonly EngineSeq[]): TokenOut[] {
    return seqs.map((h) => {
      const s = h as unknown as Seq;
      const logits = this.logits(s.ctx.slice(-this.model.config.blockSize), false);
      const out = pickToken(logits, s.settings, s.rng, s.counts, s.ctx);
      s.ctx.push(out.id);
      s.counts.set(out.id, (s.counts.get(out.id) ?? 0) + 1);
      return out;
    });
  }

  scorePrompt(prompt: readonly number[], topN: number): (TokenOut | null)[] {
    const V = this.model.config.vocabSize;
    const all = this.logits(prompt, true);
    return prompt.map((id, t) => {
      if (t === 0) return null;
      const row = all.subarray((t - 1) * V, t * V);
      return { id, logprob: logSoftmaxAt(row, id), top: topLogprobs(row, topN) };
    });
  }
}
