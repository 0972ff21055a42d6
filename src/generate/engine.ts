/**
 * A batched decode engine: sequences join and leave between steps (continuous batching), each
 * with its own KV cache, sampling settings, stop conditions and generator. One `step()` is one
 * forward pass over every running sequence together (the weights are read once per step), plus
 * one prefill for each sequence that joined since the last step. Synchronous and browser-safe: a
 * server or a page calls `step()` in its own loop and hands the events to its clients.
 *
 * ```ts
 * const engine = new DecodeEngine(model, { tokenizer });
 * const id = engine.add({ prompt: tokenizer.encode('Once upon'), maxTokens: 50, sampling: { temperature: 0.8, seed: 1 } });
 * while (engine.size > 0) for (const ev of engine.step()) process.stdout.write(ev.text);
 * ```
 */
import { ScratchError, check } from '../core/errors.js';
import type { GPT } from '../model/gpt.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { BatchDecoder, type DecoderSeq, type TokenChoice } from './decoder.js';
import type { SamplingOptions, TokenLogprob } from './sampler.js';
import { TextStream } from './stream.js';

/** One sequence to generate. */
export interface GenerationRequest {
  /** Token ids to continue (at least one). Longer than the block size: the last blockSize are used. */
  prompt: readonly number[];
  /** Most tokens to generate (≥ 1). */
  maxTokens: number;
  sampling?: SamplingOptions;
  /** Stop before the first of these strings (needs the engine's tokenizer); it is not part of the text. */
  stop?: readonly string[];
  /** Stop at these token ids (e.g. `<|endoftext|>`); the token is reported but adds no text. */
  stopTokens?: readonly number[];
  /** Report each token's log-probability and this many most likely alternatives (0: just the token's). */
  logprobs?: number;
}

/** Why a sequence ended: a stop string or token, its token limit, or cancel(). */
export type FinishReason = 'stop' | 'length' | 'cancelled';

/** What one step produced for one sequence. */
export interface TokenEvent {
  /** The sequence, as `add` returned it. */
  seq: number;
  /** The token chosen (-1 in the event of a cancelled sequence). */
  token: number;
  /** Position of this token among the generated ones (0 for the first). */
  index: number;
  /** New text, UTF-8-safe and stop-string-safe ('' without a tokenizer). */
  text: string;
  /** log p(token) under the model's logits (before penalties and temperature), when asked. */
  logprob?: number;
  /** The `logprobs` most likely tokens with their log-probabilities, most likely first. */
  top?: TokenLogprob[];
  /** Set on the sequence's last event; the sequence is gone afterwards. */
  finishReason: FinishReason | null;
}

/** Options of a DecodeEngine. */
export interface EngineOptions {
  /** Needed for text in events and for stop strings. */
  tokenizer?: Tokenizer;
  /**
   * Sequences decoded together at most (each holds a KV cache of 2 x nLayer x blockSize x nEmbd
   * floats); more wait in a queue and join as others finish. Default 8.
   */
  maxSequences?: number;
  /** Decode from a packed copy of the weights (BatchDecoderOptions.packWeights). Default false. */
  packWeights?: boolean;
}

interface Seq {
  id: number;
  req: GenerationRequest;
  dec: DecoderSeq;
  stream: TextStream | null;
  stopTokens: Set<number>;
}

/**
 * Continuous batching over a BatchDecoder: requests are added at any time, queued beyond maxSequences,
 * and each step() returns the text deltas of every running sequence.
 */
export class DecodeEngine {
  /** Sequences decoded together at most; more wait in the queue. */
  readonly maxSequences: number;
  private readonly decoder: BatchDecoder;
  private readonly queue: Seq[] = [];
  private readonly running: Seq[] = [];
  private readonly cancelled = new Set<number>();
  private readonly held = new Set<number>();
  private nextId = 0;

  constructor(
    readonly model: GPT,
    readonly opts: EngineOptions = {},
  ) {
    this.maxSequences = opts.maxSequences ?? 8;
    check(Number.isInteger(this.maxSequences) && this.maxSequences >= 1, `maxSequences must be a whole number ≥ 1, got ${opts.maxSequences}`);
    this.decoder = new BatchDecoder(model, { packWeights: opts.packWeights === true });
  }

  /** Sequences queued or running (0: nothing left to step). */
  get size(): number {
    return this.queue.length + this.running.length;
  }

  /** Whether sequence `seq` is still queued or running. */
  has(seq: number): boolean {
    return !this.cancelled.has(seq) && (this.queue.some((s) => s.id === seq) || this.running.some((s) => s.id === seq));
  }

  /** Checks a request and queues it; returns its sequence id. Bad requests throw a ScratchError. */
  add(req: GenerationRequest): number {
    const V = this.model.config.vocabSize;
    check(Array.isArray(req.prompt) || ArrayBuffer.isView(req.prompt), 'prompt must be an array of token ids');
    check(Number.isInteger(req.maxTokens) && req.maxTokens >= 1, `the number of tokens must be a whole number ≥ 1, got ${req.maxTokens}`);
    const stop = req.stop ?? [];
    check(stop.every((s) => typeof s === 'string' && s.length > 0), 'stop strings must be non-empty strings');
    if (stop.length > 0 && !this.opts.tokenizer) throw new ScratchError('stop strings need the engine to have a tokenizer (new DecodeEngine(model, { tokenizer }))');
    for (const id of req.stopTokens ?? []) check(Number.isInteger(id) && id >= 0 && id < V, `stop token id ${id} is outside the vocabulary (0..${V - 1})`);
    const dec = this.decoder.add(req.prompt, { ...req.sampling, logprobs: req.logprobs });
    const s: Seq = {
      id: this.nextId++,
      req,
      dec,
      stream: this.opts.tokenizer ? new TextStream(this.opts.tokenizer, stop) : null,
      stopTokens: new Set(req.stopTokens ?? []),
    };
    this.queue.push(s);
    return s.id;
  }

  /** Drops a sequence at the next step (a client went away); its last event has finishReason 'cancelled'. */
  cancel(seq: number): void {
    if (this.has(seq)) this.cancelled.add(seq);
  }

  /**
   * A held sequence sits out steps (its client is not reading) and keeps its cache and place;
   * `hold(seq, false)` lets it go on. Its tokens are the same as if it had never waited.
   */
  hold(seq: number, on = true): void {
    if (on && this.has(seq)) this.held.add(seq);
    else this.held.delete(seq);
  }

  /**
   * One step: queued sequences join while there is room (a prefill each; sequences with the same
   * prompt share one), every running sequence that is not held advances one token in one batched
   * forward pass. Returns one event per sequence that advanced or ended, in the order they were added.
   */
  step(): TokenEvent[] {
    const events: TokenEvent[] = [];
    // cancelled sequences leave first
    for (const list of [this.queue, this.running]) {
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i]!;
        if (!this.cancelled.has(s.id)) continue;
        list.splice(i, 1);
        this.decoder.remove(s.dec);
        this.held.delete(s.id);
        events.push({ seq: s.id, token: -1, index: s.dec.generated, text: '', finishReason: 'cancelled' });
      }
    }
    this.cancelled.clear();
    while (this.queue.length > 0 && this.running.length < this.maxSequences) this.running.push(this.queue.shift()!);
    const go = this.running.filter((s) => !this.held.has(s.id));
    const choices = go.length > 0 ? this.decoder.step(go.map((s) => s.dec)) : [];
    go.forEach((s, i) => events.push(this.advance(s, choices[i]!)));
    return events.sort((a, b) => a.seq - b.seq);
  }

  private advance(s: Seq, c: TokenChoice): TokenEvent {
    const ev: TokenEvent = { seq: s.id, token: c.token, index: s.dec.generated - 1, text: '', finishReason: null };
    if (s.req.logprobs !== undefined) {
      ev.logprob = c.logprob;
      ev.top = c.top;
    }
    if (s.stopTokens.has(c.token)) {
      ev.finishReason = 'stop';
      if (s.stream) ev.text = s.stream.flush().text;
    } else if (s.stream) {
      const piece = s.stream.push(c.token);
      ev.text = piece.text;
      if (piece.stopped) ev.finishReason = 'stop';
    }
    if (!ev.finishReason && s.dec.generated >= s.req.maxTokens) {
      ev.finishReason = 'length';
      if (s.stream) ev.text += s.stream.flush().text;
    }
    if (ev.finishReason) {
      this.running.splice(this.running.indexOf(s), 1);
      this.decoder.remove(s.dec);
      this.held.delete(s.id);
    }
    return ev;
  }
}
