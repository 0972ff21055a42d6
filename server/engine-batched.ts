/**
 * The library's batched engine (src/generate's DecodeEngine: a KV cache per sequence, one forward
 * pass over every running sequence per step) behind the server's engine interface. The server
 * keeps text, stop strings and end-of-text itself (one implementation for every engine), so the
 * library engine gets token ids only.
 */
import { DecodeEngine as LibEngine, type GPT } from '../src/index.js';
import type { DecodeEngine, EngineSeq, SamplingSettings, TokenOut } from './engine.js';
import { RecomputeEngine } from './engine-recompute.js';

interface Seq {
  id: number;
  /** Tokens the library produced that the server has not asked for yet (its reader was slow). */
  buffered: TokenOut[];
  /** The library finished it (max tokens): only buffered tokens are left. */
  ended: boolean;
}

/** The library's batched KV-cache decoder behind the server's engine interface. */
export class BatchedEngine implements DecodeEngine {
  /** The engine's name, as /v1/models and the logs show it. */
  readonly name = 'batched';
  private readonly lib: LibEngine;
  private readonly seqs = new Map<number, Seq>();
  private readonly scorer: RecomputeEngine;

  constructor(model: GPT, maxSequences: number) {
    // the served weights never change, so decode steps read a copy packed for the kernels (packed.ts)
    this.lib = new LibEngine(model, { maxSequences, packWeights: true });
    this.scorer = new RecomputeEngine(model);
  }

  add(prompt: readonly number[], s: SamplingSettings, maxTokens: number): EngineSeq {
    const id = this.lib.add({
      prompt,
      maxTokens,
      sampling: {
        temperature: s.temperature,
        topK: s.topK > 0 ? s.topK : undefined,
        topP: s.topP,
        minP: s.minP,
        repetitionPenalty: s.repetitionPenalty,
        presencePenalty: s.presencePenalty,
        frequencyPenalty: s.frequencyPenalty,
        seed: s.seed,
      },
      logprobs: s.logprobs >= 0 ? s.logprobs : undefined,
    });
    const seq: Seq = { id, buffered: [], ended: false };
    this.seqs.set(id, seq);
    return seq as unknown as EngineSeq;
  }

  remove(h: EngineSeq): void {
    const s = h as unknown as Seq;
    this.seqs.delete(s.id);
    if (!s.ended) this.lib.cancel(s.id);
  }

  step(handles: readonly EngineSeq[]): TokenOut[] {
    const want = handles as unknown as Seq[];
    // a library step only when some sequence asked for has nothing buffered
    if (want.some((s) => s.buffered.length === 0)) {
      for (const ev of this.lib.step()) {
        const s = this.seqs.get(ev.seq);
        if (!s || ev.finishReason === 'cancelled') continue;
        s.buffered.push({ id: ev.token, logprob: ev.logprob ?? NaN, top: (ev.top ?? []).map((t) => ({ id: t.token, logprob: t.logprob })) });
        if (ev.finishReason) s.ended = true;
      }
    }
    return want.map((s) => {
      const t = s.buffered.shift();
      if (!t) throw new Error(`the batched engine gave sequence ${s.id} no token`);
      return t;
    });
  }

  scorePrompt(prompt: readonly number[], topN: number): (TokenOut | null)[] {
    return this.scorer.scorePrompt(prompt, topN);
  }
}
