/**
 * Text in, text out: encode a prompt with the model's tokenizer, generate through the decode
 * engine, and stream the decoded continuation piece by piece (a cut UTF-8 character, or the start
 * of a possible stop string, is held back until it is complete).
 */
import { check } from '../core/errors.js';
import type { GPT } from '../model/gpt.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { DecodeEngine, type FinishReason, type TokenEvent } from './engine.js';
import { validateSampling, type SamplingOptions } from './sampler.js';

/** Options of `generateText`: a prompt, how many tokens, stop strings, and sampling. */
export interface TextSampleOptions extends Omit<SamplingOptions, 'rng'> {
  /** Default: a newline for a character tokenizer, `<|endoftext|>` where the tokenizer has it. */
  prompt?: string;
  maxTokens: number;
  /** Stop before the first of these strings. */
  stop?: readonly string[];
  /** Stop at these token ids. */
  stopTokens?: readonly number[];
}

/** The ids a prompt starts from (the default prompt when none is given). */
export function promptIds(tok: Tokenizer, prompt?: string): number[] {
  if (prompt !== undefined && prompt !== '') return tok.encode(prompt, { allowedSpecial: 'all' });
  const eot = tok.specialTokens.get('<|endoftext|>');
  if (eot !== undefined) return [eot];
  try {
    return tok.encode('\n');
  } catch {
    return [0];
  }
}

function checkText(opts: TextSampleOptions): void {
  validateSampling(opts);
  check(Number.isInteger(opts.maxTokens) && opts.maxTokens >= 1, `the number of tokens must be a whole number ≥ 1, got ${opts.maxTokens}`);
  check((opts.stop ?? []).every((s) => s.length > 0), 'a stop string must not be empty');
}

/**
 * The continuation's text, yielded as it is generated (same seed → same text). Options and prompt
 * are checked here, before the first token, so a caller can print the prompt only once it is valid.
 */
export function generateText(model: GPT, tok: Tokenizer, opts: TextSampleOptions): Generator<string> {
  checkText(opts);
  const ids = promptIds(tok, opts.prompt);
  check(ids.length > 0, 'the prompt encodes to no tokens');
  return stream(model, tok, ids, opts);
}

function* stream(model: GPT, tok: Tokenizer, ids: number[], opts: TextSampleOptions): Generator<string> {
  model.train(null);
  const engine = new DecodeEngine(model, { tokenizer: tok, maxSequences: 1 });
  const seq = engine.add({ prompt: ids, maxTokens: opts.maxTokens, sampling: { ...opts, temperature: opts.temperature ?? 0.8 }, stop: opts.stop, stopTokens: opts.stopTokens });
  try {
    while (engine.size > 0) for (const ev of engine.step()) if (ev.text) yield ev.text;
  } finally {
    engine.cancel(seq);
    if (engine.size > 0) engine.step();
  }
}

/** One sample of `generateTexts`. */
export interface TextSample {
  /** Which prompt (index into `prompts`) and which of its `n` samples. */
  prompt: number;
  sample: number;
  text: string;
  tokens: number[];
  finishReason: FinishReason;
  /** Per token, when `logprobs` was asked for. */
  logprobs?: { token: number; logprob: number; top: { token: number; logprob: number }[] }[];
}

/** Options of `generateTexts`: several prompts, n samples each, decoded in one batch. */
export interface TextBatchOptions extends Omit<TextSampleOptions, 'prompt'> {
  prompts: readonly string[];
  /** Samples per prompt (default 1); sample j of every prompt draws from seed + j. */
  n?: number;
  logprobs?: number;
  /** Called with every event as it happens (streaming several sequences). */
  onEvent?: (ev: TokenEvent, prompt: number, sample: number) => void;
}

/**
 * Several prompts, several samples each, generated together: one batched forward pass per step
 * over all of them (prompts shared by several samples are prefilled once).
 */
export function generateTexts(model: GPT, tok: Tokenizer, opts: TextBatchOptions): TextSample[] {
  checkText(opts);
  const n = opts.n ?? 1;
  check(Number.isInteger(n) && n >= 1, `the number of samples must be a whole number ≥ 1, got ${opts.n}`);
  check(opts.prompts.length >= 1, 'give at least one prompt');
  const prompts = opts.prompts.map((p) => {
    const ids = promptIds(tok, p);
    check(ids.length > 0, `the prompt '${p}' encodes to no tokens`);
    return ids;
  });
  model.train(null);
  const engine = new DecodeEngine(model, { tokenizer: tok, maxSequences: Math.max(1, Math.min(64, prompts.length * n)) });
  const seed = opts.seed ?? 1337;
  const bySeq = new Map<number, TextSample>();
  prompts.forEach((ids, p) => {
    for (let j = 0; j < n; j++) {
      const seq = engine.add({
        prompt: ids,
        maxTokens: opts.maxTokens,
        sampling: { ...opts, temperature: opts.temperature ?? 0.8, seed: seed + j },
        stop: opts.stop,
        stopTokens: opts.stopTokens,
        logprobs: opts.logprobs,
      });
      bySeq.set(seq, { prompt: p, sample: j, text: '', tokens: [], finishReason: 'length', ...(opts.logprobs !== undefined ? { logprobs: [] } : {}) });
    }
  });
  while (engine.size > 0) {
    for (const ev of engine.step()) {
      const r = bySeq.get(ev.seq)!;
      r.text += ev.text;
      if (ev.token >= 0) r.tokens.push(ev.token);
      if (r.logprobs && ev.logprob !== undefined) r.logprobs.push({ token: ev.token, logprob: ev.logprob, top: ev.top ?? [] });
      if (ev.finishReason) r.finishReason = ev.finishReason;
      opts.onEvent?.(ev, r.prompt, r.sample);
    }
  }
  return [...bySeq.values()];
}

/**
 * The first `chars` characters of a sample (the default prompt, temperature 0.8 unless given):
 * tokens are generated until the text is that long (at most `chars` tokens: every token decodes
 * to at least one character, or the sample ends there).
 */
export function sampleChars(model: GPT, tok: Tokenizer, chars: number, opts: Omit<TextSampleOptions, 'maxTokens'> = {}): string {
  let text = '';
  const budget = Math.min(chars, model.config.blockSize * 64);
  for (const piece of generateText(model, tok, { ...opts, maxTokens: Math.max(1, budget) })) {
    text += piece;
    if (text.length >= chars) break;
  }
  return text.slice(0, chars);
}
