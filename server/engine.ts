/**
 * What the scheduler needs from a decoding engine: sequences that join and leave between steps,
 * and a step that gives every sequence it is handed one new token (one forward pass over all of
 * them). Each sequence keeps its own context and sampling state, so a sequence's tokens do not
 * depend on which others share its steps.
 */
export interface SamplingSettings {
  /** 0 is greedy. */
  temperature: number;
  /** 0: off. */
  topK: number;
  /** 1: off. */
  topP: number;
  /** 0: off. */
  minP: number;
  presencePenalty: number;
  frequencyPenalty: number;
  /** 1: off. */
  repetitionPenalty: number;
  seed: number;
  /** How many alternatives to report with each token (0: only the chosen token's log-probability; -1: no log-probabilities). */
  logprobs: number;
}

/** One new token of one sequence in a step. */
export interface TokenOut {
  id: number;
  /** log-probability of the token under the model (log-softmax of the raw logits); NaN when not asked for. */
  logprob: number;
  /** The `logprobs` most likely tokens at this position, most likely first. */
  top: { id: number; logprob: number }[];
}

/** An engine's handle of a sequence (opaque). */
export type EngineSeq = { readonly __seq: unique symbol };

/** What the scheduler needs from a decoding engine (see the file's header). */
export interface DecodeEngine {
  readonly name: string;
  /**
   * Starts a sequence from a prompt (already cropped to the block size) that will take at most
   * `maxTokens` tokens (the server may remove it earlier: a stop string, a client gone). Cheap:
   * any prefill happens in the next step.
   */
  add(prompt: readonly number[], settings: SamplingSettings, maxTokens: number): EngineSeq;
  /** One new token for each of `seqs` (all live), in their order. */
  step(seqs: readonly EngineSeq[]): TokenOut[];
  /** Frees a sequence's state; it may be in the middle of its generation. */
  remove(seq: EngineSeq): void;
  /** For echo with logprobs: each prompt token's log-probability given those before it (null for the first). */
  scorePrompt(prompt: readonly number[], topN: number): (TokenOut | null)[];
}
