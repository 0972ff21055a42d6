/**
 * Text in, text out: encode a prompt with the model's tokenizer, generate, and stream the decoded
 * continuation piece by piece (a cut UTF-8 character is held back until it is complete).
 */
import { check } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { GPT } from '../model/gpt.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { generate, validateSampleOptions } from './sample.js';

export interface TextSampleOptions {
  /** Default: a newline for a character tokenizer, `<|endoftext|>` where the tokenizer has it. */
  prompt?: string;
  maxTokens: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
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

/**
 * The continuation's text, yielded as it is generated (same seed → same text). Options and prompt
 * are checked here, before the first token, so a caller can print the prompt only once it is valid.
 */
export function generateText(model: GPT, tok: Tokenizer, opts: TextSampleOptions): Generator<string> {
  validateSampleOptions(opts);
  check(Number.isInteger(opts.maxTokens) && opts.maxTokens >= 1, `the number of tokens must be a whole number ≥ 1, got ${opts.maxTokens}`);
  const ids = promptIds(tok, opts.prompt);
  check(ids.length > 0, 'the prompt encodes to no tokens');
  return stream(model, tok, ids, opts);
}

function* stream(model: GPT, tok: Tokenizer, ids: number[], opts: TextSampleOptions): Generator<string> {
  const dec = tok.streamDecoder();
  const rng = new Rng(opts.seed ?? 1337);
  model.train(null);
  for (const id of generate(model, ids, opts.maxTokens, { temperature: opts.temperature ?? 0.8, topK: opts.topK, topP: opts.topP, rng })) {
    const s = dec.push(id);
    if (s) yield s;
  }
  const rest = dec.flush();
  if (rest) yield rest;
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
